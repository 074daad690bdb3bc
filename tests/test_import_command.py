"""`python build.py import` and `new`: the command line around the importer."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run

RAW = """Councils must be trusted with their own budgets

Jo Bloggs

Councils know their places better than any ministry does, and they should be trusted to act on it.

The money should follow the decisions, not the other way round.

Jo Bloggs is a councillor in Anytown. She tweets @jobloggs

Leave a Comment
"""


def test_import_writes_an_article_that_builds(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW)
    assert run(root, "import", str(raw), "--chapter", "fair-funding") == 0
    out = capsys.readouterr().out
    assert "content/articles/councils-must-be-trusted-with-their-own-budgets.md" in out
    assert "(comment" in out or "Leave a Comment" in out  # the removed block is reported
    assert run(root) == 0
    page = (root / "_site/articles/councils-must-be-trusted-with-their-own-budgets/index.html").read_text()
    assert "The money should follow the decisions" in page and "Leave a Comment" not in page
    assert run(root, "import", str(raw), "--chapter", "fair-funding") == 1  # exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert run(root, "import", str(raw), "--chapter", "fair-funding", "--force") == 0


def test_import_refuses_an_unknown_chapter(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW)
    assert run(root, "import", str(raw), "--chapter", "fair-fundin") == 1
    err = capsys.readouterr().err
    assert "--chapter: unknown chapter 'fair-fundin'" in err and "fair-funding, local-power" in err
    assert not list((root / "content/articles").glob("councils-must*"))


def test_import_reads_a_ten_megabyte_paste_from_standard_input(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    paragraph = "Councils need a fair settlement and the power to use it well, said the report. " * 10
    paste = RAW.replace("Jo Bloggs is", ((paragraph + "\n\n") * 13000) + "Jo Bloggs is")
    assert len(paste) > 10_000_000
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(paste.encode())))
    assert run(root, "import", "-", "--chapter", "local-power") == 0
    written = (root / "content/articles/councils-must-be-trusted-with-their-own-budgets.md").read_text()
    assert written.count("said the report.") == 130000


def test_new_article_and_chapter_scaffolds_build_once_filled_in(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root, "new", "chapter", "Green councils") == 0
    assert run(root, "new", "article", "Plant more trees", "--chapter", "green-councils") == 0
    article = root / "content/articles/plant-more-trees.md"
    chapter = root / "content/chapters/green-councils.md"
    assert "# " in article.read_text()  # every field explained in a comment
    assert run(root) == 1  # the empty author and summary are pointed out, with their lines
    err = capsys.readouterr().err
    assert "content/articles/plant-more-trees.md:" in err and "'author' is empty" in err
    article.write_text(
        article.read_text()
        .replace('author: ""', 'author: "Jo Bloggs"')
        .replace('summary: ""', 'summary: "Trees."')
        + "\nPlant them.\n"
    )
    chapter.write_text(chapter.read_text().replace('summary: ""', 'summary: "Green."'))
    assert run(root) == 0, capsys.readouterr().err
    assert run(root, "new", "article", "Plant more trees", "--chapter", "green-councils") == 1
    assert "this file already exists" in capsys.readouterr().err


def test_import_reads_a_saved_web_page_and_the_result_builds(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    page = Path(__file__).parent / "fixtures" / "importer" / "saved_news_page.html"
    assert run(root, "import", str(page), "--chapter", "local-power") == 0
    out = capsys.readouterr().out
    assert "  author: found (the page's metadata)" in out
    assert "(reader comments): “Comments (3)”" in out
    assert run(root) == 0, capsys.readouterr().err
    built = (root / "_site/articles/councils-need-the-power-to-fix-the-buses/index.html").read_text()
    assert "What franchising changes" in built and "Brian Toller" not in built


def test_an_import_with_a_guessed_author_says_so_and_still_builds(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW.replace("Jo Bloggs is a councillor in Anytown. She tweets @jobloggs\n", ""))
    assert run(root, "import", str(raw), "--chapter", "fair-funding") == 0
    assert (
        "  author: guessed (a name alone under the headline, line 3; is it the author?)"
        in capsys.readouterr().out
    )
    written = (root / "content/articles/councils-must-be-trusted-with-their-own-budgets.md").read_text()
    assert written.startswith("---\n# The importer guessed author:")
    assert run(root) == 0, capsys.readouterr().err
