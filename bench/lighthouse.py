"""Lighthouse scores and page weight of the committed platform, served from memory on 127.0.0.1.

    python bench/lighthouse.py              # mobile (Lighthouse's default: emulated phone, slow 4G)
    python bench/lighthouse.py --desktop

Runs npm `lighthouse` (installed by `npm ci`) with Debian's Chromium (CHROME_PATH, else CHROMIUM_PATH, else
/usr/bin/chromium) on the home page, a chapter, an op-ed and the manifesto, and prints the accessibility,
best-practices, SEO and performance scores, the bytes each page transferred and any request that left
127.0.0.1. Then the op-ed's weight compressed as a server would send it (gzip): HTML + CSS + JS, the
search index left out (it loads only on the search page, when a search is made). About 15 s a page.

Accessibility, best practices and SEO are deterministic; performance is simulated, so it varies a little.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from manifesto.pdf import serve_pages  # noqa: E402
from manifesto.pipeline import render_all  # noqa: E402
from manifesto.render import RenderOptions  # noqa: E402

LIGHTHOUSE = REPO / "node_modules/.bin/lighthouse"
CATEGORIES = ("accessibility", "best-practices", "seo", "performance")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-quic --disable-dev-shm-usage"


def chrome_path() -> str:
    return os.environ.get("CHROME_PATH") or os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


def run_lighthouse(url: str, report: Path, desktop: bool) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if desktop:
        command.append("--preset=desktop")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": chrome_path()})
    return json.loads(report.read_text())


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_weight(pages: dict[str, bytes], html_path: str) -> dict[str, int]:
    """What a reader's browser fetches for a page, by file, gzip-compressed; the search index excluded."""
    html = pages[html_path].decode("utf-8")
    fetched = {html_path: pages[html_path]}
    for link in sorted(set(re.findall(r'<(?:link|script)\b[^>]*?\b(?:href|src)="([^"]+)"', html))):
        path = urlsplit(link).path.lstrip("/")
        if path in pages and path.endswith((".css", ".js", ".svg")):
            fetched[path] = pages[path]
    return {path: gzipped_size(data) for path, data in fetched.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--desktop", action="store_true", help="Lighthouse's desktop preset")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.is_file():
        sys.exit("lighthouse is not installed: run  npm ci")

    result = render_all(REPO, RenderOptions())
    pages, site = result.pages, result.site
    targets = {
        "home": "",
        "chapter": site.chapters[0].url_path[1:],
        "op-ed": site.articles[0].url_path[1:],
        "manifesto": "manifesto/",
    }
    print(f"Lighthouse ({'desktop' if args.desktop else 'mobile'}), Chromium at {chrome_path()}")
    print(f"{'page':<10} {'a11y':>5} {'best':>5} {'seo':>5} {'perf':>5} {'bytes':>8}  requests off 127.0.0.1")
    with serve_pages(pages) as site_url, tempfile.TemporaryDirectory() as work:
        for name, path in targets.items():
            report = run_lighthouse(site_url + path, Path(work) / "report.json", args.desktop)
            scores = [round(100 * report["categories"][category]["score"]) for category in CATEGORIES]
            requests = report["audits"]["network-requests"]["details"]["items"]
            elsewhere = [r["url"] for r in requests if urlsplit(r["url"]).hostname != "127.0.0.1"]
            transferred = report["audits"]["total-byte-weight"]["numericValue"]
            failing = [
                audit_id
                for category in CATEGORIES[:3]
                for ref in report["categories"][category]["auditRefs"]
                if ref["weight"] and report["audits"][(audit_id := ref["id"])]["score"] not in (1, None)
            ]
            print(
                f"{name:<10} {scores[0]:>5} {scores[1]:>5} {scores[2]:>5} {scores[3]:>5} {transferred:>8.0f}  "
                f"{', '.join(elsewhere) or 'none'}"
                + (f"  (failing: {', '.join(failing)})" if failing else "")
            )
    weight = page_weight(pages, targets["op-ed"] + "index.html")
    print(f"\nOp-ed page weight, gzip: {sum(weight.values()) / 1000:.1f} KB")
    for path, size in weight.items():
        print(f"  {path:<60} {size / 1000:>6.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
