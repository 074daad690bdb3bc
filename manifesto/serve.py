"""`python build.py serve`: a live preview with drafts, built and served from memory, never from _site/.

Three parts, top to bottom:

- the build: ``Preview`` keeps the session's model, pages and caches (files read, front matter parsed,
  Markdown converted, manifesto bodies: only what was saved since is done again), and on each save
  re-renders only the pages the change can affect (an op-ed edit renders its page, its neighbours,
  chapters, author and the site-wide lists; a template, chapter, page or site.yaml edit renders
  everything; a stylesheet edit renders nothing). Of an op-ed edit's pages, those open in the browser
  come first; the others once the reloaded tabs are back, and a new save stops them half-way. A failed
  build keeps the last good pages and reports every problem.
- the watcher: a thread that compares stat snapshots of site.yaml, content/ and templates/ (woken at
  once by inotify where there is one, else every 50 ms), waits until saves stop for 30 ms, then
  rebuilds; a save made during a rebuild differs from the snapshot it started from, so it is built next.
- the server: tornado, serving the pages from memory with the live-reload script added (and the search
  index, built on request), and telling open tabs to reload, or to swap the stylesheet, through
  python-livereload's websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import functools
import hashlib
import html
import ipaddress
import json
import logging
import os
import re
import select
import signal
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

import jinja2
import tornado.httpserver
import tornado.netutil
import tornado.web

from .errors import BuildError, flatten
from .load import Asset, Sources, is_editor_litter, load_sources
from .model import Article, Site
from .parse import BodyCache
from .pipeline import Prepared, SessionCaches, asset_files, prepare
from .render import (
    ManifestoBodies,
    PageJob,
    RecordingEnvironment,
    RenderOptions,
    fingerprint,
    keep_manifesto_bodies,
    neighbours,
    plan_pages,
    render_page,
    render_page_unless,
    render_site,
    use_manifesto_bodies,
)
from .search import BUNDLE_FOLDER, SEARCH_PAGE, documents_of, index_files

POLL_SECONDS = 0.05  # how often the watched files are compared; one scan of 1,000 files takes ~3 ms
SETTLE_SECONDS = 0.03  # a burst of saves (editor temp file + rename, save-all) becomes one rebuild
MAX_SETTLE_SECONDS = 0.5  # files that never stop changing are built anyway, then again
# File systems stamp times coarsely (a kernel tick on Linux, 2 s on FAT): a file written twice within one
# stamp keeps its mtime and, with an edit of the same length, its size. Such recent files are hashed.
RACY_NS = 2_000_000_000
# Pages an edit leaves out of date (the manifesto, the feed) are rendered once the tabs told to reload are
# back with their new page, so that rendering them does not slow the page being looked at; a tab that
# does not come back (closed, or throttled in the background) is waited for this long at most.
TAB_WAIT_SECONDS = 1.0
# Pages that list every op-ed: re-rendered whenever any op-ed changes.
SITE_WIDE_PAGES = (
    "index.html",
    "chapters/index.html",
    "authors/index.html",
    "manifesto/index.html",
    "feed.xml",
    "sitemap.xml",
)
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
HOST_HEADER = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


# --- The build ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why the last rebuild did not produce a site: the user's mistakes, or our bug's traceback."""

    problems: tuple[BuildError, ...] = ()
    traceback: str = ""

    def __str__(self) -> str:
        if self.traceback:
            return f"The preview hit an unexpected error (a bug, not your files):\n{self.traceback}"
        count = len(self.problems)
        listing = "\n".join(str(problem) for problem in self.problems)
        return f"{listing}\n\n{count} problem{'s' if count != 1 else ''}; fix and save to continue."


