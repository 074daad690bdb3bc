"""Benchmark the live preview: time from saving a file to the browser's load event of the updated page.

    python bench/preview.py                    # the repo's own site, and a generated one of 1,000 op-eds
    python bench/preview.py --root DIR --articles 1000 --edits 10

The site is copied (or generated, by bench/corpus.py like the build benchmark's: ~800-word op-eds over six
chapters) into a temporary folder, so the benchmark never edits your files. Needs Playwright (Python) and
a Chromium: CHROMIUM_PATH, or /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from corpus import make_project  # the build benchmark's synthetic sites (the peers' shared generator)
from playwright.sync_api import Browser, Error, Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
REAL_SITE_ARTICLES = 30  # a campaign platform's usual size, used when the root has no site yet
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]


def copy_site(source: Path, target: Path) -> None:
    shutil.copytree(source / "templates", target / "templates")
    shutil.copytree(source / "content", target / "content")
    shutil.copy2(source / "site.yaml", target / "site.yaml")


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def seconds(self, label: str, lines: list[str] | None = None) -> list[float]:
        """The server's own times from its log lines ("Rebuilt 1 file in 0.21 s", "Then rebuilt …")."""
        pattern = re.compile(rf"{label} \d+ files? in ([0-9.]+) s")
        return [
            float(m[1]) for line in (self.lines if lines is None else lines) if (m := pattern.match(line))
        ]

    def after_last_rebuild(self) -> list[str]:
        rebuilt = [number for number, line in enumerate(self.lines) if line.startswith("Rebuilt ")]
        return self.lines[rebuilt[-1] + 1 :] if rebuilt else []

    def the_rest_seconds(self, timeout: float = 60) -> float:
        """How long the pages left for later by the last edit took (they are stopped by each new save, so
        only the last edit's are rendered in full), once the server has logged them."""
        deadline = time.monotonic() + timeout
        while not self.seconds("Then rebuilt", self.after_last_rebuild()) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the server's log, with a deadline
        seconds = self.seconds("Then rebuilt", self.after_last_rebuild())
        return sum(seconds) if seconds else float("nan")

    def first_build_seconds(self) -> float:
        return next(float(m[1]) for line in self.lines if (m := re.match(r"Built .* in ([0-9.]+) s", line)))


def read_lines(server: Server) -> None:
    assert server.process.stdout is not None
    for line in server.process.stdout:
        server.lines.append(line)
        if match := re.search(r"at (http://\S+/) ", line):
            server.url = match[1]
            server.ready.set()


@contextmanager
def preview_server(root: Path) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    server = Server(process)
    reader = threading.Thread(target=read_lines, args=(server,))
    reader.start()
    try:
        if not server.ready.wait(600):
            raise SystemExit("the preview did not start")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join()


def article_to_edit(root: Path) -> tuple[Path, str]:
    """The middle op-ed (file, URL path): a typical one, with neighbours on both sides."""
    sys.path.insert(0, str(REPO))
    from manifesto.load import load_sources
    from manifesto.parse import parse_site

    site = parse_site(load_sources(root), drafts=True)
    article = site.articles[len(site.articles) // 2]
    return root / article.source_path, article.url_path


def wait_until_connected(page: Page) -> None:
    """Until the page's live-reload socket is open: a save before that would reach no tab."""
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol")


def shows(page: Page, text: str) -> bool:
    try:
        return text in page.content()
    except Error:  # navigating again
        return False


def save_to_load_seconds(browser: Browser, url: str, source: Path, edits: int) -> list[float]:
    """Append a line to the op-ed, then time from the save to the load event of the page showing it.

    The wait is passive (the page's own load event), so Playwright does no work in the page while it
    loads; polling it (expect, wait_for_function) was seen to add ~50 ms on a two-core machine.
    """
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    original = source.read_text(encoding="utf-8")
    timings = []
    try:
        for number in range(edits):
            wait_until_connected(page)
            marker = f"Benchmark edit {number}."
            with page.expect_event("load"):
                source.write_text(f"{original}\n{marker}\n", encoding="utf-8")
                saved = time.time()
            while not shows(page, marker):  # a load of an intermediate state: wait for the next
                page.wait_for_event("load")
            loaded = page.evaluate(
                "() => (performance.timeOrigin"
                " + performance.getEntriesByType('navigation')[0].loadEventStart) / 1000"
            )
            timings.append(loaded - saved)
    finally:
        source.write_text(original, encoding="utf-8")
        page.close()
    return timings


@dataclass(frozen=True)
class Result:
    label: str
    articles: int
    first_build: float
    open_page: float  # the server's time to rebuild the page open in the browser, median
    the_rest: float  # then the other pages the last edit affects (manifesto, feed, …)
    save_to_load: list[float]
    goal: float

    def row(self) -> str:
        median = statistics.median(self.save_to_load)
        verdict = "yes" if median < self.goal else "no"
        return (
            f"{self.label:<28} {self.articles:>6} {self.first_build:>8.2f} s {self.open_page:>8.3f} s"
            f" {self.the_rest:>8.3f} s {median:>8.3f} s {max(self.save_to_load):>8.3f} s"
            f"   < {self.goal} s: {verdict}"
        )


HEADER = (
    f"{'site':<28} {'op-eds':>6} {'1st build':>10} {'open page':>10} {'the rest':>10}"
    f" {'save→load':>10} {'slowest':>10}   goal met"
)


def median_or_nan(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run(label: str, root: Path, edits: int, goal: float, browser: Browser) -> Result:
    source, url_path = article_to_edit(root)
    articles = len(list((root / "content/articles").rglob("*.md")))
    with preview_server(root) as server:
        timings = save_to_load_seconds(browser, server.url.rstrip("/") + url_path, source, edits)
        the_rest = server.the_rest_seconds()
    return Result(
        label,
        articles,
        server.first_build_seconds(),
        median_or_nan(server.seconds("Rebuilt")),
        the_rest,
        timings,
        goal,
    )


def chromium_path() -> str:
    path = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    if not path.is_file():
        raise SystemExit(f"no Chromium at {path}: set CHROMIUM_PATH")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="the site to measure (default: this repo)")
    parser.add_argument("--articles", type=int, default=1000, help="op-eds in the generated site (0: none)")
    parser.add_argument("--edits", type=int, default=10, help="saves measured per site")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        real = Path(work) / "real"
        if (args.root / "site.yaml").is_file():
            copy_site(args.root, real)  # a copy: the benchmark edits files
            label = "the repo's site" if args.root.resolve() == REPO else str(args.root)
        else:
            make_project(REAL_SITE_ARTICLES, real)
            label = "generated (the root has no site.yaml)"
        results.append(run(label, real, args.edits, 0.25, browser))
        if args.articles:
            generated = Path(work) / "generated"
            make_project(args.articles, generated)
            results.append(run("generated", generated, args.edits, 0.5, browser))
        browser.close()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nSave to the browser's load event of the updated page, {args.edits} edits of one op-ed")
    print(f"({os.cpu_count()} CPUs, load average {load}; server times are medians from its log):\n")
    print(HEADER)
    for result in results:
        print(result.row())
    print("\nEach save→load, in order:")
    for result in results:
        print(f"{result.label:<28} " + " ".join(f"{seconds:.3f}" for seconds in result.save_to_load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
