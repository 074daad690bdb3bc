"""The live preview without a browser: what a save rebuilds, that rebuilt pages equal a clean build, the
watcher, the error page, and the real server in a subprocess (paths, binding, Ctrl-C, a taken port, the
host names and origins it answers, its live-reload websocket)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
import tornado.httpclient
import tornado.websocket
from conftest import read_tree, run

from manifesto import load, render
from manifesto.errors import BuildError, flatten
from manifesto.load import load_sources
from manifesto.memo import Memo, MemoryStore
from manifesto.model import Site
from manifesto.parse import parse_site
from manifesto.pipeline import render_all, source_area
from manifesto.preview import Failure, Preview, Rebuild
from manifesto.render import RenderOptions, make_env, plan_pages, render_page, render_page_unless
from manifesto.serve import (
    TAB_WAIT_SECONDS,
    BrowserLink,
    Served,
    error_page,
    own_hosts,
    publish,
    tab_message,
)
from manifesto.watch import changed_paths, scan

REPO = Path(__file__).resolve().parent.parent
OPTIONS = RenderOptions(drafts=True)
DEADLINE_SECONDS = 15

NEW_ARTICLE = """\
---
title: A third op-ed
author: Cy Third
chapter: local-power
chapters: [fair-funding]
summary: A newcomer.
---

