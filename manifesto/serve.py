"""`python build.py serve`: a live preview with drafts, built and served from memory, never from _site/.

Three parts:

- the session's build (preview.py): ``Preview`` calls the one pipeline (pipeline.build_site) on each save,
  with a memo that lives as long as the session and the pages kept in memory. The pages open in the
  browser come first; the others out of date are left for ``finish``, which runs once the reloaded tabs
  are back and stops half-way at a new save. A failed build keeps the last good pages.
- the watcher (watch.py): a thread that hands on the files saved, after each burst of saves.
- the server, here: tornado, serving the pages from memory with the live-reload script added, and telling
  open tabs to reload, or to swap the stylesheet, through python-livereload's websocket; while the site
  cannot be built, every page is the list of problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import importlib.resources
import ipaddress
import json
import logging
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.routing
import tornado.web
import tornado.websocket

from .errors import BuildError
from .preview import Failure, Preview, Rebuild
from .watch import Snapshot, scan, watch

# Pages an edit leaves out of date (the manifesto, the feed) are rendered once the tabs told to reload are
# back with their new page, so that rendering them does not slow the page being looked at; a tab that
# does not come back (closed, or throttled in the background) is waited for this long at most.
TAB_WAIT_SECONDS = 1.0

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".pdf": "application/pdf",
}
CSP_META = re.compile(rb'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")')
Answer = TypeVar("Answer")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
MAX_TAB_MESSAGE_BYTES = 8192  # a tab's hello or info message; its URL is far shorter


# --- The server -----------------------------------------------------------------------------------------


class BrowserLink(NamedTuple):
    """The browser side of the preview: routes for the live-reload script and websocket, and their use."""

    routes: list[tuple[str, type[Any]]]
    script_path: str  # where a page loads the live-reload script from
    # Tell open tabs that a URL path changed ("/": reload the page; a .css path: swap that stylesheet),
    # all of them or those whose address the filter accepts.
    notify: Callable[[str, Callable[[str], bool] | None], None]
    open_urls: Callable[[], list[str]]  # the address of every connected tab
    disconnect: Callable[[], None]


def livereload_link(greet: Callable[[str], bool], hosts: frozenset[str]) -> BrowserLink:
    """The one place that knows python-livereload; swap this function to change the library.

    ``greet(url)`` is told of each tab that connects, with its page's address, and says whether that
    page is out of date: a rebuild published while it was reloading reached no socket, and the tab is
    reloaded again at once.
    A tab is heard only from a page of ``hosts`` and only with a well-formed message (``tab_message``).
    Call it on the server's event loop only, like everything it returns.
    """
    from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
    from livereload.watcher import Watcher

    # Its throttle drops any reload within 3 s of the previous one: this preview decides when to reload.
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
    LiveReloadHandler.live_css = True  # a .css path restyles the page in place instead of reloading it
    LiveReloadHandler.watcher = Watcher()  # only read for its log line; our own watcher does the watching
    # It logs a traceback for a tab closed while being told to reload: routine here, not an error.
    logging.getLogger("livereload").setLevel(logging.CRITICAL)

    class TabHandler(LiveReloadHandler):  # type: ignore[misc]
        """Remembers which page each tab shows, and reloads a tab that missed a rebuild."""

        page_url = ""
        # Same origin only (tornado's own rule, which the library turns off); the Host is one of ours.
        check_origin = tornado.websocket.WebSocketHandler.check_origin

        def on_message(self, message: str | bytes) -> None:
            hello = tab_message(message, hosts)
            if hello is None:
                return
            super().on_message(message)
            if hello["command"] == "info":
                self.page_url = hello["url"]
                if greet(self.page_url):
                    self.send_message(reload_message("/"))

    def reload_message(path: str) -> dict[str, Any]:
        return {"command": "reload", "path": path, "liveCSS": True, "liveImg": True}

    def notify(path: str, only: Callable[[str], bool] | None) -> None:
        if only is None:
            LiveReloadHandler.reload_waiters(path)
            return
        for tab in list(LiveReloadHandler.waiters):
            if only(tab.page_url):
                tab.send_message(reload_message(path))

    def disconnect() -> None:
        for tab in list(LiveReloadHandler.waiters):
            tab.close()

    return BrowserLink(
        routes=[(r"/livereload", TabHandler), (r"/livereload\.js", LiveReloadJSHandler)],
        script_path="/livereload.js",
        notify=notify,
        open_urls=lambda: [tab.page_url for tab in LiveReloadHandler.waiters],
        disconnect=disconnect,
    )


@dataclass
class Served:
    """What the server shows. Changed only on the server's event loop, so requests never see half of it."""

    pages: Mapping[str, bytes]
    failure: Failure | None
    port: int
    hosts: frozenset[str] = frozenset()  # the Host headers answered (own_hosts)
    generation: int = 0  # how many rebuilds have been published
    # Keyed by the page's output path (None: an address that is not a page), so that they stay as small as
    # the site whatever addresses are asked for.
    shown: dict[str | None, int] = field(default_factory=dict)  # -> generation it was last sent at
    changed_at: dict[str, int] = field(default_factory=dict)  # output path -> generation it last changed
    everything_changed_at: int = 0  # an error page replaced every page, or a fix brought them back
    greeted: dict[str | None, int] = field(default_factory=dict)  # -> generation a tab showing it connected
    reloading: tuple[str, ...] = ()  # addresses of the tabs told to reload by the last rebuild
    reloading_at: int = 0  # the generation they were told to reload to
    reloading_since: float = 0.0  # when they were told (time.monotonic())

    def publish(self, outcome: Rebuild) -> None:
        self.pages, self.failure = outcome.pages, outcome.failure
        self.generation += 1
        if outcome.failure is not None or outcome.recovered:
            self.everything_changed_at = self.generation
        self.changed_at.update(dict.fromkeys(outcome.changed, self.generation))

    def output_of(self, url: str) -> str | None:
        """The output path of the page at ``url``, None for an address that is not a page."""
        return resolve(urlsplit(url).path, self.pages)[0]

    def is_stale(self, url: str) -> bool:
        """Whether the tab at ``url`` got its page before the last change to it (or never from us)."""
        output = self.output_of(url)
        changed = self.changed_at.get(output, 0) if output is not None else self.generation
        return self.shown.get(output, -1) < max(changed, self.everything_changed_at)

    def greet(self, url: str) -> bool:
        """A tab showing ``url`` has connected (loaded): whether its page is out of date."""
        self.greeted[self.output_of(url)] = self.generation
        return self.is_stale(url)

    def tabs_reloading(self, now: float) -> bool:
        """Whether a tab told to reload by the last rebuild is not back yet, connected again with its new
        page; tabs are waited for at most TAB_WAIT_SECONDS after they were told."""
        if now - self.reloading_since >= TAB_WAIT_SECONDS:
            return False
        return any(
            self.greeted.get(self.output_of(url), -1) < self.reloading_at or self.is_stale(url)
            for url in self.reloading
        )


