"""Search: the /search/ page and the Pagefind index every build makes, read back from the output.

The browser side (typing a word, landing on the op-ed) is in test_browser_reader.py.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import build


def run(root: Path, *args: str) -> int:
    return build.main(["--root", str(root), *args])


def read_folder(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def indexed_pages(site: Path) -> dict[str, dict]:
    """Pagefind's record of each indexed page (URL, meta, filters, text), by URL."""
    records = {}
    for fragment in sorted((site / "pagefind/fragment").iterdir()):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        record = json.loads(data[len(b"pagefind_dcd") :])
        records[record["url"]] = record
    return records


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Path:
    root = make_site()
    assert run(root) == 0
    return root / "_site"


def test_every_build_writes_the_search_page_and_the_pagefind_bundle(built: Path) -> None:
    files = read_folder(built)
    assert "search/index.html" in files
    for needed in ("pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/pagefind-entry.json"):
        assert needed in files
    assert any(re.fullmatch(r"pagefind/wasm\.en-gb\.pagefind", path) for path in files)
    # Pagefind's ready-made interfaces are not shipped: the site has its own small script.
    assert not [
        path for path in files if path.startswith(("pagefind/pagefind-ui", "pagefind/pagefind-component"))
    ]
    entry = json.loads(files["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en-gb"]["page_count"] == 5


def test_the_index_holds_op_eds_chapters_and_pages_with_title_kind_and_chapter(built: Path) -> None:
    records = indexed_pages(built)
    assert sorted(records) == [
        "/about/",
        "/articles/first-op-ed/",
        "/articles/second-op-ed/",
        "/chapters/fair-funding/",
        "/chapters/local-power/",
    ]  # not the home page, lists, author pages or the manifesto, which repeat these words
    op_ed = records["/articles/first-op-ed/"]
    assert op_ed["meta"] == {
        "title": "Councils are the last line of defence",
        "kind": "Op-ed",
        "author": "Ann Example",
        "chapter": "Fair funding",
    }
    # No Pagefind filters: Pagefind 1.5 writes filter values in hash-map order, so they would make the
    # index differ from one build to the next. The chapter is shown from the meta instead.
    assert op_ed["filters"] == {}
    assert "that line is thinning" in op_ed["content"]
    assert "Share on" not in op_ed["content"] and "Promoted by" not in op_ed["content"]
    chapter = records["/chapters/fair-funding/"]
    assert chapter["meta"] == {"title": "Fair funding", "kind": "Chapter"}
    assert "Fund councils for the services the law requires of them." in chapter["content"]  # a proposal
    assert "The argument in" not in chapter["content"]  # its link to the op-ed is not indexed
    assert "A second voice" not in chapter["content"]  # nor the op-eds' cards
    assert records["/about/"]["meta"] == {"title": "About this platform", "kind": "Page"}


def test_the_search_page_has_a_labelled_form_and_says_when_javascript_is_needed(built: Path) -> None:
    page = (built / "search/index.html").read_text()
    assert '<form role="search" class="search-form" action="/search/" method="get"' in page
    assert '<label for="search-query">' in page and '<input type="search" id="search-query" name="q"' in page
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert "Search needs JavaScript" in noscript and 'href="/chapters/"' in noscript
    assert re.search(r'<script type="module" src="/assets/search\.js\?v=[0-9a-f]{10}"></script>', page)
    assert 'data-pagefind="/pagefind/pagefind.js"' in page
    assert '<a href="/search/">Search</a>' in (built / "index.html").read_text()  # in every page's menu


def test_under_a_base_path_the_search_script_and_bundle_are_found(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root, "build", "--base-path", "/platform") == 0
    page = (root / "_site/search/index.html").read_text()
    assert 'data-pagefind="/platform/pagefind/pagefind.js"' in page
    assert 'src="/platform/assets/search.js?v=' in page and 'action="/platform/search/"' in page
    # Result addresses are stored without the base path: Pagefind adds the folder its bundle is in.
    assert "/articles/first-op-ed/" in indexed_pages(root / "_site")


def test_the_index_is_byte_identical_from_one_build_to_the_next(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root, "build", "--out", str(root / "one")) == 0
    assert run(root, "build", "--out", str(root / "two")) == 0
    one, two = read_folder(root / "one/pagefind"), read_folder(root / "two/pagefind")
    assert len(one) > 5 and one == two


def test_a_missing_pagefind_program_is_a_clear_error_and_keeps_the_last_site(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root) == 0
    before = read_folder(root / "_site")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(root / "no-such-pagefind"))
    assert run(root, "build", "--no-cache") == 1
    err = capsys.readouterr().err
    assert "cannot start the search indexer (Pagefind): No such file or directory" in err
    assert "pip install --force-reinstall 'pagefind[bin]'" in err
    assert "The previous site was left as it was." in err
    assert read_folder(root / "_site") == before
