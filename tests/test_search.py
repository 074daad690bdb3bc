"""Search: the /search/ page and the word index every build writes, read back from the output.

The browser side (typing a word, ranking, the excerpt, landing on the op-ed) is in test_browser_reader.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run
from hypothesis import given
from hypothesis import strategies as st

from manifesto.search import IndexPart, fold, plain_text, shard_name, terms_of


def read_folder(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def documents(site: Path) -> list[list]:
    return json.loads((site / "search/data/documents.json").read_text())["documents"]


def postings(site: Path, term: str) -> dict[str, int]:
    """{site path: count} of ``term``, decoded from its term file's gaps."""
    shard_file = site / f"search/data/terms/{shard_name(term)}.json"
    shard = json.loads(shard_file.read_text()) if shard_file.exists() else {}
    listed, found, number = documents(site), {}, 0
    pairs = shard.get(term, [])
    for gap, count in zip(pairs[::2], pairs[1::2], strict=True):
        number += gap
        found[listed[number][0]] = count
    return found


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Path:
    root = make_site()
    assert run(root) == 0
    return root / "_site"


def test_every_build_writes_the_search_page_documents_terms_and_texts(built: Path) -> None:
    files = read_folder(built)
    assert "search/index.html" in files and "search/data/documents.json" in files
    assert any(re.fullmatch(r"search/data/terms/[0-9a-f]{2,8}\.json", path) for path in files)
    assert "search/data/text/articles/first-op-ed.txt" in files
    assert not [path for path in files if path.startswith("pagefind")]


FAIR = "chapter: Fair funding"


def test_the_index_holds_op_eds_chapters_and_pages_with_title_and_byline(built: Path) -> None:
    assert documents(built) == [
        ["/about/", "About this platform", "Page", 8],
        [
            "/articles/first-op-ed/",
            "Councils are the last line of defence",
            f"Op-ed by Ann Example · {FAIR}",
            40,
        ],
        ["/articles/second-op-ed/", "A second voice", f"Op-ed by Ben Sample · {FAIR}", 9],
        ["/chapters/fair-funding/", "Fair funding", "Chapter and its proposals", 34],
        ["/chapters/local-power/", "Local power", "Chapter and its proposals", 15],
    ]  # not the home page, lists, author pages or the manifesto, which repeat these words
    # (the last field is the number of words, title aside: "It’s" is two, "op-ed" two)


def test_the_text_is_the_op_ed_words_without_markup_footnote_markers_or_page_furniture(built: Path) -> None:
    text = (built / "search/data/text/articles/first-op-ed.txt").read_text()
    assert text.startswith(
        "Councils are the last line of defence for people in need, and that line is thinning.\n"
    )
    assert "What has changed\nIt’s been a decade of cuts to the “core” grant. See the second op-ed." in text
    assert "A footnote with a source." in text  # the footnote's own words are searchable; its marks are not
    assert "<" not in text and "↩" not in text and "[^1]" not in text
    assert "Share on" not in text and "Promoted by" not in text and "Ann Example is a councillor" not in text
    chapter = (built / "search/data/text/chapters/fair-funding.txt").read_text()
    assert "Fund councils for the services the law requires of them." in chapter  # a proposal
    assert chapter.startswith("Councils need money that matches what they are asked to do.")  # the summary
    assert "The argument in" not in chapter and "A second voice" not in chapter  # no links or op-ed cards


def test_terms_point_to_the_documents_that_hold_them_with_title_words_weighted(built: Path) -> None:
    assert postings(built, "thinning") == {"/articles/first-op-ed/": 1}
    assert postings(built, "decade") == {"/articles/first-op-ed/": 1}
    # "defence" is in the first op-ed's title (counted 5 times) and once in its text.
    assert postings(built, "defence") == {"/articles/first-op-ed/": 6}
    assert postings(built, "footnote") == {"/articles/first-op-ed/": 1}
    assert "/chapters/fair-funding/" in postings(built, "councils")
    assert postings(built, "councils")["/chapters/fair-funding/"] >= 2


def test_terms_fold_accents_case_and_compatibility_forms_as_the_browser_does() -> None:
    assert terms_of("Café ÉLITE naïve") == ["cafe", "elite", "naive"]
    assert terms_of("It’s the council's £3.5bn ﬁnance_plan") == [
        "it",
        "s",
        "the",
        "council",
        "s",
        "3",
        "5bn",
        "finance",
        "plan",
    ]
    assert terms_of("Ελλάδα and Łódź") == ["ελλαδα", "and", "łodz"]  # Ł has no decomposition: kept as it is
    assert fold("ÀB") == "ab"
    assert shard_name("council") == "636f" and shard_name("ελλαδα") == "ceb5cebb"


def test_plain_text_keeps_one_block_a_line_and_unescapes_entities() -> None:
    html = (
        '<h2 id="x">Cuts &amp; costs</h2>\n<p>One <em>two</em>\nthree.</p><ul><li>Four</li><li>five</li></ul>'
    )
    assert plain_text(html) == "Cuts & costs\nOne two three.\nFour\nfive"