def resolve(url_path: str, pages: Mapping[str, bytes]) -> tuple[str | None, str | None]:
    """(output path, redirect) for a request path.

    Pages come from memory, so nothing can escape to the disk; '.' and '..' segments, encoded or not,
    are refused anyway.
    """
    decoded = unquote(url_path)
    if "\\" in decoded or "\x00" in decoded or any(part in {".", ".."} for part in decoded.split("/")):
        return None, None
    key = decoded.lstrip("/")
    if key == "" or key.endswith("/"):
        key += "index.html"
    if key in pages:
        return key, None
    if f"{key}/index.html" in pages:
        return None, "/" + url_path.lstrip("/") + "/"  # never '//name/', which a browser reads as a host
    return None, None


def looks_like_page(url_path: str) -> bool:
    last = url_path.rsplit("/", 1)[-1]
    return last == "" or last.endswith(".html") or "." not in last


# The preview's tools for editors (passage ids to copy: editor_tools/passage-ids.js), files of this package
# served at a path no page of a site can have; only for_preview links them, so no build ever has them.
PREVIEW_TOOLS = {
    "passage-ids.js": "text/javascript; charset=utf-8",
    "passage-ids.css": "text/css; charset=utf-8",
}
PREVIEW_TOOLS_LINKS = (
    b'<link rel="stylesheet" href="/_preview/passage-ids.css">'
    b'<script src="/_preview/passage-ids.js" defer></script>'
)


class PreviewToolHandler(tornado.web.RequestHandler):
    def get(self, name: str) -> None:
        self.set_header("Content-Type", PREVIEW_TOOLS[name])
        self.set_header("Cache-Control", "no-store")
        self.finish(importlib.resources.files(__package__).joinpath("editor_tools", name).read_bytes())


