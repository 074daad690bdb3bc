"""`python build.py pdf`: the platform printed to manifesto.pdf by headless Chromium, read back with poppler.

The printing tests are skipped only when no Chromium (or no pdftotext) is installed and CI is unset.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SITE_YAML, picture, write_sample_site

import build
from manifesto.load import load_sources
from manifesto.parse import parse_site
from manifesto.pdf import ManifestoPdf, chromium_executable


def need_tools() -> None:
    executable = chromium_executable()
    missing = [
        name
        for name, found in (
            ("Chromium (or CHROMIUM_PATH)", executable is not None and executable.is_file()),
            ("pdftotext and pdfinfo (poppler-utils)", shutil.which("pdftotext") and shutil.which("pdfinfo")),
        )
        if not found
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"not installed: {', '.join(missing)}")
        pytest.skip(f"not installed: {', '.join(missing)}")


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")[:-1]


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # With a logo, for the cover; a PNG, so that poppler lists it as a picture of the first page.
    root = write_sample_site(
        tmp_path_factory.mktemp("printed") / "project",
        {"site.yaml": SITE_YAML + "brand:\n  logo: logo.png\n"},
    )
    (root / "content/images").mkdir()
    (root / "content/images/logo.png").write_bytes(picture("PNG"))
    return root


@pytest.fixture(scope="module")
def printed(project: Path) -> Iterator[Path]:
    """The sample site, built with its PDF (and no SOURCE_DATE_EPOCH)."""
    need_tools()
    out = project / "_site"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        assert build.main(["--root", str(project), "pdf", "--out", str(out), "--no-cache"]) == 0
    yield out


def test_the_pdf_has_several_pages_and_each_chapter_heading_once_at_the_top_of_a_page(
    project: Path, printed: Path
) -> None:
    pdf = printed / "manifesto.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = page_texts(pdf)
    assert page_count(pdf) == len(pages) > 1
    chapters = parse_site(load_sources(project)).chapters
    assert len(chapters) >= 2
    page_starts = [" ".join(page.split()) for page in pages]
    for number, chapter in enumerate(chapters, start=1):
        # Each chapter starts a new page, headed by its number and title (once: the contents list
        # has the titles too, but at the top of no page).
        heading = f"{number}. {chapter.title} "
        assert [start.startswith(heading) for start in page_starts].count(True) == 1, heading


def test_the_pdf_has_page_numbers_the_imprint_and_no_navigation_or_sharing(printed: Path) -> None:
    pages = page_texts(printed / "manifesto.pdf")
    for number, text in enumerate(pages, start=1):
        # pdftotext's layout keeps or drops the spaces around the slash depending on the page's width.
        assert re.search(rf"\b{number} ?/ ?{len(pages)}$", text.strip()), number
    everything = "\n".join(pages)
    assert "Promoted by " in pages[-1]
    for screen_only in ("Skip to main content", "Share on", "Search", "Write to your councillor", "Download"):
        assert screen_only not in everything


def test_the_pdf_opens_with_a_cover_and_carries_the_imprint_on_every_page(
    project: Path, printed: Path
) -> None:
    pdf = printed / "manifesto.pdf"
    pages = [" ".join(page.split()) for page in page_texts(pdf)]
    cover = pages[0]
    assert cover.startswith("Councils First A platform for local government The full platform")
    assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in cover
    assert "Contents" not in cover  # the contents start on the next page
    for number, text in enumerate(pages, start=1):
        assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in text, number
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True)
    pictures_by_page = [line.split()[0] for line in listed.stdout.splitlines()[2:]]
    assert pictures_by_page == ["1"]  # the logo, on the cover only (the site's header is not printed)


def test_the_pdf_reads_no_clock(printed: Path) -> None:
    # Chromium stamps the time of printing; without SOURCE_DATE_EPOCH the build leaves no date at all.
    data = (printed / "manifesto.pdf").read_bytes()
    assert b"/CreationDate" not in data and b"/ModDate" not in data
    info = subprocess.run(["pdfinfo", str(printed / "manifesto.pdf")], capture_output=True, text=True)
    assert info.returncode == 0 and info.stderr == ""  # the dates were blanked in place: still a sound file
    assert "Tagged:          yes" in info.stdout


def test_the_pages_link_to_the_pdf_with_its_size(printed: Path) -> None:
    size_text = ManifestoPdf((printed / "manifesto.pdf").read_bytes()).size_text
    assert re.fullmatch(r"\d+ KB|\d+\.\d MB", size_text)
    link = f'<a href="/manifesto.pdf" type="application/pdf">Download the platform (PDF, {size_text})</a>'
    for page in ("index.html", "manifesto/index.html", "about/index.html"):
        assert link in (printed / page).read_text(), page


def test_printed_links_show_their_address_and_footnotes_are_kept_and_the_date_is_source_date_epoch(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    need_tools()
    article = (
        "---\ntitle: A sourced op-ed\nauthor: Cy Source\nchapter: local-power\nsummary: With sources.\n---\n\n"
        "The [council's report](https://example.org/report) says so.[^1]\n\n"
        "[^1]: Table 3 of the council's report, 2019.\n"
    )
    root = make_site({"content/articles/sourced.md": article})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1580040000")
    assert build.main(["--root", str(root), "pdf"]) == 0
    pdf = root / "_site/manifesto.pdf"
    text = " ".join(" ".join(page_texts(pdf)).split())
    assert "council’s report (https://example.org/report) says so." in text
    assert "Table 3 of the council’s report, 2019." in text
    assert b"/CreationDate (D:20200126120000+00'00')" in pdf.read_bytes()


def test_a_plain_build_has_no_pdf_and_no_link_to_one(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert build.main(["--root", str(root), "build"]) == 0
    assert not (root / "_site/manifesto.pdf").exists()
    for page in (root / "_site").rglob("*.html"):
        assert "manifesto.pdf" not in page.read_text(), page


def test_without_a_browser_the_pdf_command_fails_clearly_and_keeps_the_last_site(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert build.main(["--root", str(root), "build"]) == 0
    before = sorted(p.relative_to(root / "_site") for p in (root / "_site").rglob("*"))
    monkeypatch.setenv("CHROMIUM_PATH", str(root / "no-such-chromium"))
    assert build.main(["--root", str(root), "pdf"]) == 1
    err = capsys.readouterr().err
    assert f"manifesto.pdf: no browser program at {root / 'no-such-chromium'} (from CHROMIUM_PATH)" in err
    assert "hint: install Chromium" in err
    assert "The previous site was left as it was." in err
    assert sorted(p.relative_to(root / "_site") for p in (root / "_site").rglob("*")) == before
