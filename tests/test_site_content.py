"""What any platform publishes, shown on tiny sites built in tmp_path: every chapter lists its op-eds and
proposals, imported op-eds carry no debris, the HTML is valid and every page has its social card.

None of these reads the sample platform in content/: a campaigner replaces it, and they must still pass.
What is true only of the committed content (every proposal source leads to a passage, every link
resolves) is what `python build.py check` verifies, on whatever content there is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, read_tree, run

from manifesto.importer import import_files
from manifesto.pipeline import render_all
from manifesto.render import RenderOptions
from manifesto.slugs import slugify

FIXTURES = Path(__file__).parent / "fixtures" / "importer"
# What news pages put around an op-ed, which the importer removes: none of it may reach a page.
DEBRIS = [
    "Leave a Comment",
    "Leave a Reply",
    "DONATE",
    "More from",
    "[email",
    "Small monthly donations",
    "SUBSCRIBE",
]
THIRD_CHAPTER = """\
---
title: Open councils
order: 3
summary: Councils that show their working.
aliases: [/chapters/transparency/, /open.html]
proposals:
  - text: Publish every spending decision.
    source: "second-op-ed#a-second-voice-joins-the-argument"
  - text: Hold meetings where people can come.
    source: "first-op-ed#what-has-changed"
---

Openness builds trust.
"""


def no_stdin() -> bytes:
    raise AssertionError("stdin was read")


def test_imported_op_eds_publish_no_debris(make_site: Callable[..., Path]) -> None:
    root = make_site()
    raw_files = sorted(str(path) for path in FIXTURES.glob("*.txt"))
    reports = import_files(
        raw_files, root / "content/articles", chapter="fair-funding", force=False, read_stdin=no_stdin
    )
    assert len(reports) == len(raw_files)
    for report in reports:  # a paste without a headline leaves the title for the editor to write
        written = root / "content/articles" / f"{report.article.slug()}.md"
        written.write_text(
            written.read_text().replace('title: ""', f"title: Headline {report.article.slug()}", 1)
        )
    assert run(root) == 0
    pages = read_tree(root / "_site")
    for report in reports:
        page = pages[f"articles/{report.article.slug()}/index.html"].decode()
        assert f'href="/authors/{slugify(report.article.author)}/"' in page
    for path, data in pages.items():
        text = data.decode("utf-8", "replace")
        for marker in DEBRIS:
            assert marker not in text, (path, marker)


def test_each_chapter_lists_its_op_eds_the_related_ones_and_its_proposals(
    make_site: Callable[..., Path],
) -> None:
    root = make_site({"content/chapters/open-councils.md": THIRD_CHAPTER})
    site = render_all(root, RenderOptions()).site
    assert run(root) == 0
    assert len(site.chapters) == 3
    for chapter in site.chapters:
        page = (root / "_site/chapters" / chapter.slug / "index.html").read_text()
        for article in site.articles_in(chapter) + site.related_to(chapter):
            assert f'href="{article.url_path}"' in page
        for proposal in chapter.proposals:
            assert f'href="/articles/{proposal.article_slug}/#{proposal.anchor}"' in page
    assert site.related_to(site.chapter("local-power"))  # the sample's second chapter has a related op-ed


def vnu_command() -> list[str] | None:
    jar = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
    if jar.is_file() and shutil.which("java"):
        return ["java", "-jar", str(jar)]
    return None


def test_html_of_every_page_type_passes_the_nu_validator(make_site: Callable[..., Path]) -> None:
    command = vnu_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("the Nu validator is not installed (Java, and npm ci for vnu-jar)")
        pytest.skip("the Nu validator is not installed")
    root = make_site({"content/chapters/open-councils.md": THIRD_CHAPTER})
    assert run(root) == 0
    pages = sorted(str(p) for p in (root / "_site").rglob("*.html"))
    assert len(pages) >= 12 and str(root / "_site/open.html") in pages  # an alias's page too
    result = subprocess.run([*command, "--errors-only", *pages], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_pages_without_a_card_of_their_own_carry_the_home_pages(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root) == 0
    page = (root / "_site/about/index.html").read_text()
    assert '<meta property="og:image" content="https://example.org/platform/cards/home.png">' in page
    alt = "Councils First (A platform for local government). Councils First"
    assert f'<meta property="og:image:alt" content="{alt}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert (root / "_site/cards/home.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