@dataclass(frozen=True)
class Rebuild:
    """What one rebuild produced, to hand to the server."""

    pages: Mapping[str, bytes]  # every output file as a clean build makes it; the last good ones on failure
    rendered: frozenset[str]  # output paths rendered (or, for assets, read) by this rebuild
    changed: frozenset[str]  # output paths whose content differs from before, or that are gone
    reload_paths: tuple[str, ...]  # what to tell open tabs: stylesheet URLs, or "/" for a page reload
    failure: Failure | None
    recovered: bool  # the previous rebuild had failed and this one did not
    seconds: float

    @property
    def news(self) -> bool:
        """Whether the open tabs have anything new to show."""
        return bool(self.changed) or self.failure is not None or self.recovered


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept across rebuilds: compiling them again would cost ~0.1 s on every save."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # Jinja keys the bucket by template and checks the source's checksum, so an edit recompiles.
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def source_area(path: str) -> str | None:
    """What a changed file (posix, relative to the root) is to the build: 'site', 'articles', 'asset'.

    None for files the build does not read (editor litter, other folders and suffixes).
    """
    parts = PurePosixPath(path)
    if is_editor_litter(parts.name):
        return None
    if path == "site.yaml":
        return "site"
    if path.startswith(("templates/assets/", "content/images/")):
        return "asset"
    if path.startswith("templates/"):
        return "site"
    if parts.suffix.lower() != ".md":
        return None
    if path.startswith("content/articles/"):
        return "articles"
    if path.startswith(("content/chapters/", "content/pages/")):
        return "site"
    return None


def output_path_of(url_path: str) -> str:
    return url_path.lstrip("/") + "index.html"


def pages_about(site: Site, slugs: set[str]) -> set[str]:
    """Pages of ``site`` that show any of the op-eds ``slugs`` (other than the site-wide ones)."""
    around = neighbours(site)
    outputs: set[str] = set()
    for slug in slugs & around.keys():  # an added or removed op-ed is in one of the two sites only
        article = site.article(slug)
        outputs.add(output_path_of(article.url_path))
        outputs.update(output_path_of(other.url_path) for other in around[slug] if other is not None)
        outputs.update(f"chapters/{name}/index.html" for name in (article.chapter, *article.chapters))
        outputs.add(f"authors/{article.author_slug}/index.html")
    for chapter in site.chapters:
        # A proposal shows the title and author of the op-ed it cites.
        if any(proposal.article_slug in slugs for proposal in chapter.proposals):
            outputs.add(output_path_of(chapter.url_path))
    return outputs


def changed_articles(old: Site, new: Site) -> set[str]:
    old_articles: dict[str, Article] = {article.slug: article for article in old.articles}
    new_articles: dict[str, Article] = {article.slug: article for article in new.articles}
    return {
        slug
        for slug in old_articles.keys() | new_articles.keys()
        if old_articles.get(slug) != new_articles.get(slug)
    }


def affected_outputs(old: Site, new: Site) -> set[str] | None:
    """The pages that can differ between two sites, or None when only a full render is safe.

    Only op-ed changes are narrowed down; a changed site.yaml, chapter or page may show on any page.
    """
    if (old.config, old.chapters, old.pages) != (new.config, new.chapters, new.pages):
        return None
    slugs = changed_articles(old, new)
    if not slugs:
        return set()
    # Both sites: an op-ed that moves leaves neighbours, a chapter and maybe an author behind.
    return set(SITE_WIDE_PAGES) | pages_about(old, slugs) | pages_about(new, slugs)


def restamp_assets(
    pages: dict[str, bytes], old: tuple[Asset, ...], new: tuple[Asset, ...], base_path: str
) -> None:
    """Give pages the new ``?v=`` of changed assets, as rendering them again would (see render.asset)."""
    before = {asset.url_path: fingerprint(asset.data) for asset in old}
    for asset in new:
        version = fingerprint(asset.data)
        if before.get(asset.url_path, version) == version:
            continue
        old_ref = f"{base_path}{asset.url_path}?v={before[asset.url_path]}".encode()
        new_ref = f"{base_path}{asset.url_path}?v={version}".encode()
        for path, data in pages.items():
            if path.endswith((".html", ".xml")) and old_ref in data:
                pages[path] = data.replace(old_ref, new_ref)