def for_preview(page: bytes, host: str, port: int, script_path: str) -> bytes:
    """An HTML page as the preview serves it: the live-reload script and the preview's tools
    (PREVIEW_TOOLS) added, and allowed by its CSP.

    Only the copy sent changes; the pages in memory stay exactly what a build writes.
    """
    # The script is same-origin, so script-src 'self' allows it; its websocket needs connect-src. The
    # host is one of own_hosts(): the server answers no other.
    page = CSP_META.sub(lambda m: m[1] + m[2] + f"; connect-src 'self' ws://{host}".encode() + m[3], page, 1)
    script = f'<script src="{script_path}?port={port}" defer></script>'.encode()
    tools = PREVIEW_TOOLS_LINKS if b'class="op-ed"' in page else b""  # not on the error page, say
    return page.replace(b"</head>", script + tools + b"</head>", 1)


ERROR_STYLE = """
body { font: 17px/1.5 system-ui, sans-serif; margin: 0; background: #fff7f5; color: #1f1f1f; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem; }
h1 { color: #a4161a; font-size: 1.6rem; margin-top: 0; }
ol { padding-left: 1.25rem; }
li { background: #fff; border-left: 4px solid #a4161a; margin: 0 0 1rem; padding: .75rem 1rem; }
code, pre { font: 15px/1.45 ui-monospace, Menlo, Consolas, monospace; }
.where { font-weight: bold; margin: 0; }
.problem { margin: .25rem 0; }
.hint { color: #4a4a4a; margin: 0; }
pre { background: #fff; border-left: 4px solid #a4161a; overflow-x: auto; padding: 1rem; }
@media (prefers-color-scheme: dark) {
  body { background: #2a1515; color: #f1f1f1; } li, pre { background: #1c1c1c; }
  h1 { color: #ff8a80; } .hint { color: #c8c8c8; } }
"""


def problem_item(problem: BuildError) -> str:
    hint = f'<p class="hint">hint: {html.escape(problem.hint)}</p>' if problem.hint else ""
    return (
        f'<li><p class="where"><code>{html.escape(problem.where)}</code></p>'
        f'<p class="problem">{html.escape(problem.problem)}</p>{hint}</li>'
    )


def error_page(failure: Failure) -> bytes:
    """The page shown instead of every page while the site cannot be built; it reloads once fixed."""
    if failure.traceback:
        title = "The preview hit an unexpected error"
        intro = "This is a bug in the generator, not a mistake in your files. The preview keeps running."
        details = f"<pre>{html.escape(failure.traceback)}</pre>"
    else:
        count = len(failure.problems)
        title = f"The site cannot be built: {count} problem{'s' if count != 1 else ''}"
        intro = "Fix these in your files and save: this page updates by itself."
        details = "<ol>" + "".join(problem_item(problem) for problem in failure.problems) + "</ol>"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Inline styles only: this page must not depend on the site's own (maybe broken) files.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
        "style-src 'unsafe-inline'; img-src 'none'; object-src 'none'; base-uri 'none'\">\n"
        f"<title>Preview: {html.escape(title)}</title>\n<style>{ERROR_STYLE}</style>\n</head>\n"
        f'<body>\n<main role="alert">\n<h1>{html.escape(title)}</h1>\n<p>{intro}</p>\n{details}\n'
        "</main>\n</body>\n</html>\n"
    ).encode()


def content_type(output_path: str) -> str:
    if output_path == "feed.xml":
        return "application/atom+xml; charset=utf-8"
    return CONTENT_TYPES.get(PurePosixPath(output_path).suffix.lower(), "application/octet-stream")


class PageHandler(tornado.web.RequestHandler):
    """Every site path, answered from memory."""

    def initialize(self, served: Served, script_path: str) -> None:
        self.served = served
        self.script_path = script_path

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")  # a rebuilt page must never come from a cache
        self.set_header("X-Content-Type-Options", "nosniff")

    async def head(self) -> None:
        await self.get()

    async def get(self) -> None:
        served, path = self.served, self.request.path
        output_path, redirect = resolve(path, served.pages)
        if served.failure is not None and (
            output_path.endswith(".html") if output_path else looks_like_page(path)
        ):
            self.send(500, "error.html", error_page(served.failure))
        elif redirect is not None:
            self.redirect(redirect)
        elif output_path is not None:
            self.send(200, output_path, served.pages[output_path])
        else:
            self.send_not_found()

    def send_not_found(self) -> None:
        self.send(404, "404.html", self.served.pages.get("404.html", b"<!doctype html><h1>Not found</h1>"))

    def send(self, status: int, output_path: str, data: bytes) -> None:
        self.set_status(status)
        self.set_header("Content-Type", content_type(output_path))
        if output_path.endswith(".html"):
            self.served.shown[self.served.output_of(self.request.path)] = self.served.generation
            data = for_preview(data, self.request.host, self.served.port, self.script_path)
        self.finish(data)


