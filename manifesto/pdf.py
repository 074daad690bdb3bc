"""The whole platform as a PDF: the built /manifesto/ page (and its large-print edition), printed by
headless Chromium.

The browser is handed the pages from memory at the site's own published address (its requests are
answered by Playwright, none leaves the machine), so a link in the PDF leads to the published page, and
nothing is written before the site is: `python build.py formats` keeps the build's promise that the
previous site survives any failure.
"""

from __future__ import annotations

import datetime
import mimetypes
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import BuildError
from .linkcheck import output_path_for
from .render import LARGE_PRINT_PATH, RenderOptions

if TYPE_CHECKING:
    from playwright.sync_api import Route

PDF_URL_PATH = "/manifesto.pdf"
LARGE_PRINT_PDF_URL_PATH = "/manifesto-large-print.pdf"
MANIFESTO_URL_PATH = "/manifesto/"
# Each printed page of the site (render.printed_jobs), by the address of its PDF.
PRINTED_PAGES = {PDF_URL_PATH: MANIFESTO_URL_PATH, LARGE_PRINT_PDF_URL_PATH: LARGE_PRINT_PATH}
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Needed to run as root in containers and CI; the pages printed are our own, served on loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:[^)]*\)")
# Chromium names tagged table cells by the browser's own node numbers, which differ from run to run.
PDF_NODE_ID = re.compile(rb"\(node(\d{8})\)")
CONTENT_TYPES = {".js": "text/javascript", ".json": "application/json", ".xml": "application/xml"}


@dataclass(frozen=True)
class ManifestoPdf:
    """The printed platform; templates link to it with its size."""

    data: bytes
    url_path: str = PDF_URL_PATH

    @property
    def output_path(self) -> str:
        return self.url_path.lstrip("/")

    @property
    def size_text(self) -> str:
        """'1.2 MB', '340 KB': decimal units, as file managers and browsers show them."""
        size = len(self.data)
        if size >= 1_000_000:
            return f"{size / 1_000_000:.1f} MB"
        return f"{max(1, round(size / 1000))} KB"