def differing(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> frozenset[str]:
    """Output paths added, removed or changed between two sets of pages."""
    return frozenset(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


@dataclass
class Preview:
    """One preview session's build: the last good site and pages, and the caches that make rebuilds cheap.

    Used from one thread at a time (the start-up, then the watcher).
    """

    root: Path
    options: RenderOptions = field(default_factory=lambda: RenderOptions(drafts=True))
    # Only the files saved since are read and parsed again, and only the Markdown that changed converted.
    session: SessionCaches = field(default_factory=SessionCaches)  # files read and parsed
    body_cache: BodyCache = field(default_factory=dict)
    manifesto_bodies: ManifestoBodies = field(default_factory=dict)
    compiled: MemoryBytecodeCache = field(default_factory=MemoryBytecodeCache)
    # The last good build: its sources, site, environment and pages, and which pages plan_pages made
    # (the others, such as the search page, are re-rendered only with everything).
    sources: Sources | None = None
    site: Site | None = None
    env: RecordingEnvironment | None = None
    pages: dict[str, bytes] = field(default_factory=dict)
    planned: frozenset[str] = frozenset()
    deferred: set[str] = field(default_factory=set)  # pages left out of date for finish() to render
    pending: set[str] = field(default_factory=set)  # files changed since the last good build
    failing: bool = False

    def rebuild(
        self, changed: set[str] | frozenset[str] = frozenset(), *, first: frozenset[str] | None = None
    ) -> Rebuild:
        """Bring the pages up to date with ``changed`` files (paths relative to the root).

        With ``first`` (the output paths open in the browser), only those of the pages an op-ed edit
        affects are rendered; the others are left in ``deferred`` for finish(), so that the page being
        looked at is shown before the slow site-wide ones are done.

        The first call builds everything; later calls with only files the build does not read (an
        editor's swap file) do nothing, so they do not reload an error page while the user types.
        """
        relevant = {path for path in changed if source_area(path) is not None}
        if changed and not relevant:
            return Rebuild(self.pages, frozenset(), frozenset(), (), None, False, 0.0)
        self.pending |= relevant
        return self.attempt(lambda: self.update(first))

    def finish(self, interrupted: Callable[[], bool] = lambda: False) -> Rebuild:
        """Render the pages rebuild() deferred, one by one, stopping early if ``interrupted()``: a new
        save is built first, and what is left is rendered when the saves pause."""
        return self.attempt(lambda: self.render_deferred(interrupted))

    def attempt(self, work: Callable[[], tuple[frozenset[str], tuple[str, ...]]]) -> Rebuild:
        """Run ``work``; a failure keeps the last good pages and says what went wrong."""
        started, before = time.perf_counter(), self.pages
        try:
            rendered, reload_paths = work()
        except (BuildError, ExceptionGroup) as error:
            problems = flatten(error)
            failure = Failure(tuple(problems)) if problems is not None else Failure(traceback=format_bug())
        except Exception:  # our bug: shown, and the preview keeps running
            failure = Failure(traceback=format_bug())
        else:
            recovered, self.failing = self.failing, False
            self.pending.clear()
            seconds = time.perf_counter() - started
            return Rebuild(
                self.pages, rendered, differing(before, self.pages), reload_paths, None, recovered, seconds
            )
        self.failing = True
        seconds = time.perf_counter() - started
        return Rebuild(before, frozenset(), frozenset(), ("/",), failure, False, seconds)

    def update(self, first: frozenset[str] | None) -> tuple[frozenset[str], tuple[str, ...]]:
        areas = {source_area(path) for path in self.pending}
        if self.sources is None or self.site is None or "site" in areas:
            return self.render_everything(self.prepare()), ("/",)
        if not areas:
            return frozenset(), ()
        if areas == {"asset"} and not self.deferred:
            sources = load_sources(self.root, self.session.sources)  # nothing to parse: no text changed
            if [a.url_path for a in sources.assets] == [a.url_path for a in self.sources.assets]:
                return self.replace_assets(sources)
        ready = self.prepare()
        if [a.url_path for a in ready.sources.assets] != [a.url_path for a in self.sources.assets]:
            return self.render_everything(ready), ("/",)  # op-eds may link to an added or removed image
        affected = affected_outputs(self.site, ready.site)
        if affected is None:
            return self.render_everything(ready), ("/",)
        return self.render_affected(ready, affected | self.deferred, first), ("/",)

    def prepare(self) -> Prepared:
        """pipeline.prepare (without a PDF) from the session's caches: only the files that changed are
        read and parsed, and compiled templates and manifesto bodies are kept between rebuilds."""
        ready = prepare(self.root, self.options, self.body_cache, None, session=self.session)
        ready.env.bytecode_cache = self.compiled  # recompiling every template costs ~0.1 s a save
        use_manifesto_bodies(ready.env, self.manifesto_bodies)
        return ready

    def render_everything(self, ready: Prepared) -> frozenset[str]:
        """What pipeline.render_all makes, except the search index (built on request: SearchIndex)."""
        pages = render_site(ready.site, ready.env, ready.templates_dir, self.root, self.options)
        planned = frozenset(pages)
        search_page = render_page(ready.env, SEARCH_PAGE, ready.templates_dir, self.root)
        pages[search_page.output_path] = search_page.data
        pages |= asset_files(ready.sources)
        self.commit(ready, pages, planned, set())
        return frozenset(pages)

    def render_affected(
        self, ready: Prepared, affected: set[str], first: frozenset[str] | None
    ) -> frozenset[str]:
        now = affected if first is None else affected & first
        planned: set[str] = set()

        def select(job: PageJob) -> bool:
            planned.add(job.output_path)  # every job passes through here: the new site's whole page list
            return job.output_path in now or job.output_path not in self.pages

        fresh = render_site(
            ready.site, ready.env, ready.templates_dir, self.root, self.options, select=select
        )
        # A page no longer planned (a deleted op-ed's) is dropped; the others are kept as they were.
        pages = {
            path: data for path, data in self.pages.items() if path in planned or path not in self.planned
        }
        assert self.sources is not None
        restamp_assets(pages, self.sources.assets, ready.sources.assets, self.options.base_path)
        pages |= fresh | asset_files(ready.sources)
        self.commit(ready, pages, frozenset(planned), (affected & planned) - fresh.keys())
        return frozenset(fresh)

    def render_deferred(self, interrupted: Callable[[], bool]) -> tuple[frozenset[str], tuple[str, ...]]:
        assert self.site is not None and self.env is not None
        templates_dir = self.root / "templates"
        jobs = [job for job in plan_pages(self.site, self.options) if job.output_path in self.deferred]
        self.deferred &= {job.output_path for job in jobs}  # a page no longer made is not waited for
        fresh: dict[str, bytes] = {}
        for job in jobs:  # one by one, and a long page is left half-way: a new save is built first
            if fresh and interrupted():
                break
            page = render_page_unless(self.env, job, templates_dir, self.root, interrupted)
            if page is None:
                break
            fresh[job.output_path] = page.data
        self.pages = self.pages | fresh
        self.deferred -= fresh.keys()
        return frozenset(fresh), ("/",)

    def replace_assets(self, sources: Sources) -> tuple[frozenset[str], tuple[str, ...]]:
        """A stylesheet or image edit: no page is rendered; tabs swap the stylesheet in place."""
        assert self.sources is not None
        changed = [new for old, new in zip(self.sources.assets, sources.assets, strict=True) if old != new]
        pages = dict(self.pages)
        restamp_assets(pages, self.sources.assets, sources.assets, self.options.base_path)
        pages |= asset_files(sources)
        self.sources, self.pages = sources, pages
        return (
            frozenset(asset.url_path.lstrip("/") for asset in changed),
            tuple(self.options.base_path + asset.url_path for asset in changed),
        )

    def commit(
        self, ready: Prepared, pages: dict[str, bytes], planned: frozenset[str], deferred: set[str]
    ) -> None:
        self.sources, self.site, self.env = ready.sources, ready.site, ready.env
        self.pages, self.planned, self.deferred = pages, planned, deferred
        keep_manifesto_bodies(self.manifesto_bodies, ready.site)

    def search_bundle(self, pages: Mapping[str, bytes]) -> dict[str, bytes]:
        """The search index of the site ``pages`` were made from, as pipeline.render_all makes it."""
        site = self.site
        if site is None:
            return {}  # nothing was ever built
        return index_files(documents_of(site))


def format_bug() -> str:
    return traceback.format_exc()


# --- The watcher ----------------------------------------------------------------------------------------

# (inode, size, mtime in ns, digest of the content or "" when the stamp alone is trustworthy)
Stamp = tuple[int, int, int, str]
Snapshot = dict[str, Stamp]  # posix path relative to the root -> stamp


def file_digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.blake2b(file.read(), digest_size=16).hexdigest()
    except OSError:
        return ""


def stamp_file(path: str, info: os.stat_result, now_ns: int, previous: Stamp | None) -> Stamp:
    key = (info.st_ino, info.st_size, info.st_mtime_ns)
    racy = now_ns - info.st_mtime_ns < RACY_NS
    # A file hashed while racy is hashed once more after, in case it changed within its last stamp.
    was_racy = previous is not None and previous[:3] == key and previous[3] != ""
    if not (racy or was_racy):
        return (*key, "")
    digest = file_digest(path)
    keep = racy or (previous is not None and digest != previous[3])
    return (*key, digest if keep else "")


def scan_folder(folder: str, shown: str, now_ns: int, previous: Snapshot, snapshot: Snapshot) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # deleted or renamed since it was listed: its files are simply gone
    for entry in entries:
        name = f"{shown}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                scan_folder(entry.path, name, now_ns, previous, snapshot)
                continue
            info = os.stat(entry.path)  # follows a symlinked file: edits to its target count
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            snapshot[name] = stamp_file(entry.path, info, now_ns, previous.get(name))


def scan(root: Path, previous: Snapshot | None = None) -> Snapshot:
    """Stamps of every file under the watched paths: site.yaml, content/ and templates/."""
    previous = previous or {}
    snapshot: Snapshot = {}
    now_ns = time.time_ns()
    config = str(root / "site.yaml")
    try:
        info = os.stat(config)
        snapshot["site.yaml"] = stamp_file(config, info, now_ns, previous.get("site.yaml"))
    except OSError:
        pass
    for folder in ("content", "templates"):
        scan_folder(str(root / folder), folder, now_ns, previous, snapshot)
    return snapshot


def differs(before: Stamp, after: Stamp) -> bool:
    return before[:3] != after[:3] or (before[3] != "" and after[3] != "" and before[3] != after[3])


def changed_paths(before: Snapshot, after: Snapshot) -> set[str]:
    changed = before.keys() ^ after.keys()
    changed.update(path for path in before.keys() & after.keys() if differs(before[path], after[path]))
    return changed


def settle(root: Path, latest: Snapshot, stop: threading.Event) -> Snapshot:
    """Rescan until two scans agree, so that a burst of saves is built once, from its last state."""
    deadline = time.monotonic() + MAX_SETTLE_SECONDS
    while not stop.wait(SETTLE_SECONDS):
        again = scan(root, latest)
        if not changed_paths(latest, again) or time.monotonic() > deadline:
            return again
        latest = again
    return latest


# Folder events that can mean a watched file changed (IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM,
# IN_MOVED_TO, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF), from <sys/inotify.h>.
INOTIFY_MASK = 0x002 | 0x004 | 0x008 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800


class Wakeup:
    """Linux inotify, only to wake the watcher as soon as something is saved instead of at its next poll.

    What changed is always decided by comparing scans; where inotify is missing or silent (other
    systems, network and some container file systems), the watcher still polls every POLL_SECONDS.
    """

    def __init__(self) -> None:
        self.fd = -1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.add_watch = libc.inotify_add_watch
            self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return

    def follow(self, root: Path) -> None:
        """Watch the root and every folder under content/ and templates/, including new ones."""
        if self.fd < 0:
            return
        folders = [str(root)]
        for top in ("content", "templates"):
            folders.extend(folder for folder, _, _ in os.walk(root / top))
        for folder in folders:
            self.add_watch(self.fd, os.fsencode(folder), INOTIFY_MASK)  # again for a known folder: no-op

    def wait(self, seconds: float) -> None:
        """Return after ``seconds``, or as soon as a watched folder reports an event."""
        if self.fd < 0:
            time.sleep(seconds)
            return
        ready, _, _ = select.select([self.fd], [], [], seconds)
        while ready:
            try:
                ready = bool(os.read(self.fd, 65536))
            except BlockingIOError:
                break

    def heard(self) -> bool:
        """Whether a watched folder has reported an event since the last wait(); always True (so the
        caller scans to find out) without inotify."""
        return self.fd < 0 or bool(select.select([self.fd], [], [], 0)[0])

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)


def saved_since(root: Path, snapshot: Snapshot, wakeup: Wakeup) -> bool:
    """Whether a file the build reads was saved since ``snapshot`` (an editor's swap file does not
    count: it would stop the pages left for later, and then rebuild nothing)."""
    if not wakeup.heard():
        return False
    return any(source_area(path) is not None for path in changed_paths(snapshot, scan(root, snapshot)))


def watch(
    root: Path,
    before: Snapshot,
    stop: threading.Event,
    on_change: Callable[[set[str]], None],
    on_idle: Callable[[Callable[[], bool]], None],
) -> None:
    """Call ``on_change`` with the changed paths after each burst of saves, until ``stop`` is set; in
    between, ``on_idle`` with a function that says whether anything was saved since.

    The snapshot is taken before the files are read for the rebuild, so a save made while it runs
    differs from it and is built next: the last save is always built.
    """
    wakeup = Wakeup()
    try:
        wakeup.follow(root)
        while not stop.is_set():
            try:
                before = watch_once(root, before, stop, wakeup, on_change, on_idle)
            except Exception:  # our bug: said, and the preview keeps watching
                print(
                    "\nThe preview's watcher hit an unexpected error (a bug, not your files):",
                    file=sys.stderr,
                )
                traceback.print_exc()
                stop.wait(POLL_SECONDS)
    finally:
        wakeup.close()


def watch_once(
    root: Path,
    before: Snapshot,
    stop: threading.Event,
    wakeup: Wakeup,
    on_change: Callable[[set[str]], None],
    on_idle: Callable[[Callable[[], bool]], None],
) -> Snapshot:
    """One look at the files: a rebuild after a burst of saves, or idle work. Returns the new baseline."""
    wakeup.wait(POLL_SECONDS)
    now = scan(root, before)
    if not changed_paths(before, now):
        # ``now`` carries the digests of recently saved files forward.
        on_idle(functools.partial(saved_since, root, now, wakeup))
        return now
    now = settle(root, now, stop)
    changed = changed_paths(before, now)
    wakeup.follow(root)
    if changed and not stop.is_set():
        on_change(changed)
    return now


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


def livereload_link(greet: Callable[[str], bool]) -> BrowserLink:
    """The one place that knows python-livereload; swap this function to change the library.

    ``greet(url)`` is told of each tab that connects, with its page's address, and says whether that
    page is out of date: a rebuild published while it was reloading reached no socket, and the tab is
    reloaded again at once.
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

        def on_message(self, message: str | bytes) -> None:
            super().on_message(message)
            hello = json.loads(message)
            if hello.get("command") == "info":
                self.page_url = str(hello.get("url", ""))
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
class SearchIndex:
    """The search index of the served pages, built on the first request after they change.

    Indexing takes ~0.01 s for a campaign's site but ~0.7 s for 1,000 op-eds: too slow for every save, and
    only the search page needs it. Published page mappings are never changed, so identity tells
    whether the index is current.
    """

    build: Callable[[Mapping[str, bytes]], dict[str, bytes]]
    files: Mapping[str, bytes] = field(default_factory=dict)
    indexed: Mapping[str, bytes] | None = None  # the pages ``files`` index
    building: asyncio.Future[dict[str, bytes]] | None = None
    building_for: Mapping[str, bytes] | None = None

    async def files_for(self, pages: Mapping[str, bytes]) -> Mapping[str, bytes]:
        if self.indexed is not pages:
            if self.building is None or self.building_for is not pages:
                self.building, self.building_for = self.start(pages), pages
            building = self.building
            try:
                files = await building
            finally:
                if self.building is building:
                    self.building = None  # a failure is retried on the next request
            self.files, self.indexed = files, pages
        return self.files

    def start(self, pages: Mapping[str, bytes]) -> asyncio.Future[dict[str, bytes]]:
        """Index in a daemon thread: the server keeps answering meanwhile, and Ctrl-C need not wait."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, bytes]] = loop.create_future()

        def finish(result: dict[str, bytes] | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result or {})

        def work() -> None:
            try:
                result, error = self.build(pages), None
            except Exception as failure:
                result, error = None, failure
            with contextlib.suppress(RuntimeError):  # the server stopped meanwhile
                loop.call_soon_threadsafe(finish, result, error)

        threading.Thread(target=work, name="preview-search-index", daemon=True).start()
        return future


@dataclass
class Served:
    """What the server shows. Changed only on the server's event loop, so requests never see half of it."""

    pages: Mapping[str, bytes]
    failure: Failure | None
    port: int
    search: SearchIndex
    generation: int = 0  # how many rebuilds have been published
    shown: dict[str, int] = field(default_factory=dict)  # URL path -> generation it was last sent at
    changed_at: dict[str, int] = field(default_factory=dict)  # output path -> generation it last changed
    everything_changed_at: int = 0  # an error page replaced every page, or a fix brought them back
    greeted: dict[str, int] = field(default_factory=dict)  # tab address -> generation it connected at
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
        return self.shown.get(urlsplit(url).path, -1) < max(changed, self.everything_changed_at)

    def greet(self, url: str) -> bool:
        """A tab showing ``url`` has connected (loaded): whether its page is out of date."""
        self.greeted[url] = self.generation
        return self.is_stale(url)

    def tabs_reloading(self, now: float) -> bool:
        """Whether a tab told to reload by the last rebuild is not back yet, connected again with its new
        page; tabs are waited for at most TAB_WAIT_SECONDS after they were told."""
        if now - self.reloading_since >= TAB_WAIT_SECONDS:
            return False
        return any(
            self.greeted.get(url, -1) < self.reloading_at or self.is_stale(url) for url in self.reloading
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
        return None, url_path + "/"
    return None, None


def looks_like_page(url_path: str) -> bool:
    last = url_path.rsplit("/", 1)[-1]
    return last == "" or last.endswith(".html") or "." not in last


def for_preview(page: bytes, host: str, port: int, script_path: str) -> bytes:
    """An HTML page as the preview serves it: the live-reload script added and allowed by its CSP.

    Only the copy sent changes; the pages in memory stay exactly what a build writes.
    """
    # The script is same-origin, so script-src 'self' allows it; its websocket needs connect-src.
    sources = "'self'" + (f" ws://{host}" if HOST_HEADER.match(host) else "")
    page = CSP_META.sub(lambda m: m[1] + m[2] + f"; connect-src {sources}".encode() + m[3], page, count=1)
    script = f'<script src="{script_path}?port={port}" defer></script>'.encode()
    return page.replace(b"</head>", script + b"</head>", 1)


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
    where = problem.path.as_posix() + (f":{problem.line}" if problem.line else "")
    hint = f'<p class="hint">hint: {html.escape(problem.hint)}</p>' if problem.hint else ""
    return (
        f'<li><p class="where"><code>{html.escape(where)}</code></p>'
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
        if path.startswith(f"/{BUNDLE_FOLDER}/"):
            await self.send_search_file(path.removeprefix("/"))
            return
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

    async def send_search_file(self, output_path: str) -> None:
        try:
            files = await self.served.search.files_for(self.served.pages)
        except Exception as error:
            problems = flatten(error)
            text = "\n".join(map(str, problems)) if problems else "".join(traceback.format_exception(error))
            print(f"\nThe search index could not be built:\n{text}", file=sys.stderr, flush=True)
            self.send(500, "error.txt", text.encode())
            return
        if output_path in files:
            self.send(200, output_path, files[output_path])
        else:
            self.send_not_found()

    def send_not_found(self) -> None:
        self.send(404, "404.html", self.served.pages.get("404.html", b"<!doctype html><h1>Not found</h1>"))

    def send(self, status: int, output_path: str, data: bytes) -> None:
        self.set_status(status)
        self.set_header("Content-Type", content_type(output_path))
        if output_path.endswith(".html"):
            self.served.shown[self.request.path] = self.served.generation
            data = for_preview(data, self.request.host, self.served.port, self.script_path)
        self.finish(data)


def make_app(served: Served, link: BrowserLink) -> tornado.web.Application:
    pages = (r"/.*", PageHandler, {"served": served, "script_path": link.script_path})
    return tornado.web.Application([*link.routes, pages], log_function=log_request)


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
    link = livereload_link(served.greet)
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
        served = Served(outcome.pages, outcome.failure, actual_port, SearchIndex(preview.search_bundle))
        asyncio.run(run_server(sockets, served, preview, snapshot))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server took over the signal
    print("Preview stopped.", flush=True)
    return 0