def test_the_search_page_has_a_labelled_form_and_says_when_javascript_is_needed(built: Path) -> None:
    page = (built / "search/index.html").read_text()
    assert '<form role="search" class="search-form" action="/search/" method="get"' in page
    assert 'data-index="/search/data/" data-home="/"' in page
    assert '<label for="search-query">' in page and '<input type="search" id="search-query" name="q"' in page
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert "Search needs JavaScript" in noscript and 'href="/chapters/"' in noscript
    assert re.search(r'<script type="module" src="/assets/search\.js\?v=[0-9a-f]{10}"></script>', page)
    assert '<a href="/search/">Search</a>' in (built / "index.html").read_text()  # in every page's menu


def test_under_a_base_path_the_page_points_to_the_index_and_the_index_is_the_same(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    assert run(root, "build", "--out", str(root / "plain")) == 0
    assert run(root, "build", "--base-path", "/platform", "--out", str(root / "sub")) == 0
    page = (root / "sub/search/index.html").read_text()
    assert 'data-index="/platform/search/data/" data-home="/platform/"' in page
    assert 'src="/platform/assets/search.js?v=' in page and 'action="/platform/search/"' in page
    # Site paths in the index carry no base path: the script puts the page's own in front.
    assert read_folder(root / "sub/search/data") == read_folder(root / "plain/search/data")


def test_the_index_is_byte_identical_from_one_build_to_the_next(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root, "build", "--out", str(root / "one")) == 0
    assert run(root, "build", "--out", str(root / "two"), "--no-cache") == 0
    one, two = read_folder(root / "one/search"), read_folder(root / "two/search")
    assert len(one) > 20 and one == two


def test_drafts_are_searchable_only_in_builds_that_show_them(make_site: Callable[..., Path]) -> None:
    draft = "---\ntitle: Not yet\nauthor: Cy Draft\nchapter: local-power\nsummary: Unfinished.\ndraft: true\n---\n\nZebra.\n"
    root = make_site({"content/articles/unfinished.md": draft})
    assert run(root) == 0
    assert "/articles/unfinished/" not in [entry[0] for entry in documents(root / "_site")]
    assert not postings(root / "_site", "zebra")
    assert run(root, "build", "--drafts", "--out", str(root / "preview")) == 0
    assert postings(root / "preview", "zebra") == {"/articles/unfinished/": 1}


def test_an_index_made_in_parts_equals_one_made_whole() -> None:
    """Large sites index runs of documents in several processes and join them; the joined index must be
    the one a single pass makes, whatever the cut (terms in both parts, in one only, in neither)."""
    from manifesto.search import SearchDocument, index_bundle, index_files, index_part

    texts = ["council tax", "tax rises", "buses", "council buses council", "", "tax", "housing"]
    docs = [
        SearchDocument(f"/articles/a{n}/", f"Title {n}", "Op-ed", (text,)) for n, text in enumerate(texts)
    ]
    whole = index_files(docs)
    for cuts in ([3], [1, 2, 5], [0, 7], list(range(1, 7))):
        bounds = [0, *cuts, len(docs)]
        parts = [index_part(docs[start:end]) for start, end in zip(bounds, bounds[1:], strict=False)]
        joined = index_bundle([part for part, _ in parts])
        for _, texts_of_part in parts:
            joined |= texts_of_part
        assert dict(sorted(joined.items())) == whole, cuts


WORDS = ("council", "tax", "buses", "housing", "care", "ward", "zebra", "café", "2024")


@given(
    texts=st.lists(st.lists(st.sampled_from(WORDS), max_size=6), min_size=1, max_size=12),
    part_size=st.integers(1, 5),
    edits=st.dictionaries(st.integers(0, 11), st.lists(st.sampled_from(WORDS), max_size=6), max_size=4),
)
def test_a_bundle_file_whose_key_is_unchanged_after_an_edit_is_unchanged(
    texts: list[list[str]], part_size: int, edits: dict[int, list[str]]
) -> None:
    """After an edit, the files listing every document whose key (search.bundle_keys) is as before are
    kept as the last build wrote them; so a file with an unchanged key must have unchanged bytes."""
    from manifesto.search import SearchDocument, bundle_keys, documents_digest, index_bundle, index_part

    def documents(words: list[list[str]]) -> list[SearchDocument]:
        return [
            SearchDocument(f"/articles/a{number:02}/", "Title", "Op-ed", (" ".join(text),))
            for number, text in enumerate(words)
        ]

    def keyed_bundle(docs: list[SearchDocument]) -> tuple[dict[str, str], dict[str, bytes]]:
        runs = [docs[start : start + part_size] for start in range(0, len(docs), part_size)]
        parts: list[IndexPart] = [index_part(run)[0] for run in runs]
        return bundle_keys(parts, [documents_digest(run) for run in runs]), index_bundle(parts)

    old_keys, old_bundle = keyed_bundle(documents(texts))
    new_keys, new_bundle = keyed_bundle(documents([edits.get(n, text) for n, text in enumerate(texts)]))
    assert new_keys.keys() == new_bundle.keys()
    for path, key in new_keys.items():
        if old_keys.get(path) == key:
            assert new_bundle[path] == old_bundle[path], path
