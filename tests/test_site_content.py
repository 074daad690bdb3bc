"""The committed platform: every op-ed published in full with the right author, no debris, valid HTML."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import build
from manifesto.importer import parse_raw_article
from manifesto.linkcheck import dead_links
from manifesto.load import load_sources
from manifesto.parse import parse_site

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
DEBRIS = [
    "Leave a Comment",
    "Paula H K",
    "DONATE",
    "More from",
    "[email",
    "Small monthly donations",
    "SUBSCRIBE",
]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "_site"
    assert build.main(["--root", str(REPO), "build", "--out", str(out)]) == 0
    return out


def read_pages(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def same_quotes(text: str) -> str:
    """Smart quotes turn ' and " into curly ones; the words are what must match."""
    return re.sub(r"[‘’'“”\"]", "'", text)


def test_every_link_and_proposal_source_resolves(built_site: Path) -> None:
    assert dead_links(read_pages(built_site)) == []


def test_no_debris_is_published(built_site: Path) -> None:
    for path, data in read_pages(built_site).items():
        text = data.decode("utf-8", "replace")
        for marker in DEBRIS:
            assert marker not in text, (path, marker)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds are not beside the repository")
@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_each_seed_is_published_in_full_under_its_author(built_site: Path, seed: str) -> None:
    imported = parse_raw_article((SEEDS / seed).read_text(encoding="utf-8"))
    site = parse_site(load_sources(REPO))
    article = next(a for a in site.articles if a.author == imported.author)
    source_body = (REPO / article.source_path).read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert source_body.strip() == imported.body_markdown.strip()  # the editors changed no word of the body
    page = visible_text((built_site / "articles" / article.slug / "index.html").read_text())
    for paragraph in imported.body_markdown.split("\n\n"):
        assert same_quotes(visible_text(paragraph.replace("\\", ""))) in same_quotes(page)
    assert f"By {imported.author}" in page


def test_each_chapter_lists_its_op_eds_and_proposals(built_site: Path) -> None:
    site = parse_site(load_sources(REPO))
    assert len(site.chapters) >= 4
    for chapter in site.chapters:
        page = (built_site / "chapters" / chapter.slug / "index.html").read_text()
        assert chapter.proposals, chapter.slug
        for article in site.articles_in(chapter) + site.related_to(chapter):
            assert f'href="{article.url_path}"' in page
        for proposal in chapter.proposals:
            assert f'href="/articles/{proposal.article_slug}/#{proposal.anchor}"' in page


def vnu_command() -> list[str] | None:
    jar = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
    if jar.is_file() and shutil.which("java"):
        return ["java", "-jar", str(jar)]
    return None


def test_html_passes_the_nu_validator(built_site: Path) -> None:
    command = vnu_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("the Nu validator is not installed (Java, and npm ci for vnu-jar)")
        pytest.skip("the Nu validator is not installed")
    pages = sorted(str(p) for p in built_site.rglob("*.html"))
    result = subprocess.run([*command, "--errors-only", *pages], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_pages_carry_the_social_card_with_alt_text(built_site: Path) -> None:
    page = (built_site / "articles/take-local-government-seriously/index.html").read_text()
    assert (
        '<meta property="og:image" content="https://example.github.io/platform/assets/social-card.png">'
        in page
    )
    assert '<meta property="og:image:alt" content="Power to Our Places: ' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert (built_site / "assets/social-card.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