Local power needs local money.
"""


def site_of(root: Path) -> Site:
    return parse_site(load_sources(root), drafts=True)


def apply(root: Path, changes: dict[str, str | None]) -> set[str]:
    """Write (or, for None, delete) files; return the changed paths as the watcher reports them."""
    for relative, text in changes.items():
        path = root / relative
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return set(changes)


def edited(root: Path, relative: str, old: str, new: str) -> dict[str, str | None]:
    text = (root / relative).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    return {relative: text.replace(old, new)}


# --- What a change makes again ---------------------------------------------------------------------


def test_an_op_ed_text_edit_makes_only_the_pages_that_read_its_text_again(
    make_site: Callable[..., Path],
) -> None:
    """Pages that show only its reading time (chapters, author, home) stand while that is unchanged."""
    root = make_site()
    preview = Preview(root)
    preview.rebuild()
    changes = edited(root, "content/articles/first-op-ed.md", "that line is thinning", "that line is thin")
    outcome = preview.rebuild(apply(root, changes))
    pages = {path for path in outcome.rendered if not path.startswith("search/data/")}
    assert pages == {"articles/first-op-ed/index.html", "manifesto/index.html", "feed.xml"}
    assert "search/data/text/articles/first-op-ed.txt" in outcome.rendered


def test_a_title_edit_makes_every_page_again_and_no_change_makes_nothing(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    preview = Preview(root)
    preview.rebuild()
    assert not preview.rebuild(set()).rendered
    changes = edited(root, "content/articles/second-op-ed.md", "title: A second voice", "title: Zebra")
    outcome = preview.rebuild(apply(root, changes))
    assert {path for path in preview.pages if path.endswith(".html")} <= outcome.rendered


@pytest.mark.parametrize(
    ("path", "area"),
    [
        ("site.yaml", "site"),
        ("templates/base.html", "site"),
        ("templates/partials/nav.html", "site"),
        ("templates/assets/style.css", "asset"),
        ("content/images/meeting.jpg", "asset"),
        ("content/articles/x.md", "site"),
        ("content/articles/2024/x.md", "site"),
        ("content/chapters/x.md", "site"),
        ("content/pages/about.md", "site"),
        ("content/articles/x.cy.md", "site"),
        ("templates/locales/cy/LC_MESSAGES/messages.po", "site"),
        ("content/articles/.x.md.swp", None),
        ("content/articles/x.md~", None),
        ("content/articles/4913", None),  # vim's test write
        ("content/articles/notes.txt", None),
        ("content/drafts/x.md", None),
        ("README.md", None),
    ],
)
def test_each_changed_file_is_classified_by_what_the_build_reads(path: str, area: str | None) -> None:
    assert source_area(path) == area


# --- Incremental rebuilds equal a clean build ----------------------------------------------------------


def served_files(preview: Preview, *, search: bool = True) -> dict[str, bytes]:
    """Everything the preview serves (with or without the search index)."""
    pages = preview.pages
    return pages if search else {p: d for p, d in pages.items() if not p.startswith("search/data/")}


def clean_render(root: Path, *, search: bool = True) -> dict[str, bytes]:
    pages = render_all(root, OPTIONS).pages
    return pages if search else {p: d for p, d in pages.items() if not p.startswith("search/data/")}


def test_rebuilds_after_a_sequence_of_edits_equal_a_clean_render(make_site: Callable[..., Path]) -> None:
    root = make_site()
    preview = Preview(root)
    first = preview.rebuild()
    assert first.failure is None and served_files(preview) == clean_render(root)

    def step(changes: dict[str, str | None], *, search: bool = False) -> frozenset[str]:
        outcome = preview.rebuild(apply(root, changes))
        assert outcome.failure is None, outcome.failure
        assert outcome.news
        # The search index is compared now and then, the pages every time.
        assert served_files(preview, search=search) == clean_render(root, search=search)
        return outcome.rendered

    article = "content/articles/first-op-ed.md"
    step(edited(root, article, 'title: "Councils are the', 'title: "Now the'))
    rendered = step(edited(root, article, "that line is thinning", "that line is *thinning*"))
    assert "authors/ben-sample/index.html" not in rendered
    step(edited(root, "content/articles/second-op-ed.md", "fair-funding", "fair-funding\norder: 9"))
    step({"content/articles/third-op-ed.md": NEW_ARTICLE}, search=True)
    link = " See [the second op-ed](second-op-ed.md#a-second-voice-joins-the-argument)."
    step({"content/articles/second-op-ed.md": None, **edited(root, article, link, "")})
    step(edited(root, "content/articles/third-op-ed.md", "A newcomer.", "A newcomer.\ndraft: true"))
    step(edited(root, "content/chapters/local-power.md", "Local power", "Power to the people"))
    text = (root / "content/articles/third-op-ed.md").read_text()
    step({"content/articles/third-op-ed.md": None, "content/articles/moved.md": text})
    restyled = preview.rebuild(
        apply(root, edited(root, "templates/assets/style.css", "", "h1 { color: red; }\n"))
    )
    assert restyled.reload_paths == ("/assets/style.css",)  # swapped in the open tabs, not reloaded
    assert served_files(preview) == clean_render(root)
    # A stylesheet saved with an op-ed that renders the same: the restyled pages are still news.
    moved = (root / "content/articles/moved.md").read_text()
    step(edited(root, "templates/assets/style.css", "red", "blue") | {"content/articles/moved.md": moved})

    good = dict(preview.pages)
    broken = preview.rebuild(apply(root, edited(root, article, "title:", "title: [unclosed")))
    assert broken.failure is not None and broken.failure.problems[0].path.as_posix() == article
    assert preview.pages == good  # the last good pages stay
    assert preview.rebuild(apply(root, {"content/articles/moved.md": None})).failure is not None
    fixed = preview.rebuild(apply(root, edited(root, article, "title: [unclosed", "title:")))
    assert fixed.failure is None and fixed.recovered
    assert served_files(preview) == clean_render(root)
    # The page open in the browser first (an unaffected open page is left alone), then the rest.
    open_page = "articles/first-op-ed/index.html"
    changes = edited(root, article, 'title: "Now the', 'title: "Then the')
    early = preview.rebuild(apply(root, changes), first=frozenset({open_page, "about/index.html"}))
    assert early.changed == {open_page} and early.rendered == {open_page, "about/index.html"}
    deferred = set(preview.deferred)
    assert {"manifesto/index.html", "feed.xml"} <= deferred
    finished = preview.finish()
    assert {"manifesto/index.html", "feed.xml"} <= finished.rendered <= deferred and not preview.deferred
    assert served_files(preview) == clean_render(root)
    assert served_files(preview, search=False) == clean_render(root, search=False)
    step(edited(root, "templates/article.html", "Share this op-ed", "Pass it on"))
    step(edited(root, "site.yaml", "Councils First", "Councils Second"), search=True)


def test_the_preview_follows_edits_of_either_language_and_of_the_catalogues(
    make_site: Callable[..., Path],
) -> None:
    from test_languages import BILINGUAL

    root = make_site(BILINGUAL)
    preview = Preview(root)
    assert preview.rebuild().failure is None and served_files(preview) == clean_render(root)

    def step(changes: dict[str, str | None]) -> frozenset[str]:
        outcome = preview.rebuild(apply(root, changes))
        assert outcome.failure is None, outcome.failure
        assert served_files(preview) == clean_render(root)
        return outcome.rendered

    welsh = "content/articles/first-op-ed.cy.md"
    assert "cy/articles/y-llinell-olaf/index.html" in step(
        edited(root, welsh, "honno’n teneuo", "honno’n teneuo’n gyflym")
    )
    step(edited(root, "content/articles/first-op-ed.md", "that line is thinning", "that line is *thinning*"))
    rendered = step(
        edited(root, "templates/locales/cy/LC_MESSAGES/messages.po", 'msgstr "Hafan"', 'msgstr "Cartref"')
    )
    assert "cy/index.html" in rendered and "index.html" not in rendered  # the English pages stand
    assert "Cartref" in preview.pages["cy/articles/y-llinell-olaf/index.html"].decode()
    step({"content/pages/about.cy.md": None})


def test_a_bug_of_ours_is_reported_with_its_traceback_and_the_pages_stay(
    make_site: Callable[..., Path],
) -> None:
    preview = Preview(make_site())
    good = preview.rebuild().pages

    def broken() -> frozenset[str]:
        return {}["no such key"]

    outcome = preview.attempt(broken)
    assert outcome.failure is not None and "KeyError: 'no such key'" in outcome.failure.traceback
    assert outcome.pages == good == preview.pages


def test_files_the_build_does_not_read_rebuild_nothing(make_site: Callable[..., Path]) -> None:
    root = make_site()
    preview = Preview(root)
    preview.rebuild()
    outcome = preview.rebuild(apply(root, {"content/articles/.first-op-ed.md.swp": "x"}))
    assert not outcome.news


# --- The session's memo: what a save did not change is not read, parsed or converted again -------------


@pytest.fixture
def files_look_old(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every file as if it had been saved long before, so that their stamps may be trusted
    (files saved within 2 s of being read are read again, and the tests' files are all that recent)."""
    later = load.RACY_NS * 5
    monkeypatch.setattr(load, "time", SimpleNamespace(time_ns=lambda: time.time_ns() + later))