class OwnHost(tornado.routing.Matcher):
    """Requests whose Host header is one of ``hosts``: any other is a web page elsewhere that mapped its
    own name to this computer (DNS rebinding), and is answered 421."""

    def __init__(self, hosts: frozenset[str]) -> None:
        self.hosts = hosts

    def match(self, request: Any) -> dict[str, Any] | None:
        return {} if request.host.lower() in self.hosts else None


def own_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers the preview answers: the loopback names and the address it listens on, with the
    port; on a wildcard address (0.0.0.0), also this computer's name and the addresses it resolves to."""
    names = {*LOOPBACK_NAMES, host}
    if host in WILDCARD_ADDRESSES:
        names.add(socket.gethostname())
        with contextlib.suppress(OSError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    ports = (f":{port}", "") if port == 80 else (f":{port}",)  # a browser leaves out port 80
    bracketed = {f"[{name}]" if ":" in name and name[0] != "[" else name for name in names - {""}}
    return frozenset(f"{name}{suffix}".lower() for name in bracketed for suffix in ports)


def tab_message(message: str | bytes, hosts: frozenset[str]) -> dict[str, Any] | None:
    """A live-reload tab's 'hello', or its 'info' with the address of a page of ``hosts``; else None."""
    with contextlib.suppress(ValueError, RecursionError):
        parsed = json.loads(message)
        if isinstance(parsed, dict) and parsed.get("command") == "hello":
            return parsed
        url = parsed.get("url") if isinstance(parsed, dict) and parsed.get("command") == "info" else None
        if isinstance(url, str) and urlsplit(url).scheme == "http" and urlsplit(url).netloc.lower() in hosts:
            return parsed
    return None


def make_app(served: Served, link: BrowserLink) -> tornado.web.Application:
    pages = (r"/.*", PageHandler, {"served": served, "script_path": link.script_path})
    tools = (r"/_preview/(passage-ids\.(?:js|css))", PreviewToolHandler)
    rules = [
        (OwnHost(served.hosts), [*link.routes, tools, pages]),
        (tornado.routing.AnyMatches(), tornado.web.ErrorHandler, {"status_code": 421}),
    ]
    return tornado.web.Application(
        rules, log_function=log_request, websocket_max_message_size=MAX_TAB_MESSAGE_BYTES
    )


def report(outcome: Rebuild, changed: set[str] | None, label: str = "Built") -> None:
    """One line per rebuild in the terminal; every problem (or the traceback) when it failed."""
    if outcome.failure is not None:
        print(f"\n{outcome.failure}", file=sys.stderr, flush=True)
        return
    count = len(outcome.rendered)
    line = f"{label} {count} file{'s' if count != 1 else ''} in {outcome.seconds:.2f} s"
    if changed:
        line += " (" + ", ".join(sorted(changed)[:3]) + (", …" if len(changed) > 3 else "") + ")"
    if outcome.recovered:
        line += ": the site builds again"
    print(line, flush=True)
    if changed is None or "site.yaml" in changed:  # at the start, and when site.yaml is saved
        for warning in outcome.warnings:
            print(warning.text("warning"), file=sys.stderr, flush=True)


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Only missing pages are worth a line: they are usually a mistyped link."""
    if handler.get_status() == 404:
        print(f"not found: {handler.request.uri}", file=sys.stderr, flush=True)


def publish(served: Served, link: BrowserLink, outcome: Rebuild) -> None:
    """On the event loop: serve the new pages, then tell the tabs (in that order, so they fetch new ones).

    Only tabs showing a page that changed reload; after an error, or its fix, every tab does.
    """
    served.publish(outcome)

    def shows_a_change(url: str) -> bool:
        return served.output_of(url) in outcome.changed | {None}

    if outcome.failure is not None or outcome.recovered:
        reloading = link.open_urls()
        link.notify("/", None)
    elif outcome.reload_paths != ("/",):
        reloading = []
        for path in outcome.reload_paths:  # stylesheets and images, swapped in place
            link.notify(path, None)
    elif outcome.changed:
        reloading = [url for url in link.open_urls() if shows_a_change(url)]
        link.notify("/", shows_a_change)
    else:
        return
    served.reloading, served.reloading_at = tuple(reloading), served.generation
    served.reloading_since = time.monotonic()


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port_after(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 100, 65536)):
        try:
            for sock in tornado.netutil.bind_sockets(candidate, address=host):
                sock.close()
        except OSError:
            continue
        return candidate
    return None


def bind(host: str, port: int) -> list[socket.socket] | None:
    """Listening sockets, or None after saying why there are none."""
    try:
        return tornado.netutil.bind_sockets(port, address=host)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            free = free_port_after(host, port)
            offer = f"; try --port {free}" if free is not None else ""
            print(f"port {port} is in use{offer}", file=sys.stderr)
        else:
            print(f"cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return None


def ask_loop(loop: asyncio.AbstractEventLoop, question: Callable[[], Answer]) -> Answer | None:
    """``question()`` answered on the server's event loop (after what was handed to it before), from
    another thread; None when the server is stopping."""

    async def ask() -> Answer:
        return question()

    try:
        return asyncio.run_coroutine_threadsafe(ask(), loop).result(timeout=5)
    except (RuntimeError, TimeoutError):
        return None


async def run_server(
    sockets: list[socket.socket], served: Served, preview: Preview, snapshot: Snapshot
) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            loop.add_signal_handler(signum, stopping.set)
    link = livereload_link(served.greet, served.hosts)
    server = tornado.httpserver.HTTPServer(make_app(served, link))
    server.add_sockets(sockets)
    stop_watching = threading.Event()

    def open_outputs() -> frozenset[str]:  # on the watcher thread, like the functions below
        outputs = ask_loop(loop, lambda: frozenset(filter(None, map(served.output_of, link.open_urls()))))
        return outputs or frozenset()

    def hand_over(outcome: Rebuild, changed: set[str], label: str) -> None:
        if outcome.news:
            report(outcome, changed, label)
            with contextlib.suppress(RuntimeError):  # the server has stopped meanwhile
                loop.call_soon_threadsafe(publish, served, link, outcome)

    def on_change(changed: set[str]) -> None:  # on the watcher thread
        # The pages open in the browser first: on a big site the manifesto and feed take longest.
        hand_over(preview.rebuild(changed, first=open_outputs()), changed, "Rebuilt")

    def tabs_reloading() -> bool:
        return bool(ask_loop(loop, lambda: served.tabs_reloading(time.monotonic())))

    def on_idle(interrupted: Callable[[], bool]) -> None:  # on the watcher thread
        # After a failure, only a new save retries; while open tabs reload, they come first.
        if preview.deferred and not preview.failing and not tabs_reloading():
            hand_over(preview.finish(interrupted), set(), "Then rebuilt")

    watcher = threading.Thread(
        target=watch,
        args=(preview.root, snapshot, stop_watching, on_change, on_idle),
        name="preview-watcher",
        daemon=True,
    )
    watcher.start()
    await stopping.wait()
    server.stop()
    link.disconnect()
    stop_watching.set()
    # A rebuild in progress may finish (it may still ask this loop which pages are open); the thread is
    # a daemon, so a stuck one cannot keep the process alive.
    await asyncio.to_thread(watcher.join, 10)


def serve(root: Path, *, host: str, port: int) -> int:
    """Preview the site with drafts at http://host:port/ until Ctrl-C; rebuilds on every save."""
    if not (root / "site.yaml").is_file():
        raise BuildError(
            "site.yaml", None, f"no site.yaml in {root}", "run the command from the project folder"
        )
    sockets = bind(host, port)
    if sockets is None:
        return 1
    try:
        actual_port = sockets[0].getsockname()[1]
        preview = Preview(root)
        snapshot = scan(root)  # before the first build reads anything, so no save can slip between
        outcome = preview.rebuild()
        report(outcome, None)
        shown_host = f"[{host}]" if ":" in host else host
        print(
            f"Previewing {root.resolve()} with drafts at http://{shown_host}:{actual_port}/ "
            "(nothing is written to _site/). Press Ctrl-C to stop.",
            flush=True,
        )
        if not is_loopback(host):
            print(f"Note: on {host}, other computers can see this preview, drafts included.", flush=True)
        served = Served(outcome.pages, outcome.failure, actual_port, own_hosts(host, actual_port))
        asyncio.run(run_server(sockets, served, preview, snapshot))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server took over the signal
    print("Preview stopped.", flush=True)
    return 0
