"""Synthetic sites in this project's layout, for the benchmarks.

The articles come from the shared peer harness's generator (`../shared/bench/make_corpus.py`) when it is
beside the repository, so that our figures and the peers' are measured on the same text; the canonical
corpus is then laid out as a project: site.yaml, one chapter file per chapter, the articles without the
`tags` field (this project has no tags) and with distinct titles, and the repository's own templates.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_GENERATOR = REPO.parent / "shared" / "bench" / "make_corpus.py"

SITE_YAML = """\
title: Benchmark Platform
tagline: A synthetic site for timing builds
description: Generated op-eds for measuring build speed.
base_url: https://bench.example.org/
imprint:
  promoter: Benchmark
  address: Nowhere
contact: https://bench.invalid/contact
nav:
  - label: The platform
    url: /manifesto/
"""


def canonical_corpus(articles: int, folder: Path) -> Path:
    """The shared generator's canonical articles (NNNNN-slug.md) and chapters.yaml, in ``folder``."""
    if not SHARED_GENERATOR.is_file():
        sys.exit(f"the corpus generator is not at {SHARED_GENERATOR}")
    subprocess.run(
        [sys.executable, str(SHARED_GENERATOR), str(articles), str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def chapter_file(slug: str, title: str, order: int) -> str:
    return f'---\ntitle: "{title}"\norder: {order}\nsummary: "The {title.lower()} chapter."\n---\n\nIntroduction.\n'


def layout_project(canonical: Path, root: Path, pictures: int = 0) -> Path:
    """Lay out a canonical corpus (articles/*.md, chapters.yaml) as a project at ``root``; with
    ``pictures``, that many op-eds (spread evenly) get a lead image of their own, a 2400 × 1600 photo-sized
    JPEG (bench_photo)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "content/articles").mkdir(parents=True)
    (root / "content/chapters").mkdir(parents=True)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    chapters = re.findall(r'^(\w+): "(.*)"$', (canonical / "chapters.yaml").read_text(), re.M)
    for order, (slug, title) in enumerate(chapters, start=1):
        (root / "content/chapters" / f"{slug}.md").write_text(chapter_file(slug, title, order))
    titles_seen: set[str] = set()
    sources = sorted((canonical / "articles").glob("*.md"))
    illustrated = (
        {round(number * len(sources) / pictures) for number in range(pictures)} if pictures else set()
    )
    for number, source in enumerate(sources):
        text = re.sub(r"^tags: .*\n", "", source.read_text(encoding="utf-8"), count=1, flags=re.M)
        text = distinct_title(text, source.name[:5], titles_seen)
        if number in illustrated:
            (root / "content/images").mkdir(exist_ok=True)
            (root / "content/images" / f"{source.stem}.jpg").write_bytes(bench_photo(number))
            text = text.replace("\n", f'\nimage: {source.stem}.jpg\nimage_alt: "Photo {number}"\n', 1)
        (root / "content/articles" / source.name).write_text(text, encoding="utf-8")
    return root


def bench_photo(number: int) -> bytes:
    """A 2400 × 1600 JPEG with a photo's amount of detail (a Mandelbrot view that differs by ``number``)."""
    import io

    from PIL import Image

    shift = number % 17 / 40
    view = (-2.0 + shift, -1.2, 1.0 + shift, 1.2)
    data = io.BytesIO()
    Image.effect_mandelbrot((2400, 1600), view, 96).convert("RGB").save(data, "JPEG", quality=88)
    return data.getvalue()


def distinct_title(text: str, number: str, seen: set[str]) -> str:
    """The article with its title made distinct (the generator repeats titles; this project refuses two
    op-eds with one title): a title seen before gets the article's number."""
    match = re.search(r'^title: "(.*)"$', text, re.M)
    if match is None:
        return text
    title = match[1]
    if title.casefold() in seen:
        title = f"{title} ({number})"
        text = text.replace(match[0], f'title: "{title}"', 1)
    seen.add(title.casefold())
    return text


def make_project(articles: int, root: Path) -> Path:
    """A project of ``articles`` op-eds at ``root`` (replaced if it exists)."""
    canonical = canonical_corpus(articles, root.parent / f"{root.name}-canonical")
    layout_project(canonical, root)
    shutil.rmtree(canonical)
    return root


if __name__ == "__main__":
    make_project(int(sys.argv[1]), Path(sys.argv[2]))