def rewrite(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that its change time moves: a real save after the file was read.

    Within one tick of the file system's clock a save keeps the stamp; a file read that soon after its
    last save is read again, but files_look_old makes every file look old.
    """
    before = path.stat().st_ctime_ns
    path.write_text(text, encoding="utf-8")
    while path.stat().st_ctime_ns == before:
        time.sleep(0.005)  # until the clock ticks, then save again
        path.write_text(text, encoding="utf-8")


def test_a_rebuild_reads_again_only_the_files_whose_stamp_changed(
    make_site: Callable[..., Path], files_look_old: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    preview = Preview(root)
    preview.rebuild()
    read: list[str] = []
    real_read_bytes = load.read_bytes
    monkeypatch.setattr(load, "read_bytes", lambda path: read.append(path) or real_read_bytes(path))
    path = root / "content/articles/first-op-ed.md"
    original = path.read_text(encoding="utf-8")
    # A same-size edit that keeps the modification time, as a coarse clock or a tool would: the change
    # time still moves.
    info = path.stat()
    rewrite(path, original.replace("thinning", "THINNING"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert preview.rebuild({"content/articles/first-op-ed.md"}).failure is None
    assert [Path(name).relative_to(root).as_posix() for name in read if "/content/" in name] == [
        "content/articles/first-op-ed.md"
    ]
    assert "THINNING" in preview.pages["articles/first-op-ed/index.html"].decode()
    assert served_files(preview) == clean_render(root)


def test_front_matter_with_a_mistake_is_not_kept_and_is_reported_as_without_the_memo(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    memo = Memo(MemoryStore())
    parse_site(load_sources(root), drafts=True, memo=memo)
    memo.save()
    article = "content/articles/second-op-ed.md"
    apply(root, edited(root, article, "title:", "title: [unclosed"))
    with pytest.raises((BuildError, ExceptionGroup)) as memoised_error:
        parse_site(load_sources(root), drafts=True, memo=memo)
    with pytest.raises((BuildError, ExceptionGroup)) as plain_error:
        parse_site(load_sources(root), drafts=True)
    assert list(map(str, flatten(memoised_error.value) or [])) == list(
        map(str, flatten(plain_error.value) or [])
    )
    assert len(memo.used["front-matter"]) == len(load_sources(root).files) - 1


def test_rebuilds_from_the_session_caches_equal_a_clean_render(
    make_site: Callable[..., Path], files_look_old: None
) -> None:
    root = make_site()
    preview = Preview(root)
    assert preview.rebuild().failure is None
    assert preview.memo.known["body"] and preview.memo.known["front-matter"]

    def step(changes: dict[str, str | None], first: frozenset[str] | None = None) -> Rebuild:
        for relative, text in changes.items():
            path = root / relative
            if text is None:
                path.unlink()
            elif path.exists():
                rewrite(path, text)
            else:
                path.write_text(text, encoding="utf-8")
        outcome = preview.rebuild(set(changes), first=first)
        if outcome.failure is None:
            preview.finish()
            assert served_files(preview, search=False) == clean_render(root, search=False)
        return outcome

    article = "content/articles/first-op-ed.md"
    original = (root / article).read_text(encoding="utf-8")
    open_page = frozenset({"articles/first-op-ed/index.html"})
    step(edited(root, article, "that line is thinning", "that line is *thinning*"), open_page)
    step({article: original}, open_page)  # as it was
    step({"content/articles/third-op-ed.md": NEW_ARTICLE})
    step(edited(root, "content/articles/third-op-ed.md", "Local power needs", "Local power wants"))
    step({"content/articles/third-op-ed.md": None})
    assert step(edited(root, article, "title:", "title: [unclosed")).failure is not None
    assert step({article: original}, open_page).recovered
    assert len(preview.memo.known["body"]) == len(load_sources(root).files)  # no body of the past


def test_pages_left_for_later_stop_half_way_when_a_file_is_saved(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "STOP_CHECK_SECONDS", 0.0)  # asked after every piece of a page
    root = make_site()
    preview = Preview(root)
    preview.rebuild()
    site = site_of(root)
    env = make_env(root / "templates", site, load_sources(root).assets, OPTIONS)
    for job in plan_pages(site, OPTIONS):
        page = render_page_unless(env, job, root / "templates", root, lambda: False)
        assert page == render_page(env, job, root / "templates", root)
    article = "content/articles/first-op-ed.md"
    changes = edited(root, article, "that line is thinning", "that line is thin")
    preview.rebuild(apply(root, changes), first=frozenset({"articles/first-op-ed/index.html"}))
    deferred, before = set(preview.deferred), dict(preview.pages)
    asked: list[bool] = []

    def saved() -> bool:  # a save arrives while the first page left for later is being made
        asked.append(True)
        return len(asked) > 3

    outcome = preview.finish(saved)
    assert not outcome.news and preview.deferred == deferred and preview.pages == before
    finished = preview.finish()
    assert finished.rendered <= deferred and "manifesto/index.html" in finished.rendered
    assert not preview.deferred and served_files(preview) == clean_render(root)


def test_pages_left_for_later_wait_until_the_reloaded_tabs_are_back() -> None:
    pages = {"articles/x/index.html": b"x", "articles/y/index.html": b"y"}
    served = Served(pages, failure=None, port=8000)
    x, y = "http://127.0.0.1:8000/articles/x/", "http://127.0.0.1:8000/articles/y/"
    told: list[str] = []

    def notify(path: str, only: Callable[[str], bool] | None) -> None:
        told.extend(url for url in (x, y) if only is None or only(url))

    link = BrowserLink([], "/livereload.js", notify, lambda: [x, y], lambda: None)
    for url in (x, y):
        served.greet(url)
    changed = frozenset({"articles/x/index.html"})
    publish(served, link, Rebuild(pages, changed, changed, ("/",), None, False, 0.0))
    assert told == [x]  # the tab showing y has nothing new
    now = served.reloading_since  # when they were told, not when this line runs on a busy machine
    assert served.tabs_reloading(now)
    served.shown["articles/x/index.html"] = served.generation  # the new page is sent…
    assert served.tabs_reloading(now)  # …and the tab is still loading it
    assert not served.greet(x)  # back, with its new page
    assert not served.tabs_reloading(now)
    # A tab that does not come back (closed, throttled) is waited for TAB_WAIT_SECONDS at most.
    publish(served, link, Rebuild(pages, changed, changed, ("/",), None, False, 0.0))
    assert served.tabs_reloading(served.reloading_since + TAB_WAIT_SECONDS * 0.9)
    assert not served.tabs_reloading(served.reloading_since + TAB_WAIT_SECONDS)
    # A stylesheet swapped in place reloads no tab.
    publish(served, link, Rebuild(pages, changed, changed, ("/assets/style.css",), None, False, 0.0))
    assert not served.tabs_reloading(served.reloading_since)


# --- The error page -------------------------------------------------------------------------------------


def test_the_error_page_lists_each_problem_escaped() -> None:
    failure = Failure(
        (
            BuildError(
                "content/articles/<b>.md", 4, "unknown chapter '<script>alert(1)</script>'", "try & see"
            ),
            BuildError("site.yaml", None, "no title"),
        )
    )
    page = error_page(failure).decode()
    assert "The site cannot be built: 2 problems" in page
    assert "<code>content/articles/&lt;b&gt;.md:4</code>" in page
    assert "unknown chapter &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in page
    assert "hint: try &amp; see" in page
    assert "<code>site.yaml</code>" in page
    assert "<script>alert" not in page


def test_the_error_page_shows_our_own_bugs_with_their_traceback() -> None:
    page = error_page(Failure(traceback="Traceback …\n  File \"x.py\", line 1\nKeyError: '<x>'")).decode()
    assert "a bug in the generator, not a mistake in your files" in page
    assert "KeyError: &#x27;&lt;x&gt;&#x27;" in page


def test_a_tab_that_reconnects_after_a_change_to_its_page_is_stale() -> None:
    pages = {"articles/x/index.html": b"x", "articles/y/index.html": b"y"}
    served = Served(pages, failure=None, port=8000)
    served.shown |= dict.fromkeys(pages, served.generation)
    assert not served.is_stale("http://127.0.0.1:8000/articles/x/")
    changed = frozenset({"articles/x/index.html"})
    served.publish(Rebuild(pages, changed, changed, ("/",), None, False, 0.0))
    assert served.is_stale("http://127.0.0.1:8000/articles/x/")  # it was reloading when told
    assert not served.is_stale("http://127.0.0.1:8000/articles/y/")  # its page did not change
    assert served.is_stale("http://127.0.0.1:8000/never-sent/")


# --- The watcher ----------------------------------------------------------------------------------------


def test_the_watcher_sees_a_same_size_rewrite_within_one_timestamp(make_site: Callable[..., Path]) -> None:
    root = make_site()
    path = root / "content/articles/second-op-ed.md"
    before = scan(root)
    info = path.stat()
    path.write_text(path.read_text().replace("second voice", "second VOICE"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # as a coarse file-system clock would
    assert path.stat().st_size == info.st_size
    assert changed_paths(before, scan(root, before)) == {"content/articles/second-op-ed.md"}


def test_the_watcher_sees_renames_and_survives_vanished_folders(make_site: Callable[..., Path]) -> None:
    root = make_site()
    before = scan(root)
    temporary = root / "content/articles/.second-op-ed.md.tmp"
    temporary.write_text("---\ntitle: x\n---\n")
    os.replace(temporary, root / "content/articles/second-op-ed.md")  # how many editors save
    (root / "content/pages").rename(root / "content/old-pages")
    after = scan(root, before)
    assert changed_paths(before, after) == {
        "content/articles/second-op-ed.md",
        "content/pages/about.md",
        "content/old-pages/about.md",
    }
    assert changed_paths(after, scan(root, after)) == set()


# --- The server, in a subprocess ------------------------------------------------------------------------


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str = ""
    port: int = 0
    output: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)


def read_output(running: Running) -> None:
    assert running.process.stdout is not None
    for line in running.process.stdout:
        running.output.append(line)
        if match := re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line):
            running.url, running.port = match[1], int(match[2])
            running.started.set()


def read_errors(running: Running) -> None:
    assert running.process.stderr is not None
    running.errors.extend(running.process.stderr)


@contextmanager
def server(root: Path, *args: str) -> Iterator[Running]:
    """``python build.py serve`` on a free port; stopped with SIGINT, which must end it cleanly."""
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", *args]
    if "--port" not in args:
        command += ["--port", "0"]
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    running = Running(process)
    readers = [threading.Thread(target=read, args=(running,)) for read in (read_output, read_errors)]
    for reader in readers:
        reader.start()
    try:
        assert running.started.wait(DEADLINE_SECONDS), "the preview did not start"
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=DEADLINE_SECONDS)
        for reader in readers:
            reader.join(timeout=DEADLINE_SECONDS)
    errors = "".join(running.errors)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors, errors
    assert "".join(running.output).endswith("Preview stopped.\n")


def get(running: Running, path: str, host: str = "") -> tuple[int, dict[str, str], str]:
    """A raw GET (http.client sends the path exactly as given, '..' and all), with ``host`` as its Host."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=DEADLINE_SECONDS)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def wait_for(running: Running, path: str, check: Callable[[int, str], bool]) -> str:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status, _, body = get(running, path)
        if check(status, body):
            return body
    pytest.fail(f"{path} never passed the check; last answer {status}:\n{body[:2000]}")


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses listening on ``port``, from the kernel's socket table."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host, local_port = local.split(":")
        if int(local_port, 16) == port and state == "0A":
            addresses.add(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
    return addresses


DRAFT = NEW_ARTICLE.replace("summary: A newcomer.", "summary: A newcomer.\ndraft: true")


def test_the_preview_is_served_from_memory_on_loopback(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/articles/third-op-ed.md": DRAFT})
    with server(root) as running:
        status, _, body = get(running, "/articles/third-op-ed/")
        assert status == 200 and '<strong class="draft-mark">Draft</strong>' in body
        status, headers, body = get(running, "/articles/first-op-ed/")
        assert status == 200 and headers["Cache-Control"] == "no-store"
        assert '<script src="/livereload.js?port=' in body
        assert f"connect-src 'self' ws://127.0.0.1:{running.port}\">" in body
        assert "Preview: drafts are shown" in body
        assert get(running, "/livereload.js")[0] == 200
        assert get(running, "/search/")[0] == 200
        status, headers, body = get(running, "/search/data/documents.json")  # the index, built on request
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert '"/articles/third-op-ed/"' in body  # drafts are searchable in the preview
        assert get(running, "/articles/first-op-ed")[0] == 302
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(running.port) == {"127.0.0.1"}
    assert not (root / "_site").exists()


def test_the_passage_id_tools_are_in_the_preview_and_never_in_a_build(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with server(root) as running:
        status, _, body = get(running, "/articles/first-op-ed/")
        assert status == 200
        assert '<script src="/_preview/passage-ids.js" defer></script>' in body
        assert '<link rel="stylesheet" href="/_preview/passage-ids.css">' in body
        status, headers, script = get(running, "/_preview/passage-ids.js")
        assert status == 200 and headers["Content-Type"].startswith("text/javascript")
        assert "Copy source" in script
        status, headers, style = get(running, "/_preview/passage-ids.css")
        assert status == 200 and headers["Content-Type"].startswith("text/css") and ".passage-id" in style
        assert get(running, "/_preview/other.js")[0] == 404
    assert run(root) == 0
    for path, data in read_tree(root / "_site").items():
        assert b"_preview" not in data and b"passage-id" not in data and b"Copy source" not in data, path


TRAVERSALS = [
    "/../site.yaml",
    "/%2e%2e/site.yaml",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/..%2fsite.yaml",
    "/assets/../../site.yaml",
    "/assets/%2e%2e/%2e%2e/content/articles/first-op-ed.md",
    "/assets/..%5c..%5csite.yaml",
    "//etc/passwd",
    "/%2fetc/passwd",
    "/site.yaml",
    "/content/articles/first-op-ed.md",
    "/templates/base.html",
    "/assets/%252e%252e/site.yaml",
]


def test_paths_outside_the_preview_are_not_found(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with server(root) as running:
        for path in TRAVERSALS:
            status, _, body = get(running, path)
            assert status == 404, path
            assert "Page not found" in body and "imprint" not in body.split("<main")[0], path


def test_a_symlink_out_of_the_project_is_refused_not_served(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site()
    (tmp_path / "secret.txt").write_text("the secret")
    (root / "templates/assets/leak.txt").symlink_to(tmp_path / "secret.txt")
    with server(root) as running:
        status, _, body = get(running, "/assets/leak.txt")
        assert status == 404 and "the secret" not in body
        status, _, body = get(running, "/")
        assert status == 500 and "templates/assets/leak.txt" in body and "outside the project folder" in body


def test_a_broken_edit_shows_the_error_page_and_a_fix_recovers(make_site: Callable[..., Path]) -> None:
    root = make_site()
    article = root / "content/articles/second-op-ed.md"
    with server(root) as running:
        article.write_text(article.read_text().replace("chapter: fair-funding", "chapter: fair-fundng"))
        body = wait_for(running, "/articles/second-op-ed/", lambda status, _: status == 500)
        assert (
            "content/articles/second-op-ed.md:4" in body and "did you mean &#x27;fair-funding&#x27;" in body
        )
        assert "Previous in this chapter" not in body
        fixed = root / "content/articles/.second-op-ed.md.tmp"
        fixed.write_text(
            article.read_text()
            .replace("fair-fundng", "fair-funding")
            .replace("title: A second", "title: A 2nd")
        )
        os.replace(fixed, article)  # as editors that save through a temporary file do
        wait_for(running, "/articles/second-op-ed/", lambda status, body: status == 200 and "2nd" in body)
        (root / "content/pages").rename(root / "content/gone")  # the nav's /about/ goes missing
        wait_for(running, "/", lambda status, body: status == 500 and "links to /about/" in body)
        (root / "content/gone").rename(root / "content/pages")
        wait_for(running, "/about/", lambda status, body: status == 200 and "About this platform" in body)
    assert "Rebuilt" in "".join(running.output)


def test_ctrl_c_stops_cleanly_and_the_port_can_be_used_again(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for _ in range(2):
        with server(root, "--port", str(port)) as running:
            assert running.port == port
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE_SECONDS)
            connection.request("GET", "/")  # left open: a browser keeps its connection alive
            assert connection.getresponse().status == 200
        connection.close()


def test_a_port_in_use_is_reported_with_a_free_one(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
        )
    assert result.returncode == 1
    assert re.fullmatch(rf"port {port} is in use; try --port \d+\n", result.stderr)


def test_a_folder_without_site_yaml_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(tmp_path), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 1
    assert "site.yaml: no site.yaml in" in result.stderr


def test_the_preview_warns_of_a_placeholder_in_site_yaml_at_the_start_and_when_it_is_saved(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import SITE_YAML

    from manifesto.serve import report

    root = make_site({"site.yaml": SITE_YAML.replace("Jo Bloggs", '"Your name (set it in site.yaml)"')})
    preview = Preview(root)
    report(preview.rebuild(), None)
    warning = "site.yaml:7: warning: 'imprint → promoter' is still the sample's placeholder"
    assert warning in capsys.readouterr().err
    changes = edited(root, "content/articles/first-op-ed.md", "that line is thinning", "that line is thin")
    report(preview.rebuild(apply(root, changes)), changes)
    assert warning not in capsys.readouterr().err  # not repeated on every save
    changes = edited(root, "site.yaml", '"Your name (set it in site.yaml)"', "Jo Bloggs")
    outcome = preview.rebuild(apply(root, changes))
    report(outcome, changes)
    assert outcome.failure is None and outcome.warnings == () and "warning" not in capsys.readouterr().err


def test_the_preview_answers_only_the_host_names_it_was_started_for(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with server(root) as running:
        port = running.port
        for host in (f"localhost:{port}", f"LocalHost:{port}", f"[::1]:{port}", f"127.0.0.1:{port}"):
            status, _, body = get(running, "/", host)
            assert status == 200 and f"connect-src 'self' ws://{host}\">" in body, host
        # A page on another name that resolves to this computer (DNS rebinding) reads nothing; tornado
        # itself answers 400 to a malformed name.
        for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1:{port + 1}", 'evil"; x'):
            status, _, body = get(running, "/articles/first-op-ed/", host)
            assert status in {400, 421} and "first-op-ed" not in body and "attacker" not in body, host


def test_a_folder_address_redirects_within_the_site_never_to_another_host(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    with server(root) as running:
        for path, target in (
            ("/chapters", "/chapters/"),
            ("//chapters", "/chapters/"),
            ("///about", "/about/"),
        ):
            status, headers, _ = get(running, path)
            assert (status, headers["Location"]) == (302, target), path


async def talk_to_live_reload(port: int, origin: str, messages: list[str]) -> list[dict[str, object]]:
    """Connect to the preview's live-reload socket from a page at ``origin`` (by the preview's own name,
    as a browser does after DNS rebinding), send ``messages`` and return the answers received."""
    own_name = origin if "attacker" not in origin else f"http://127.0.0.1:{port}"
    headers = {"Origin": origin, "Host": own_name.removeprefix("http://")}
    request = tornado.httpclient.HTTPRequest(
        f"ws://127.0.0.1:{port}/livereload", headers=headers, connect_timeout=DEADLINE_SECONDS
    )
    socket_ = await tornado.websocket.websocket_connect(request)
    answers = []
    with contextlib.suppress(tornado.websocket.WebSocketClosedError):  # the server may close it
        for message in messages:
            await socket_.write_message(message)
        await socket_.write_message('{"command": "hello"}')  # answered: every message before it was read
    while (answer := await asyncio.wait_for(socket_.read_message(), DEADLINE_SECONDS)) is not None:
        answers.append(json.loads(answer))
        if answers[-1].get("command") == "hello":
            break
    socket_.close()
    return answers


def test_the_live_reload_socket_hears_only_pages_of_the_preview(make_site: Callable[..., Path]) -> None:
    root = make_site()
    with server(root) as running:
        port = running.port
        with pytest.raises(tornado.httpclient.HTTPClientError, match="403"):
            asyncio.run(talk_to_live_reload(port, "http://attacker.example", []))
        with pytest.raises(tornado.httpclient.HTTPClientError, match="403"):
            asyncio.run(talk_to_live_reload(port, f"http://attacker.example:{port}", []))
        hostile = ["[1,2]", "null", "not json", '{"command": ["info"]}', "[" * 4000 + "]" * 4000]
        hostile += ['{"command": "info", "url": "http://attacker.example/"}', '{"command": "info"}']
        answers = asyncio.run(talk_to_live_reload(port, f"http://127.0.0.1:{port}", hostile))
        assert [answer["command"] for answer in answers] == ["hello"]
        # A message longer than any a tab sends closes the socket.
        too_long = json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/" + "x" * 10_000})
        assert asyncio.run(talk_to_live_reload(port, f"http://127.0.0.1:{port}", [too_long])) == []
        # A page shown before the last change is told to reload at once; a well-formed hello is answered.
        page = json.dumps({"command": "info", "url": f"http://localhost:{port}/articles/first-op-ed/"})
        answers = asyncio.run(talk_to_live_reload(port, f"http://localhost:{port}", [page]))
        assert [answer["command"] for answer in answers] == ["reload", "hello"]
    # server() has checked that no message printed a traceback.


def test_tab_messages_are_checked_and_what_tabs_say_is_kept_by_page_not_by_address() -> None:
    hosts = own_hosts("127.0.0.1", 8000)
    assert hosts == {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"}
    assert own_hosts("::1", 80) == {
        "127.0.0.1:80",
        "localhost:80",
        "[::1]:80",
        "127.0.0.1",
        "localhost",
        "[::1]",
    }
    assert own_hosts("192.168.1.5", 8001) == hosts.__class__(h.replace("8000", "8001") for h in hosts) | {
        "192.168.1.5:8001"
    }
    info = {"command": "info", "url": "http://localhost:8000/articles/x/"}
    assert tab_message(json.dumps(info), hosts) == info
    for bad in ("[1,2]", "1", '"info"', "{", '{"command": "info", "url": 5}', '{"command": "reload"}'):
        assert tab_message(bad, hosts) is None, bad
    for url in ("http://attacker.example:8000/", "javascript:alert(1)", "https://localhost:8000/", "//x"):
        assert tab_message(json.dumps({"command": "info", "url": url}), hosts) is None, url
    pages = {"articles/x/index.html": b"x"}
    served = Served(pages, failure=None, port=8000, hosts=hosts)
    for number in range(1000):  # tabs that say they show ever new addresses keep nothing new
        served.greet(f"http://localhost:8000/articles/x/?{number}")
        served.greet(f"http://localhost:8000/nowhere-{number}/")
    assert set(served.greeted) == {"articles/x/index.html", None}