def chromium_executable() -> Path | None:
    """CHROMIUM_PATH when set, else a Chromium or Chrome on the PATH."""
    configured = os.environ.get("CHROMIUM_PATH", "").strip()
    if configured:
        return Path(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def content_type(path: str) -> str:
    suffix = Path(path).suffix
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


class LoopbackServer(ThreadingHTTPServer):
    # A browser keeps idle connections open: closing the server must not wait for them.
    daemon_threads = True
    block_on_close = False


@contextmanager
def serve_pages(pages: dict[str, bytes], base_path: str = "") -> Iterator[str]:
    """Serve built pages from memory on 127.0.0.1 (a port the OS picks); yields the site's address.

    Unknown paths get the site's 404 page with status 404, as GitHub Pages does; nothing is cached.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection serves a page and its assets

        def do_GET(self) -> None:
            self.respond(send_body=True)

        def do_HEAD(self) -> None:
            self.respond(send_body=False)

        def respond(self, *, send_body: bool) -> None:
            path = output_path_for(urlsplit(self.path).path, base_path)
            if path is not None and path not in pages and (path + "/index.html") in pages:
                self.send_response(301)
                self.send_header("Location", urlsplit(self.path).path + "/")
                self.end_headers()
                return
            status = 200 if path in pages else 404
            body = pages[path] if path is not None and path in pages else pages.get("404.html", b"")
            self.send_response(status)
            self.send_header("Content-Type", content_type(path if status == 200 and path else "404.html"))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the build prints its own
            pass

    server = LoopbackServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base_path}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fixed_dates(data: bytes, when: datetime.datetime | None) -> bytes:
    """The PDF with Chromium's clock readings replaced by SOURCE_DATE_EPOCH's time, or by nothing.

    The same pages then print to the same bytes. Each date is overwritten in place, padded with spaces
    (whitespace in a PDF dictionary), so that the byte offsets in the file's cross-reference table hold.
    """

    def replace(match: re.Match[bytes]) -> bytes:
        original = match.group(0)
        stamped = b""
        if when is not None:
            moment = when.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%S")
            stamped = b"/" + match.group(1) + f" (D:{moment}+00'00')".encode("ascii")
        return stamped.ljust(len(original)) if len(stamped) <= len(original) else b" " * len(original)

    return PDF_DATE.sub(replace, data)


def answer(route: Route, pages: dict[str, bytes], origin: str, base_path: str) -> None:
    """A request of the page being printed, answered from ``pages`` as the site would (404 for a file it
    does not have); nothing is fetched from elsewhere."""
    address = urlsplit(route.request.url)
    if f"{address.scheme}://{address.netloc}" != origin:
        route.abort()
        return
    path = output_path_for(address.path, base_path)
    if path is None or path not in pages:
        route.fulfill(status=404, body=b"", content_type="text/plain")
    else:
        route.fulfill(status=200, body=pages[path], content_type=content_type(path))


def fixed_node_ids(data: bytes) -> bytes:
    """The PDF with Chromium's node numbers (naming table cells in the tags) numbered in the order they
    first appear: the same pages then print to the same bytes. Each keeps its length, so that the byte
    offsets in the file's cross-reference table hold."""
    numbers: dict[bytes, int] = {}

    def replace(match: re.Match[bytes]) -> bytes:
        number = numbers.setdefault(match.group(1), len(numbers) + 1)
        return b"(node%08d)" % number

    return PDF_NODE_ID.sub(replace, data)


def no_browser_error(problem: str) -> BuildError:
    return BuildError(
        "manifesto.pdf",
        None,
        problem,
        "install Chromium (Debian/Ubuntu: apt install chromium) or set CHROMIUM_PATH to a Chrome or "
        "Chromium program; without a browser, use  python build.py build  (the site then has no PDF)",
    )


def print_manifesto(
    pages: dict[str, bytes], options: RenderOptions, site_url: str, languages: tuple[str, ...] = ()
) -> tuple[ManifestoPdf, ...]:
    """Print the built /manifesto/ page and its large-print edition to PDF with their print style sheets
    (A4, page numbers), tagged and with an outline of their headings. ``site_url`` is the site's
    published address (base_url): the pages are shown at it, so that their links lead there."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BuildError(
            "manifesto.pdf",
            None,
            "making the PDF needs the Python package playwright",
            "install it with  pip install -e '.[pdf]'  (it drives the Chromium you have installed)",
        ) from None
    executable = chromium_executable()
    if executable is not None and not executable.is_file():
        raise no_browser_error(f"no browser program at {executable} (from CHROMIUM_PATH)")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site_url))
    with sync_playwright() as playwright:
        try:
            # Without a system Chromium, Playwright's own (playwright install chromium) is tried.
            browser = playwright.chromium.launch(
                executable_path=str(executable) if executable else None, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            raise no_browser_error(
                f"cannot start a browser to print the PDF: {error.message.splitlines()[0]}"
            ) from None
        try:
            printed = []
            # The platform in each other language of the site too (/cy/manifesto/ to /cy/manifesto.pdf).
            in_languages = {f"/{code}{PDF_URL_PATH}": f"/{code}{MANIFESTO_URL_PATH}" for code in languages}
            for pdf_path, page_path in (PRINTED_PAGES | in_languages).items():
                page = browser.new_page()
                page.route("**/*", lambda route: answer(route, pages, origin, options.base_path))
                page.goto(origin + options.base_path + page_path, wait_until="load")
                data = page.pdf(prefer_css_page_size=True, print_background=True, outline=True, tagged=True)
                printed.append(ManifestoPdf(fixed_node_ids(fixed_dates(data, options.updated)), pdf_path))
                page.close()
        finally:
            browser.close()
    return tuple(printed)
