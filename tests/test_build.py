"""The generator end to end: tiny sites built in tmp_path, assertions on the real output."""

from __future__ import annotations

import dataclasses
import gzip
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, SITE_YAML, picture, read_tree, run, sample_files, write_files
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from manifesto import load, pipeline, pool, search
from manifesto.linkcheck import dead_links
from manifesto.load import load_sources
from manifesto.model import Imprint, Site
from manifesto.parse import parse_site
from manifesto.pool import worker_count
from manifesto.search import shard_name
from manifesto.write import SITE_MARK

PAGE_FILES = [
    "index.html",
    "chapters/index.html",
    "chapters/fair-funding/index.html",
    "chapters/local-power/index.html",
    "articles/first-op-ed/index.html",
    "articles/second-op-ed/index.html",
    "authors/index.html",
    "authors/ann-example/index.html",
    "authors/ben-sample/index.html",
    "about/index.html",
    "manifesto/index.html",
    "404.html",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "assets/style.css",
    "assets/brand.css",  # made from site.yaml's brand
    "assets/large-print.css",
    "assets/favicon.svg",
    "assets/search.js",
    "cards/home.png",  # a share card for home, each chapter, each proposal and each op-ed (cards.py)
    "cards/chapters/fair-funding.png",
    "cards/chapters/fair-funding-proposal-1.png",
    "cards/chapters/local-power.png",
    "cards/articles/first-op-ed.png",
    "cards/articles/second-op-ed.png",
    "search/index.html",
    ".manifesto-site",  # the build's mark: the files it wrote (write.SITE_MARK)
]


def test_builds_every_page_type(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root) == 0
    built = sorted(read_tree(root / "_site"))
    # The search index (one file per term prefix and per page) has its own tests.
    assert [path for path in built if not path.startswith("search/data/")] == sorted(PAGE_FILES)
    assert "search/data/documents.json" in built


def test_op_ed_page_has_attribution_anchors_and_neighbours(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    html = (root / "_site/articles/first-op-ed/index.html").read_text()
    assert '<h1 id="article-title">Councils are the last line of defence</h1>' in html
    assert '<a href="/authors/ann-example/">Ann Example</a>' in html
    assert '<time datetime="2020-01-24">24 January 2020</time>' in html
    assert "1 min read" in html
    assert '<p id="councils-are-the-last-line-of">' in html
    assert '<h2 id="what-has-changed">' in html
    assert "It&rsquo;s been a decade" in html  # smart quotes
    assert 'class="footnote"' in html
    assert 'href="/articles/second-op-ed/#a-second-voice-joins-the-argument"' in html  # .md link rewritten
    assert 'rel="prev"' in html
    assert '<a href="/chapters/fair-funding/">Fair funding</a>' in html  # breadcrumb


def test_chapter_page_links_each_proposal_to_its_passage(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    html = (root / "_site/chapters/fair-funding/index.html").read_text()
    assert "Fund councils for the services the law requires of them." in html
    assert 'href="/articles/first-op-ed/#councils-are-the-last-line-of"' in html
    assert "Also relevant" not in html  # an op-ed is listed once, under its primary chapter
    related = (root / "_site/chapters/local-power/index.html").read_text()
    assert "Also relevant to this chapter" in related and "/articles/first-op-ed/" in related


def test_every_internal_link_resolves(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    assert dead_links(read_tree(root / "_site")) == []


def test_base_path_prefixes_every_internal_link(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root, "build", "--base-path", "/some-repo") == 0
    pages = read_tree(root / "_site")
    assert dead_links(pages, "/some-repo") == []
    for path, data in pages.items():
        if not path.endswith(".html"):
            continue
        for link in re.findall(r'(?:href|src)="([^"]+)"', data.decode()):
            assert link.startswith(("/some-repo/", "#", "https://", "mailto:")), (path, link)
    assert (
        b'<link rel="canonical" href="https://example.org/platform/articles/first-op-ed/">'
        in pages["articles/first-op-ed/index.html"]
    )


def test_manifesto_holds_every_chapter_and_op_ed_with_unique_ids(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    html = (root / "_site/manifesto/index.html").read_text()
    assert html.index("1. Fair funding") < html.index("2. Local power")
    assert 'id="first-op-ed--councils-are-the-last-line-of"' in html
    assert 'href="#first-op-ed--councils-are-the-last-line-of"' in html  # proposal source, on the page
    assert 'href="#first-op-ed--fn:1"' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert '<h4 id="first-op-ed--what-has-changed">' in html  # op-ed headings nest under the page's


def test_manifesto_bodies_prefix_only_ids_and_same_page_links_and_nest_headings() -> None:
    from markupsafe import Markup

    from manifesto.body import prefix_ids, shift_headings

    body = Markup(
        '<h2 id="why">Why</h2><p id="p">See <a href="#fn:1">1</a>, <a href="/x/#y">y</a>, '
        '<a href="#">top</a>.</p><h6>Deep</h6>'
    )
    assert prefix_ids(body, "op-ed--") == Markup(
        '<h2 id="op-ed--why">Why</h2><p id="op-ed--p">See <a href="#op-ed--fn:1">1</a>, '
        '<a href="/x/#y">y</a>, <a href="#">top</a>.</p><h6>Deep</h6>'
    )
    assert shift_headings(body, 2).startswith('<h4 id="why">Why</h4>')
    assert shift_headings(body, 2).endswith("<h6>Deep</h6>")  # no h8: h6 is the deepest


# What prefix_ids must rewrite, as one regular expression: the definition its string searches follow.
ID_OR_SAME_PAGE_LINK = re.compile(r'\b(id="|href="#)(?=[^"]+")')


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ['id="', 'href="#', "href=", '="', '"', "#", "x", "é", "_", "-", " ", "<a ", ">", "h"]
        ),
        max_size=14,
    )
)
def test_manifesto_prefixes_follow_their_definition(fragments: list[str]) -> None:
    from markupsafe import Markup

    from manifesto.body import prefix_ids

    text = "".join(fragments)
    parts = ID_OR_SAME_PAGE_LINK.split(text)  # text, attribute start, text, ...
    parts[1::2] = [start + "p--" for start in parts[1::2]]
    assert prefix_ids(Markup(text), "p--") == Markup("".join(parts))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(['id="', 'href="#', '="', '"', "#", "x", "_", " ", "<h2", "</h3", "<h6", "<hr", ">"]),
        max_size=16,
    )
)
def test_manifesto_bodies_from_their_marks_equal_the_two_rewrites(fragments: list[str]) -> None:
    """The manifesto nests each body from the places found when it was converted; the result must be
    the two rewrites', done on the whole text."""
    from markupsafe import Markup

    from manifesto.body import manifesto_marks, nested_body, prefix_ids, shift_headings

    text = Markup("".join(fragments))
    expected = shift_headings(prefix_ids(text, "op-ed--"), 2)
    assert nested_body(text, manifesto_marks(text), "op-ed--", 2) == expected


def test_feed_sitemap_and_robots(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    feed = (root / "_site/feed.xml").read_text()
    assert "<id>https://example.org/platform/articles/first-op-ed/</id>" in feed
    assert "&lt;p id=" in feed  # full text, escaped once
    sitemap = (root / "_site/sitemap.xml").read_text()
    assert "<loc>https://example.org/platform/articles/second-op-ed/</loc>" in sitemap
    assert "404" not in sitemap
    assert "Sitemap: https://example.org/platform/sitemap.xml" in (root / "_site/robots.txt").read_text()


def test_two_builds_are_byte_identical(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site()
    run(root, "build", "--out", str(tmp_path / "one"))
    run(root, "build", "--out", str(tmp_path / "two"))
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


DRAFT = """\
---
title: A secret draft
author: Cat Draft
chapter: fair-funding
summary: Not ready yet.
draft: true
---

Unfinished words.
"""


def test_drafts_appear_nowhere_unless_asked(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/articles/draft.md": DRAFT})
    run(root)
    for path, data in read_tree(root / "_site").items():
        assert b"secret draft" not in data and b"Cat Draft" not in data, path
    run(root, "build", "--drafts")
    html = (root / "_site/articles/draft/index.html").read_text()
    assert "A secret draft" in html and "Draft" in html and "drafts are shown" in html


def test_titles_are_escaped_and_markdown_is_never_a_template(make_site: Callable[..., Path]) -> None:
    article = """\
    ---
    title: "<script>alert(1)</script>"
    author: Ann Example
    chapter: fair-funding
    summary: "Tom & Jerry's <b>summary</b>"
    ---

    {{ 7*7 }} and {% if x %}y{% endif %} stay as written. <script>alert(2)</script> and <img src=x onerror=alert(3)>.

    [click](javascript:alert(4)) is refused.
    """
    root = make_site(
        {"content/articles/hostile.md": article.replace("[click](javascript:alert(4)) is refused.\n", "")}
    )
    assert run(root) == 0
    html = (root / "_site/articles/hostile/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "{% if x %}" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "<img src=x" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/ld+json">']
    assert "\\u003cscript\\u003ealert(1)" in html  # escaped inside the structured data too


def test_javascript_links_are_refused(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    article = DRAFT.replace("draft: true\n", "") + "\n[click](javascript:alert(4))\n"
    root = make_site({"content/articles/bad.md": article})
    assert run(root) == 1
    assert "content/articles/bad.md:10: links with 'javascript:' are not allowed" in capsys.readouterr().err


def png_header(width: int, height: int) -> bytes:
    """The start of a PNG file that says it is ``width`` × ``height``: enough for Pillow to size it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    size = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", size) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


SECOND_OP_ED = "---\n{}\nauthor: Ben Sample\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice.\n"
LAUGHS = "l0: &l0 lol\n" + "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 10))
PAGE_TEMPLATE = (
    "{{% extends 'base.html' %}}{{% set page_title = page.title %}}{{% set description = '' %}}\n{}\n"
)
# Mistakes in templates, reported at their line whether --root is given as an absolute or relative path.
TEMPLATE_MISTAKES = [
    pytest.param(
        "templates/page.html",
        PAGE_TEMPLATE.format("{% block main %}{{ page.titel }}{% endblock %}"),
        "templates/page.html:2: template error: 'manifesto.model.Page object' has no attribute 'titel'",
        id="template-typo",
    ),
    pytest.param(
        "templates/page.html",
        "{% extends 'base.html' %}\n{% block main %}\n{% if x %}\n{% endblock %}\n",
        "templates/page.html:4: template syntax error",
        id="template-syntax-error",
    ),
    pytest.param(
        "templates/page.html",
        PAGE_TEMPLATE.format("{% block main %}{{ 1 // 0 }}{% endblock %}"),
        "templates/page.html:2: template error: ZeroDivisionError: integer division or modulo by zero",
        id="template-divides-by-zero",
    ),
    pytest.param(
        "templates/page.html",
        "{% extends 'page.html' %}\n",
        "templates/page.html:1: template error: this template extends or includes itself",
        id="template-extends-itself",
    ),
    pytest.param(
        "templates/page.html",
        PAGE_TEMPLATE.format(
            "{% block main %}{% for a in site.articles %}{{ a.date|date_text }}{% endfor %}{% endblock %}"
        ),
        "templates/page.html:2: template error: date_text needs a date, not None\n"
        "  hint: show a date only when there is one: {% if article.date %}…{% endif %}",
        id="date-text-of-no-date",
    ),
    pytest.param(
        "templates/page.html",
        "{% extends 'base.html' %}\n{# Caf\xe9 #}\n".encode("latin-1"),
        "templates/page.html:2: this file is not UTF-8 text (byte 0xe9 at position 32)",
        id="template-not-utf8",
    ),
]
# (file to change, its new text, the message expected on stderr)
BAD_INPUTS = [
    pytest.param(
        "content/articles/first-op-ed.md",
        "---\ntitle: Unclosed\nauthor: A\n\nBody text.\n",
        "content/articles/first-op-ed.md:1: the front matter is never closed\n"
        "  hint: did you forget the closing --- line after the last field?",
        id="front-matter-never-closed",
    ),
    pytest.param(
        "content/articles/first-op-ed.md",
        '---\ntitle: "Unclosed quote\nauthor: A\n---\n\nBody.\n',
        "content/articles/first-op-ed.md:",
        id="unclosed-quote",
    ),
    pytest.param(
        "content/articles/first-op-ed.md",
        "---\ntitle: Tabs\n\tauthor: A\n---\n\nBody.\n",
        "content/articles/first-op-ed.md:3: invalid YAML",
        id="tab-indent",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: A second voice\nauthor: Ben Sample\nchapter: fair-fundng\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:4: unknown chapter 'fair-fundng'\n"
        "  hint: did you mean 'fair-funding'? (known: fair-funding, local-power)",
        id="unknown-chapter",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: A second voice\nauthr: Ben Sample\nauthor: Ben\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:3: unknown field 'authr' in the op-ed's front matter\n"
        "  hint: did you mean 'author'?",
        id="unknown-key",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: ''\nauthor: Ben\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:2: 'title' is empty",
        id="empty-title",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\nauthor: Ben\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:2: the op-ed's front matter has no 'title'",
        id="missing-title",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: 2020\nauthor: Ben\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:2: 'title' must be text, not a whole number",
        id="number-as-title",
    ),
    pytest.param(
        "content/chapters/local-power.md",
        "---\ntitle: Local power\norder: first\nsummary: S.\n---\n\nIntro.\n",
        "content/chapters/local-power.md:3: 'order' must be a whole number, not text",
        id="text-as-order",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: T\nauthor: Ben\ndate: 2020-02-30\nchapter: fair-funding\nsummary: S.\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:4: 'date' is not a real date: '2020-02-30'",
        id="impossible-date",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "- just\n- a list\n",
        "content/articles/second-op-ed.md:1: the file does not start with front matter",
        id="no-front-matter",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\n- a\n- list\n---\n\nBody.\n",
        "content/articles/second-op-ed.md:2: the op-ed's front matter must be a set of 'key: value' lines, not a list",
        id="front-matter-is-a-list",
    ),
    pytest.param(
        "content/articles/copy.md",
        "---\ntitle: Copy\nauthor: Ben\nchapter: fair-funding\nsummary: S.\nslug: second-op-ed\n---\n\nBody.\n",
        "content/articles/second-op-ed.md: the address /articles/second-op-ed/ is already used by content/articles/copy.md",
        id="duplicate-slug",
    ),
    pytest.param(
        "content/articles/copy.md",
        "---\ntitle: A  SECOND voice\nauthor: Ben\nchapter: fair-funding\nsummary: S.\n---\n\nBody.\n",
        "content/articles/second-op-ed.md:2: the title 'A second voice' is already used by content/articles/copy.md:2\n"
        "  hint: give each op-ed its own title",
        id="duplicate-op-ed-title",
    ),
    pytest.param(
        "content/chapters/more-power.md",
        "---\ntitle: Local power\norder: 3\nsummary: S.\n---\n\nIntro.\n",
        "content/chapters/more-power.md:2: the title 'Local power' is already used by content/chapters/local-power.md:2",
        id="duplicate-chapter-title",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: A second voice\nauthor: Ben\nchapter: fair-funding\nsummary: S.\naliases:\n  - /old/\n  - /about/\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:8: the alias /about/ is the address of content/pages/about.md\n"
        "  hint: an alias is an old address that no page has now: remove it or correct it",
        id="alias-is-a-page",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: A second voice\nauthor: Ben\nchapter: fair-funding\nsummary: S.\naliases: [/manifesto]\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:6: the alias /manifesto/ is an address the site makes itself",
        id="alias-is-a-generated-page",
    ),
    pytest.param(
        "content/chapters/local-power.md",
        "---\ntitle: Local power\norder: 2\nsummary: S.\naliases: /articles/first-op-ed/\n---\n\nI.\n",
        "content/chapters/local-power.md:5: the alias /articles/first-op-ed/ is the address of content/articles/first-op-ed.md",
        id="alias-is-an-op-ed",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\naliases:\n  - /articles/old-title/\n  - /articles/old-title\n---\n\nWe are councillors.\n",
        "content/pages/about.md:5: the alias /articles/old-title/ is also an alias in content/pages/about.md:4\n"
        "  hint: an old address can lead to one page only: remove one of the two",
        id="alias-twice",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\naliases: [/assets/old/]\n---\n\nWe are councillors.\n",
        "content/pages/about.md:3: the alias /assets/old/ is inside /assets/, which the site writes",
        id="alias-in-assets",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\naliases: [https://example.org/old/]\n---\n\nWe are councillors.\n",
        "content/pages/about.md:3: an alias must be a path of this site starting with /, not 'https://example.org/old/'",
        id="alias-with-a-scheme",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\naliases: [/old/../../x/]\n---\n\nWe are councillors.\n",
        "content/pages/about.md:3: '/old/../../x/' is not a usable alias",
        id="alias-climbing-out",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\naliases: [/old/?page=2]\n---\n\nWe are councillors.\n",
        "content/pages/about.md:3: '/old/?page=2' is not a usable alias",
        id="alias-with-a-query",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML.replace(
            "  address: 1 High Street", "  on_behalf_of: Anytown Residents\n  address: 1 High Street"
        ),
        "site.yaml:7: the imprint names who the site is published on behalf of, but not their address",
        id="on-behalf-of-without-address",
    ),
    pytest.param(
        "content/chapters/fair-funding.md",
        "---\ntitle: Fair funding\norder: 1\nsummary: S.\nproposals:\n  - text: Do it.\n    source: first-op-ed#nowhere\n---\n\nIntro.\n",
        "content/chapters/fair-funding.md:6: proposal source: op-ed 'first-op-ed' has no passage '#nowhere'",
        id="dead-proposal-source",
    ),
    pytest.param(
        "content/chapters/fair-funding.md",
        "---\ntitle: Fair funding\norder: 1\nsummary: S.\nproposals:\n  - text: Do it.\n    source: first-op-ed#line-is-thinning\n---\n\nIntro.\n",
        "content/chapters/fair-funding.md:6: proposal source: op-ed 'first-op-ed' has no passage '#line-is-thinning'\n"
        "  hint: did you mean '#councils-are-the-last-line-of'?",
        id="passage-id-from-the-paragraph-s-words",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML.replace("contact: editors@councils-first.org.uk", "contact: the editors"),
        "site.yaml:17: 'contact' must be an e-mail address or a web address starting with https://, not 'the editors'",
        id="contact-not-an-address",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML.replace("contact: editors@councils-first.org.uk", "contact: http://example.org/form"),
        "site.yaml:17: 'contact' must be an e-mail address or a web address starting with https://",
        id="contact-not-https",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        "---\ntitle: T\nauthor: Ben\nchapter: fair-funding\nsummary: S.\nheadline_by: the editor\n---\n\nA second voice joins the argument for fair funding.\n",
        "content/articles/second-op-ed.md:6: 'headline_by' must be 'editors' or 'author', not 'the editor'",
        id="headline-by-neither-editors-nor-author",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\n---\n\nSee [the plan](../articles/missing.md).\n",
        "content/pages/about.md:5: this links to content/articles/missing.md, which does not exist",
        id="dead-markdown-link",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\n---\n\nA photo: ![](../images/none.png)\n",
        "content/pages/about.md:5: an image has no alt text",
        id="image-without-alt",
    ),
    # Characters that no web page or feed may contain, wherever they are.
    *(
        pytest.param(
            "content/articles/second-op-ed.md",
            f"---\ntitle: A second{character}voice\nauthor: Ben Sample\nchapter: fair-funding\nsummary: S.\n"
            "---\n\nA second voice joins the argument for fair funding.\n",
            f"content/articles/second-op-ed.md:2: column 16 holds {name} (U+{ord(character):04X}), which a web "
            "page or feed cannot contain\n  hint: delete it",
            id=f"control-character-{ord(character):04x}-in-a-title",
        )
        for character, name in (
            ("\x00", "a NUL character"),
            ("\x0b", "a vertical tab (a word processor's line break)"),
            ("\x0c", "a form feed (a word processor's page break)"),
            ("\x1b", "an escape character"),
            ("\ufffe", "a character that is not text"),
            ("\U0010ffff", "a character that is not text"),
        )
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\n---\n\nWe are\x0bcouncillors.\n",
        "content/pages/about.md:5: column 7 holds a vertical tab",
        id="control-character-in-a-body",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML.replace("tagline: A platform", "tagline: A\x1b[1m platform"),
        "site.yaml:2: column 11 holds an escape character (U+001B)",
        id="control-character-in-site-yaml",
    ),
    pytest.param(
        "content/articles/note\nsite.yaml:1: forged.md",
        "---\ntitle: T\nauthor: A\nchapter: nowhere\nsummary: S.\n---\n\nText.\n",
        "\"content/articles/note\\nsite.yaml:1: forged.md\":4: unknown chapter 'nowhere'",
        id="line-end-in-a-file-name",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\n---\n\nOur office: ![The office](https://example.org/office.jpg)\n",
        "content/pages/about.md:5: a picture from another site is not shown: pages show pictures from this "
        "site only\n  hint: save the picture in content/images/",
        id="picture-from-another-site",
    ),
    pytest.param(
        "content/pages/about.md",
        "---\ntitle: About\n---\n\n[Click](javascript&#58;alert(1)) or [here](&#106;avascript:alert(1))\n",
        "content/pages/about.md:5: links with 'javascript:' are not allowed",
        id="link-scheme-written-as-character-references",
    ),
    # Markdown whose inline pass would take time growing with the square of the paragraph's length.
    *(
        pytest.param(
            "content/pages/about.md",
            "---\ntitle: About\n---\n\nWe are councillors.\n\n" + paragraph + "\n",
            "content/pages/about.md:7: this paragraph is too long, or has too many unclosed '[' or '(', to "
            "convert in reasonable time\n  hint: split it into shorter paragraphs",
            id=name,
        )
        for name, paragraph in (
            ("markdown-10-kb-of-brackets", "[" * 10_000),
            ("markdown-5000-image-openings", "![" * 5_000),
            ("markdown-5000-unclosed-link-addresses", "[a](" * 5_000),
            (
                "markdown-20000-links-in-a-paragraph",
                " ".join(f"[a](https://e.org/{n})" for n in range(20_000)),
            ),
        )
    ),
    pytest.param(
        "site.yaml",
        "title: [unclosed\n",
        "site.yaml:2: invalid YAML",
        id="broken-site-yaml",
    ),
    *TEMPLATE_MISTAKES,
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("<<: {title: T}"),
        "content/articles/second-op-ed.md:2: YAML merge keys (<<) are not supported in front matter or site.yaml",
        id="yaml-merge-key",
    ),
    *(
        pytest.param(
            "site.yaml",
            SITE_YAML.replace("url: /about/", f"url: '{link}'"),
            f"site.yaml:14: 'url' must be a full address (https://…) or a site path starting with /, not {link!r}",
            id=f"site-yaml-link-{name}",
        )
        for name, link in [
            ("javascript", "javascript:alert(1)"),
            ("data", "data:text/html,x"),
            ("scheme-relative", "//evil.example/"),
            ("backslash", "/\\evil.example/"),
        ]
    ),
    pytest.param(
        "site.yaml",
        "<<: {title: T}\n",
        "site.yaml:1: YAML merge keys (<<) are not supported",
        id="yaml-merge-key-in-site-yaml",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("!foo title: T"),
        "content/articles/second-op-ed.md:2: a field name must be plain text, not 'title' (!foo)",
        id="yaml-tag-on-a-key",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("title: T\n&a [*a]: x"),
        "content/articles/second-op-ed.md:3: a field name must be plain text, not a list",
        id="yaml-recursive-alias-as-key",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format(f"title: T\n{LAUGHS}*l9 : x"),
        "content/articles/second-op-ed.md:12: a field name must be plain text, not a list",
        id="yaml-billion-laughs-as-key",
    ),
    *(
        pytest.param(
            "content/articles/second-op-ed.md",
            SECOND_OP_ED.format(f"title: T\nsocial: ['@ben', {link!r}]"),
            f"content/articles/second-op-ed.md:3: 'social' must be a handle such as \"@name\" or a full "
            f"https:// address, not {link!r}",
            id=f"social-{name}",
        )
        for name, link in [
            ("javascript", "javascript:alert(1)"),
            ("data", "data:text/html,<script>alert(1)</script>"),
            ("scheme-relative", "//evil.example/"),
            ("no-host", "https:evil.example"),
            ("handle-with-a-slash", "@ben/../../x"),
        ]
    ),
    pytest.param(
        "content/articles/third.md",
        "---\ntitle: T\nauthor: Ann Exämple\nchapter: fair-funding\nsummary: S.\n---\n\nText.\n",
        "content/articles/third.md:3: the author 'Ann Exämple' would share the page /authors/ann-example/ "
        "with 'Ann Example' of content/articles/first-op-ed.md\n  hint: if they are one person, spell the "
        "name the same way in both files; if not, give one of them a page of their own with  "
        "author_slug: ann-example-2",
        id="two-names-one-author-page",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("title: T\nauthor_slug: ben").replace(
            "author: Ben Sample", "author: Ann Example"
        ),
        "content/articles/second-op-ed.md:3: the author 'Ann Example' has the page /authors/ben/ here, but "
        "/authors/ann-example/ in content/articles/first-op-ed.md",
        id="one-name-two-author-pages",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("title: T\nphoto: ben.jpg"),
        "content/articles/second-op-ed.md:3: there is no picture content/images/ben.jpg\n"
        "  hint: save the picture in content/images/ and give its name",
        id="photo-not-in-images",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("title: T\nimage: ../images/rally.jpg"),
        "content/articles/second-op-ed.md:3: there is no picture content/images/rally.jpg",
        id="lead-image-not-in-images",
    ),
    pytest.param(
        "content/articles/second-op-ed.md",
        SECOND_OP_ED.format("title: T\nimage: rally.jpg"),
        "content/articles/second-op-ed.md:3: the lead image has no description\n"
        '  hint: say what it shows, for readers who cannot see it:  image_alt: "',
        id="lead-image-without-alt",
    ),
    pytest.param(
        "content/images/huge.png",
        png_header(30_000, 20_000),
        "content/images/huge.png: this picture is too large to publish (more than 89,478,485 pixels)\n"
        "  hint: make it smaller",
        id="picture-over-the-pixel-limit",
    ),
    pytest.param(
        "content/images/town-hall.960w.jpg",
        picture("JPEG"),
        "content/images/town-hall.960w.jpg: names ending in a width (.960w.jpg) are kept for the resized "
        "copies the build makes\n  hint: rename it, for example to town-hall.jpg",
        id="picture-named-like-a-resized-copy",
    ),
    *(
        pytest.param("content/images/" + name, text, "content/images/" + expected, id=f"image-{name}")
        for name, text, expected in [
            (
                "page.html",
                "<script>alert(1)</script>",
                "page.html: only pictures are published from content/images/",
            ),
            ("notes.txt", "notes", "notes.txt: only pictures are published from content/images/"),
            (
                "fake.png",
                "<script>alert(1)</script>",
                "fake.png: this is not a PNG picture, or it is damaged",
            ),
            (
                "script.svg",
                '<svg xmlns="http://www.w3.org/2000/svg">\n<script>alert(1)</script>\n</svg>\n',
                "script.svg:2: this SVG cannot be published: <script> is not allowed",
            ),
            (
                "onload.svg",
                '<svg xmlns="http://www.w3.org/2000/svg"\n     onload="alert(1)">\n</svg>\n',
                "onload.svg:2: this SVG cannot be published: it has an event handler (onload), which runs script",
            ),
            (
                "foreign.svg",
                '<svg xmlns="http://www.w3.org/2000/svg">\n<rect width="1" height="1"/>\n'
                '<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>\n</svg>\n',
                "foreign.svg:3: this SVG cannot be published: <foreignObject> is not allowed",
            ),
            (
                "link.svg",
                '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
                '<use xlink:href="javascript:alert(1)"/>\n</svg>\n',
                "link.svg:2: this SVG cannot be published: it links outside the drawing",
            ),
            (
                "entities.svg",
                '<!DOCTYPE svg [<!ENTITY a "lol">]>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n',
                "entities.svg:1: this SVG cannot be published: it declares entities",
            ),
        ]
    ),
    pytest.param(
        "content/chapters/local-power.md",
        "---\ntitle: Local power\norder: " + "9" * 5000 + "\nsummary: S.\n---\n\nIntro.\n",
        "content/chapters/local-power.md:3: 'order' is too large: whole numbers here go up to 1,000,000,000",
        id="order-of-5000-digits",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "formats:\n  - label: Easy Read\n    kind: easy-read\n    file: easy-reed.pdf\n",
        "site.yaml:19: no file content/formats/easy-reed.pdf for the format 'Easy Read'\n"
        "  hint: did you mean 'easy-read.pdf'?",
        id="format-file-missing",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "formats:\n  - label: Easy Read\n    kind: easy-read\n    file: easy-read.html\n",
        "site.yaml:19: the format 'Easy Read' is a .html, which is not published\n"
        "  hint: formats may be files of these types: .pdf, .docx, .epub, .txt, .mp3, .m4a, .mp4, .webm",
        id="format-file-type-not-published",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML
        + "formats:\n  - label: Audio\n    kind: audio\n    file: a.mp3\n    url: https://example.org/a\n",
        "site.yaml:19: the format 'Audio' needs either a 'file' or a 'url', not both",
        id="format-file-and-url",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "formats:\n  - label: Easy Read\n    kind: easy-reed\n    file: easy-read.pdf\n",
        "site.yaml:20: unknown kind of format 'easy-reed'\n  hint: did you mean 'easy-read'?",
        id="format-unknown-kind",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "formats:\n  - label: BSL\n    kind: bsl\n    url: www.example.org/bsl\n",
        "site.yaml:21: 'url' must be a full address (https://…), not 'www.example.org/bsl'",
        id="format-address-not-absolute",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML.replace("AB1 2CD\n", "AB1 2CD\n  printer: Print Co\n", 1),
        "site.yaml:7: the imprint has a 'printer' but no 'printer_address'\n"
        "  hint: printed material must carry the printer's name and postal address: give both",
        id="printer-without-address",
    ),
    pytest.param(
        "templates/locales/cy/LC_MESSAGES/messages.po",
        'msgid "Home"\nmsgstr "Hafan"\nHafan yw hon\n',
        "templates/locales/cy/LC_MESSAGES/messages.po:3: this catalogue cannot be read: "
        "unknown or misformatted keyword\n"
        '  hint: a .po file is pairs of  msgid "…"  and  msgstr "…"  lines',
        id="catalogue-not-po",
    ),
    pytest.param(
        "templates/locales/cy/LC_MESSAGES/messages.po",
        'msgid "Home"\nmsgstr "Hafan"\n\nmsgid "Op-eds by %(name)s"\nmsgstr "Erthyglau barn gan %(enw)s"\n',
        "templates/locales/cy/LC_MESSAGES/messages.po:4: the translation of 'Op-eds by %(name)s' does not "
        "fit it: unknown named placeholder 'enw'\n"
        "  hint: keep every  %(name)s  of the msgid in the msgstr",
        id="catalogue-placeholder-renamed",
    ),
    pytest.param(
        "templates/locales/cy/LC_MESSAGES/messages.po",
        'msgid "Home"\nmsgstr "Caf\xe9"\n'.encode("latin-1"),
        "templates/locales/cy/LC_MESSAGES/messages.po:2: this file is not UTF-8 text",
        id="catalogue-not-utf8",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + 'brand:\n  accent: "#ff8a8a"\n',
        "site.yaml:19: the colour #ff8a8a is too light: links on the header and footer would have a contrast "
        "of 1.98:1, below the 4.5:1 that WCAG 2.2 AA asks for\n"
        '  hint: the nearest colour of the same hue that passes is #dc0000: write  accent: "#dc0000"',
        id="brand-accent-low-contrast",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + 'brand:\n  accent: "#1a1a60"\n  accent_dark: "#1a1a60"\n',
        "site.yaml:20: the colour #1a1a60 is too dark: links on the dark header and footer would have a "
        "contrast of 1.00:1, below the 4.5:1 that WCAG 2.2 AA asks for\n"
        '  hint: the nearest colour of the same hue that passes is #8282dd: write  accent_dark: "#8282dd"',
        id="brand-dark-accent-low-contrast",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "brand:\n  accent: #8b1a2b\n",
        "site.yaml:19: 'accent' has no colour\n"
        '  hint: put the colour in quotes:  accent: "#8b1a2b"  (unquoted, a # starts a comment)',
        id="brand-colour-unquoted",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "brand:\n  accent: dark red\n",
        "site.yaml:19: 'accent' must be a colour written #rrggbb, not 'dark red'",
        id="brand-colour-by-name",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "brand:\n  accent: '#8b1a2b'\n  logo: logo.svg\n",
        "site.yaml:20: no picture content/images/logo.svg for the logo\n"
        "  hint: put the logo (SVG or PNG) in content/images/ and give its name, for example  logo: logo.svg",
        id="brand-logo-missing",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "brand:\n  logo: logo.gif\n",
        "site.yaml:19: the logo must be an SVG or PNG picture, not 'logo.gif'",
        id="brand-logo-not-svg-or-png",
    ),
    pytest.param(
        "site.yaml",
        SITE_YAML + "brand:\n  colour: '#8b1a2b'\n",
        "site.yaml:19: unknown field 'colour' in the brand",
        id="brand-unknown-field",
    ),
    pytest.param(
        "templates/assets/brand.css",
        ":root { --accent: #8b1a2b; }\n",
        "templates/assets/brand.css: assets/brand.css is the name of the style sheet the build makes from "
        "site.yaml's brand\n"
        "  hint: give your file another name, or put its rules in templates/assets/style.css",
        id="own-file-named-like-the-brand-style-sheet",
    ),
]


@pytest.mark.parametrize(("relative", "text", "expected"), BAD_INPUTS)
def test_bad_input_is_reported_and_the_last_good_site_kept(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    relative: str,
    text: str | bytes,
    expected: str,
) -> None:
    root = make_site()
    assert run(root) == 0
    before = read_tree(root / "_site")
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        (root / relative).write_bytes(text)
    else:
        (root / relative).write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert read_tree(root / "_site") == before


@pytest.mark.parametrize(("relative", "text", "expected"), TEMPLATE_MISTAKES)
def test_a_template_mistake_is_reported_when_the_root_is_a_relative_path(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    relative: str,
    text: str | bytes,
    expected: str,
) -> None:
    root = make_site()
    (root / relative).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    monkeypatch.chdir(root.parent)
    assert run(Path(root.name)) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_names_in_any_script_get_author_pages_of_their_own(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def op_ed(author: str) -> str:
        return (
            f"---\ntitle: By {author}\nauthor: {author}\nchapter: fair-funding\nsummary: S.\n---\n\nText.\n"
        )

    names = {
        "li": "李明",
        "wang": "王芳",
        "alexis": "Αλέξης",
        "jo": "Jo Bloggs",
        "jo-wide": "Ｊｏ  Ｂｌｏｇｇｓ",
    }
    root = make_site({f"content/articles/{file}.md": op_ed(name) for file, name in names.items()})
    assert run(root) == 0
    pages = {path.parent.name: path.read_text() for path in (root / "_site/authors").glob("*/index.html")}
    assert {"liming", "wangfang", "alexis", "jo-bloggs"} <= set(pages)
    assert "By 李明" in pages["liming"] and "By 王芳" not in pages["liming"]
    assert "By Jo Bloggs" in pages["jo-bloggs"] and "By Ｊｏ Ｂｌｏｇｇｓ" in pages["jo-bloggs"]  # one name
    (root / "content/articles/dawn.md").write_text(op_ed("黎明"))  # another name, also "liming"
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert (
        "content/articles/li.md:3: the author '李明' would share the page /authors/liming/ with '黎明' "
        "of content/articles/dawn.md" in err
    )
    (root / "content/articles/dawn.md").write_text(
        op_ed("黎明").replace("summary:", "author_slug: li-ming-2\nsummary:")
    )
    assert run(root) == 0
    assert "By 黎明" in (root / "_site/authors/li-ming-2/index.html").read_text()
    (root / "content/articles/private.md").write_text(
        op_ed("\ue000\ue001")
    )  # nothing of it has an ASCII reading
    assert run(root) == 0
    assert len(list((root / "_site/authors").glob("author-*/index.html"))) == 1


def test_pictures_are_published_as_they_are_and_only_when_they_are_what_their_names_say(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2">\n'
    svg += '<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>\n'
    svg += '<rect width="2" height="2" fill="url(#g)"/><title>A square</title></svg>\n'
    root = make_site()
    images = root / "content/images"
    images.mkdir()
    published = {"photo.JPG": picture("JPEG"), "chart.png": picture("PNG"), "logo.svg": svg.encode()}
    published |= {"anim.gif": picture("GIF"), "photo.webp": picture("WEBP")}
    for name, data in published.items():
        (images / name).write_bytes(data)
    assert run(root) == 0
    assert {name: (root / "_site/images" / name).read_bytes() for name in published} == published
    before = read_tree(root / "_site")
    (images / "misnamed.png").write_bytes(picture("JPEG"))
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/images/misnamed.png: this is a JPEG picture, not the PNG its name says" in err
    assert "hint: rename it to end in .jpg" in err
    assert read_tree(root / "_site") == before


def test_every_problem_of_a_run_is_reported_together(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(
        {
            "content/articles/a.md": "---\ntitle: A\nauthor: X\nchapter: nope\nsummary: S.\n---\n\nText.\n",
            "content/articles/b.md": "---\ntitle: B\nauthor: X\nchapter: fair-funding\n---\n\nText.\n",
        }
    )
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/articles/b.md:2: the op-ed's front matter has no 'summary'" in err
    assert "Build failed: 1 problem" in err  # b.md stops the first pass; a.md's chapter is checked after
    (root / "content/articles/b.md").unlink()
    (root / "content/articles/c.md").write_text(
        "---\ntitle: C\nauthor: X\nchapter: nada\nsummary: S.\n---\n\nT.\n"
    )
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/articles/a.md:4: unknown chapter 'nope'" in err
    assert "content/articles/c.md:4: unknown chapter 'nada'" in err
    assert "Build failed: 2 problems" in err


def test_bom_and_crlf_simply_work(make_site: Callable[..., Path]) -> None:
    text = "\ufeff" + DRAFT.replace("draft: true\n", "").replace("\n", "\r\n")
    root = make_site()
    (root / "content/articles/windows.md").write_bytes(text.encode("utf-8"))
    assert run(root) == 0
    assert "Unfinished words." in (root / "_site/articles/windows/index.html").read_text()


def test_non_utf8_file_is_a_clear_error(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    (root / "content/articles/latin1.md").write_bytes(
        DRAFT.replace("Unfinished", "Caf\xe9").encode("latin-1")
    )
    assert run(root) == 1
    assert "content/articles/latin1.md:9: this file is not UTF-8 text" in capsys.readouterr().err


def test_file_names_with_spaces_and_accents_get_ascii_slugs(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/articles/Café Society Plans.md": DRAFT.replace("draft: true\n", "")})
    assert run(root) == 0
    assert (root / "_site/articles/cafe-society-plans/index.html").is_file()


@pytest.mark.parametrize("out", [".", "content", "..", "content/articles"])
def test_refuses_output_folders_that_hold_sources(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], out: str
) -> None:
    root = make_site()
    assert run(root, "build", "--out", str(root / out)) == 1
    assert "output folder" in capsys.readouterr().err or "source files" in capsys.readouterr().err
    assert (root / "content/articles/first-op-ed.md").is_file()


def test_usage_error_exits_2(make_site: Callable[..., Path]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(make_site(), "build", "--no-such-flag")
    assert exit_info.value.code == 2


def test_leftovers_of_a_killed_build_are_cleared(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root) == 0
    (root / "_site/.staging-abc/site").mkdir(parents=True)
    (root / "_site/.staging-abc/site/index.html").write_text("half-written")
    assert run(root) == 0
    assert not (root / "_site/.staging-abc").exists()


def test_every_field_is_documented_in_the_readme() -> None:
    from manifesto.parse import (
        ARTICLE_FIELDS,
        BRAND_FIELDS,
        CHAPTER_FIELDS,
        FORMAT_FIELDS,
        IMPRINT_FIELDS,
        LANGUAGE_FIELDS,
        PAGE_FIELDS,
        SITE_FIELDS,
        TRANSLATION_FIELDS_BY_KIND,
    )

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    every_kind = (SITE_FIELDS, IMPRINT_FIELDS, FORMAT_FIELDS, BRAND_FIELDS, ARTICLE_FIELDS, CHAPTER_FIELDS)
    for fields in (*every_kind, PAGE_FIELDS, LANGUAGE_FIELDS, *TRANSLATION_FIELDS_BY_KIND.values()):
        for name in fields:
            assert f"`{name}`" in readme, name


def test_table_column_alignment_is_a_class_the_style_sheet_knows_never_an_inline_style(
    make_site: Callable[..., Path],
) -> None:
    table = "| Council | Cut | Note |\n|:--|--:|:-:|\n| Anytown | 40% | deep |\n"
    root = make_site({"content/pages/about.md": f"---\ntitle: About\n---\n\n{table}"})
    assert run(root) == 0
    page = (root / "_site/about/index.html").read_text()
    assert '<th class="align-left">Council</th>\n<th class="align-right">Cut</th>' in page
    assert '<td class="align-right">40%</td>\n<td class="align-center">deep</td>' in page
    assert "style=" not in page
    css = (root / "_site/assets/style.css").read_text()
    assert ".prose .align-center { text-align: center; }" in css
    assert ".prose .align-right { text-align: right; }" in css


# Words of a campaign's prose, drawn at random (seeded) into an op-ed that compresses no better than one.
PROSE_WORDS = [
    "councils",
    "people",
    "local",
    "services",
    "funding",
    "government",
    "power",
    "communities",
    "trust",
    "years",
    "housing",
    "care",
    "budget",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "that",
    "is",
    "for",
    "on",
    "with",
    "as",
    "by",
    "it",
    "was",
    "we",
    "they",
    "their",
    "our",
    "more",
    "than",
    "not",
    "but",
    "from",
    "have",
    "this",
    "austerity",
    "cuts",
    "residents",
    "leaders",
    "party",
    "national",
    "decisions",
    "money",
    "schools",
    "roads",
    "libraries",
    "social",
    "health",
    "every",
    "should",
    "must",
    "could",
    "would",
    "will",
    "can",
    "plan",
    "build",
    "fair",
    "share",
    "voice",
    "change",
    "work",
    "public",
    "across",
    "town",
    "city",
]


def test_an_op_ed_page_without_pictures_weighs_under_10_kb_compressed(make_site: Callable[..., Path]) -> None:
    """What a reader's browser fetches for a 1,000-word op-ed (the page, its style sheets and icon), as a
    server sends it, gzip-compressed."""
    draw = random.Random(7)
    paragraphs = [
        " ".join(draw.choice(PROSE_WORDS) for _ in range(100)).capitalize() + "." for _ in range(10)
    ]
    article = (
        "---\ntitle: A long op-ed\nauthor: Ann Example\nbio: A councillor.\nchapter: fair-funding\n"
        "summary: A thousand words.\n---\n\n" + "\n\n".join(paragraphs) + "\n"
    )
    root = make_site({"content/articles/long.md": article})
    assert run(root) == 0
    html = (root / "_site/articles/long/index.html").read_bytes()
    fetched = [html]
    for link in sorted(set(re.findall(rb'<link rel="(?:stylesheet|icon)" href="([^"?]+)', html))):
        fetched.append((root / "_site" / link.decode().lstrip("/")).read_bytes())
    assert len(fetched) == 4  # the page, brand.css, style.css and the icon
    weight = sum(len(gzip.compress(data, compresslevel=6, mtime=0)) for data in fetched)
    assert weight < 10_000, weight


def test_check_writes_nothing_and_passes_a_sound_site(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root, "check") == 0
    assert "No problems found" in capsys.readouterr().out
    assert not (root / "_site").exists()


@pytest.mark.parametrize(
    ("relative", "text", "expected"),
    [
        pytest.param(
            "content/pages/about.md",
            "---\ntitle: About\n---\n\nRead [the plan](../articles/first-op-ed.md#no-such-passage).\n",
            "content/pages/about.md:5: dead link: ../articles/first-op-ed.md#no-such-passage",
            id="dead-anchor",
        ),
        pytest.param(
            "content/chapters/local-power.md",
            "---\ntitle: Local power\norder: 2\nsummary: S.\nproposals:\n  - text: T.\n    source: missing-op-ed#x\n---\n\nI.\n",
            "content/chapters/local-power.md:6: proposal source: no op-ed 'missing-op-ed'",
            id="dead-proposal-source",
        ),
        pytest.param(
            "content/pages/about.md",
            "---\ntitle: About\n---\n\n![](../images/photo.png)\n",
            "content/pages/about.md:5: an image has no alt text",
            id="image-without-alt",
        ),
        pytest.param(
            "content/pages/about.md",
            "---\ntitle: About\n---\n\nSee [the draft](../articles/draft.md).\n",
            "content/pages/about.md:5: this links to a draft: ../articles/draft.md",
            id="link-to-draft",
        ),
        pytest.param(
            "site.yaml",
            None,
            "site.yaml:14: 'About' links to /abuot/, which is not a page of this site",
            id="dead-nav-link",
        ),
    ],
)
def test_check_catches_problems(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    relative: str,
    text: str | None,
    expected: str,
) -> None:
    root = make_site({"content/articles/draft.md": DRAFT})
    (root / "content/images").mkdir()
    (root / "content/images/photo.png").write_bytes(picture("PNG"))
    (root / relative).write_text(text if text is not None else SITE_YAML.replace("/about/", "/abuot/"))
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert expected in err and "Check failed: 1 problem" in err
    assert not (root / "_site").exists()


def test_check_finds_dead_links_in_templates(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    template = root / "templates/404.html"
    template.write_text(template.read_text().replace("'/chapters/'|href", "'/chapterz/'|href"))
    assert run(root, "check") == 1
    assert "the page 404.html has a dead link '/chapterz/'" in capsys.readouterr().err


PLACEHOLDER_SITE_YAML = SITE_YAML.replace(
    "  promoter: Jo Bloggs\n  address: 1 High Street, Anytown AB1 2CD\n",
    '  # Replace these before publishing.\n  promoter: "Your name (set it in site.yaml)"\n'
    '  address: "your address (set it in site.yaml)"\n',
)
PLACEHOLDER_WARNINGS = [
    "site.yaml:8: warning: 'imprint → promoter' is still the sample's placeholder: "
    "'Your name (set it in site.yaml)'\n  hint: UK imprint rules require the promoter's real name and "
    "postal address on campaign material: write them in site.yaml",
    "site.yaml:9: warning: 'imprint → address' is still the sample's placeholder",
    "Fill these 2 in before publishing: the publishing workflow stops on them.",
]


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_placeholder_left_in_site_yaml_is_a_warning_until_publishing(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root = make_site({"site.yaml": PLACEHOLDER_SITE_YAML})
    assert run(root, command) == 0
    err = capsys.readouterr().err
    assert all(warning in err for warning in PLACEHOLDER_WARNINGS), err
    assert run(root, command, "--publish") == 1
    err = capsys.readouterr().err
    assert "site.yaml:8: 'imprint → promoter' is still the sample's placeholder" in err
    assert "site.yaml:9: 'imprint → address' is still the sample's placeholder" in err
    assert f"{command.capitalize()} failed: 2 problems" in err and "Traceback" not in err
    if command == "build":  # the site of the first build stays as it was
        assert "Promoted by Your name (set it in site.yaml)" in (root / "_site/index.html").read_text()


def test_publishing_reports_a_placeholder_with_the_other_problems_of_the_run(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    chapter = "---\ntitle: Local power\norder: 2\nsummary: S.\nproposals:\n  - text: T.\n    source: gone#x\n---\n\nI.\n"
    root = make_site({"site.yaml": PLACEHOLDER_SITE_YAML, "content/chapters/local-power.md": chapter})
    assert run(root, "check", "--publish") == 1
    err = capsys.readouterr().err
    assert "site.yaml:8: 'imprint → promoter'" in err and "site.yaml:9: 'imprint → address'" in err
    assert "content/chapters/local-power.md:6: proposal source: no op-ed 'gone'" in err
    assert "Check failed: 3 problems." in err


def test_a_filled_in_site_yaml_publishes_with_nothing_left_to_fill_in(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root, "check", "--publish") == 0
    assert run(root, "build", "--publish") == 0
    err = capsys.readouterr().err
    assert "placeholder" not in err and "contact" not in err and "before publishing" not in err
    assert "warning" not in err.replace("warning: no Easy Read or audio version", "")  # check's advice only
    assert "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD." in (root / "_site/index.html").read_text()


def test_the_imprint_names_who_the_site_is_published_on_behalf_of_with_their_address(
    make_site: Callable[..., Path],
) -> None:
    behalf = "  on_behalf_of: Anytown <Residents>\n  on_behalf_of_address: 2 Low Road, Anytown\n"
    root = make_site({"site.yaml": SITE_YAML.replace("calls_to_action:", behalf + "calls_to_action:")})
    assert run(root) == 0
    assert (
        "Promoted by Jo Bloggs, 1 High Street, Anytown AB1 2CD, on behalf of Anytown &lt;Residents&gt;, "
        "2 Low Road, Anytown." in (root / "_site/about/index.html").read_text()
    )


def test_the_imprint_in_the_formats_words_names_the_body_and_on_printed_matter_the_printer() -> None:
    imprint = Imprint(
        "Jo Bloggs", "1 High Street", "Anytown Residents", "2 Low Road", "Print Co", "2 Mill Lane"
    )
    behalf = "Promoted by Jo Bloggs, 1 High Street, on behalf of Anytown Residents, 2 Low Road."
    assert imprint.text() == behalf  # the EPUB and the plain text
    assert imprint.text(printed=True) == behalf + " Printed by Print Co, 2 Mill Lane."  # the PDFs' margin


def test_an_alias_publishes_a_redirect_at_the_old_address_and_nowhere_else(
    make_site: Callable[..., Path],
) -> None:
    moved = SECOND_ARTICLE_WITH_ALIASES
    root = make_site({"content/articles/second-op-ed.md": moved})
    assert run(root, "build", "--base-path", "/repo") == 0
    site = read_tree(root / "_site")
    for old in ("articles/a-second-voice/index.html", "old-second.html"):
        page = site[old].decode()
        assert '<meta http-equiv="refresh" content="0; url=/repo/articles/second-op-ed/">' in page
        assert '<link rel="canonical" href="https://example.org/platform/articles/second-op-ed/">' in page
        assert '<meta name="robots" content="noindex">' in page
        assert '<a href="/repo/articles/second-op-ed/">A second &lt;voice&gt;</a>' in page
        assert "script-src 'self'" in page and "<script" not in page and "unsafe-inline" not in page
    assert dead_links(site, "/repo") == []
    # Listed nowhere but in the build's mark (the list of the files it wrote).
    others = {path: data for path, data in site.items() if "second" not in path and path != SITE_MARK}
    assert not any(b"/a-second-voice/" in data or b"old-second" in data for data in others.values())
    assert run(root, "check", "--base-path", "/repo") == 0


SECOND_ARTICLE_WITH_ALIASES = """\
---
title: A second <voice>
author: Ben Sample
chapter: fair-funding
summary: A second op-ed in the same chapter.
aliases:
  - /articles/a-second-voice
  - /old-second.html
---

A second voice joins the argument for fair funding.
"""


def test_op_ed_carries_sharing_metadata_and_structured_data(make_site: Callable[..., Path]) -> None:
    import json

    root = make_site()
    run(root)
    html = (root / "_site/articles/first-op-ed/index.html").read_text()
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="article:published_time" content="2020-01-24">' in html
    assert '<meta property="og:url" content="https://example.org/platform/articles/first-op-ed/">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Article" and data["author"]["name"] == "Ann Example"
    assert data["datePublished"] == "2020-01-24"
    second = (root / "_site/articles/second-op-ed/index.html").read_text()
    assert "datePublished" not in second and "published_time" not in second  # no date is ever invented


EDITS = [
    ("content/articles/second-op-ed.md", "for fair funding.", "for fair funding, loudly."),
    ("content/articles/first-op-ed.md", "that line is thinning.", "that line is thinning fast."),
    ("content/articles/first-op-ed.md", 'title: "Councils are', 'title: "Councils really are'),
    ("content/chapters/local-power.md", "Power should sit", "Power must sit"),
    ("content/chapters/fair-funding.md", "summary: Councils need", "summary: Councils want"),  # its card
    ("templates/article.html", "Share this op-ed", "Share this"),
    ("site.yaml", "tagline: A platform", "tagline: The platform"),
    ("templates/assets/style.css", "--measure: 40rem;", "--measure: 38rem;"),
    ("templates/locales/en-GB/LC_MESSAGES/messages.po", 'msgstr "Key proposals"', 'msgstr "Our proposals"'),
    (
        "site.yaml",
        "nav:\n",
        "formats:\n  - label: Easy Read\n    kind: easy-read\n    file: easy-read.pdf\nnav:\n",
    ),
    ("content/formats/easy-read.pdf", "An Easy Read version", "An Easy Read version, revised"),
    ("site.yaml", "nav:\n", 'brand:\n  accent: "#1d4d2b"\nnav:\n'),
    ("site.yaml", '  accent: "#1d4d2b"\n', '  accent: "#1d4d2b"\n  accent_dark: "#9fd4ae"\n'),
]


@pytest.mark.parametrize("stamps_trusted", [False, True])
def test_cached_builds_equal_clean_builds_after_each_edit(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamps_trusted: bool
) -> None:
    """With ``stamps_trusted``, a file just written is taken as settled: its stamp stands for its text
    (each edit of a content file below changes its size, so a coarse clock cannot hide it)."""
    if stamps_trusted:
        monkeypatch.setattr(load, "RACY_NS", -(10**12))
    root = make_site()
    assert run(root) == 0
    for relative, old, new in EDITS:
        path = root / relative
        path.write_text(path.read_text().replace(old, new, 1))
        assert run(root) == 0  # with the cache
        assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
        assert read_tree(root / "_site") == read_tree(tmp_path / "clean"), relative


# (file, old text, new text): edits of what an op-ed's body does not decide, then of its body alone.
MODEL_EDITS = [
    ("content/articles/first-op-ed.md", "summary: Councils are", "summary: Councils remain"),
    ("content/articles/first-op-ed.md", "chapters: [local-power]", "chapters: []"),
    ("content/articles/second-op-ed.md", "author: Ben Sample", "author: Ben Example"),
    ("content/chapters/local-power.md", "Power should sit", "Power must sit"),
    ("content/pages/about.md", "We are councillors", "We are the councillors"),
    ("site.yaml", "tagline: A platform", "tagline: The platform"),
]
BODY_EDITS = [
    ("content/articles/second-op-ed.md", "for fair funding.", "for fair funding, loudly."),
    ("content/articles/first-op-ed.md", "## What has changed", "## What has changed since"),
]


def model_without_bodies(site: Site) -> str:
    blank = {
        "body_html": Markup(""),
        "anchors": frozenset(),
        "word_count": 0,
        "manifesto_marks": (),
        "body_key": "",
    }
    return repr(
        dataclasses.replace(site, articles=tuple(dataclasses.replace(a, **blank) for a in site.articles))
    )


def test_the_sources_digest_names_the_whole_model_but_the_op_eds_bodies(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    site = parse_site(load_sources(root))
    for relative, old, new in MODEL_EDITS + BODY_EDITS:
        path = root / relative
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))
        edited = parse_site(load_sources(root))
        model_changed = model_without_bodies(edited) != model_without_bodies(site)
        assert (edited.sources_digest != site.sources_digest) == model_changed, relative
        assert model_changed == ((relative, old, new) in MODEL_EDITS), relative
        site = edited


def edit_longer(root: Path, kind: str, slug: str, words: int, number: int) -> None:
    """One edit of the sample site that makes its file longer, so that the file's stamp changes however
    coarse the file system's clock."""
    article = root / f"content/articles/{slug}.md"
    text = article.read_text()
    if kind == "op-ed text":  # 300 words add a minute of reading time, 3 do not
        article.write_text(text + "\n" + " ".join([f"word{number}"] * words) + ".\n")
    elif kind == "op-ed heading":
        article.write_text(text + f"\n## A heading {number}\n\nAnd a line.\n")
    elif kind == "op-ed title":
        article.write_text(re.sub(r'^title: ("?)', r"title: \1Again, ", text, count=1, flags=re.M))
    elif kind == "chapter text":
        chapter = root / "content/chapters/fair-funding.md"
        chapter.write_text(chapter.read_text() + f"\nMore on this, {number}.\n")
    else:
        template = root / "templates/article.html"
        template.write_text(template.read_text() + f"{{# note {number} #}}\n")


EDIT_KINDS = ["op-ed text", "op-ed heading", "op-ed title", "chapter text", "template comment"]


@settings(max_examples=6, deadline=None)
@example([("op-ed text", "first-op-ed", 3), ("op-ed text", "first-op-ed", 300)])  # 1 min, then 2
@example([(kind, "second-op-ed", 3) for kind in EDIT_KINDS])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(EDIT_KINDS),
            st.sampled_from(["first-op-ed", "second-op-ed"]),
            st.sampled_from([3, 300]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_cached_builds_equal_clean_builds_after_any_sequence_of_edits(
    edits: list[tuple[str, str, int]],
) -> None:
    """Every shortcut of a cached build at once: stamps trusted, pages kept for the figures they read,
    the search index's files joined again from its parts."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(load, "RACY_NS", -(10**12))  # any stamp is old enough
        root, clean = Path(folder) / "project", Path(folder) / "clean"
        shutil.copytree(REPO / "templates", root / "templates")
        write_files(root, sample_files())
        assert run(root) == 0
        for number, (kind, slug, words) in enumerate(edits):
            edit_longer(root, kind, slug, words, number)
            assert run(root) == 0
            assert run(root, "build", "--out", str(clean), "--no-cache") == 0
            assert read_tree(root / "_site") == read_tree(clean), (kind, slug, words)


def test_templates_compiled_by_one_build_never_carry_its_settings_into_another(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site()
    assert run(root, "build", "--base-path", "/platform", "--out", str(tmp_path / "first")) == 0
    assert any(path.name.startswith("template-") for path in (root / ".cache").iterdir())
    site_yaml = root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("https://example.org", "https://elsewhere.example"))
    for base_path in ("/", "/elsewhere"):  # the compiled templates are taken from the cache
        cached, clean = tmp_path / f"cached{base_path}", tmp_path / f"clean{base_path}"
        assert run(root, "build", "--base-path", base_path, "--out", str(cached)) == 0
        assert run(root, "build", "--base-path", base_path, "--out", str(clean), "--no-cache") == 0
        assert read_tree(cached) == read_tree(clean), base_path


def test_unchanged_pages_are_reused_and_a_body_edit_rerenders_only_its_readers(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    run(root)
    capsys.readouterr()
    run(root)
    unchanged = int(re.search(r"; (\d+) files unchanged", capsys.readouterr().out).group(1))
    site_files = [path for path in (root / "_site").rglob("*") if path.is_file()]
    assert unchanged == len(site_files) - 1  # all but the build's mark (write.SITE_MARK), not an output
    first = (root / "_site/articles/first-op-ed/index.html").stat().st_ino
    second = root / "content/articles/second-op-ed.md"
    second.write_text(second.read_text().replace("for fair funding.", "for fair funding, loudly."))
    assert run(root) == 0
    assert (
        root / "_site/articles/first-op-ed/index.html"
    ).stat().st_ino == first  # left in place, not rewritten
    assert "fair funding, loudly." in (root / "_site/articles/second-op-ed/index.html").read_text()
    assert "fair funding, loudly." in (root / "_site/manifesto/index.html").read_text()


def test_a_rebuild_leaves_files_whose_bytes_are_the_same_where_they_are(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    assert run(root) == 0

    def stamps() -> dict[str, tuple[int, int]]:
        files = (path for path in (root / "_site").rglob("*") if path.is_file())
        return {
            path.relative_to(root / "_site").as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in files
        }

    before = stamps()
    template = root / "templates/article.html"
    template.write_text(template.read_text() + "{# a note that changes no page #}\n")
    assert run(root) == 0  # every op-ed page is rendered again, to the same bytes
    assert stamps() == before
    about = root / "content/pages/about.md"
    about.write_text(about.read_text().replace("We are councillors", "We are the councillors"))
    assert run(root) == 0
    after = stamps()
    changed = {path for path in before if after[path] != before[path]}
    assert "about/index.html" in changed and "articles/first-op-ed/index.html" not in changed
    assert changed <= {"about/index.html", *(path for path in before if path.startswith("search/data/"))}


def test_a_cache_that_cannot_be_written_does_not_stop_the_build(make_site: Callable[..., Path]) -> None:
    root = make_site()
    (root / ".cache").write_text("a file where the cache folder would go")
    assert run(root) == 0
    assert (root / "_site/index.html").exists()


def test_an_edit_rewrites_only_the_cache_files_of_the_bodies_it_changed(
    make_site: Callable[..., Path],
) -> None:
    root = make_site(many_op_eds(40))
    assert run(root) == 0

    def stamps() -> dict[str, int]:
        return {path.name: path.stat().st_mtime_ns for path in (root / ".cache").glob("body-*.bin")}

    before = stamps()
    assert len(before) > 8  # the bodies are spread over several files
    article = next((root / "content/articles").glob("*.md"))
    article.write_text(article.read_text() + "\nOne more sentence.\n")
    assert run(root) == 0
    after = stamps()
    assert 1 <= len({name for name in after if after[name] != before.get(name)}) <= 2  # its old and new place


def test_files_of_an_earlier_cache_format_are_removed(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root) == 0
    earlier = [root / ".cache" / name for name in ("bodies-a.json", "front-matter.json", "index-0123.json")]
    for path in earlier:
        path.write_text("{}")
    about = root / "content/pages/about.md"
    about.write_text(about.read_text().replace("We are councillors", "We are the councillors"))
    assert run(root) == 0
    assert not any(path.exists() for path in earlier)
    assert any((root / ".cache").glob("body-*.bin"))


def test_front_matter_from_the_cache_is_reported_on_its_own_lines(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    assert run(root) == 0
    assert any((root / ".cache").glob("front-matter-*.bin"))
    (root / "content/chapters/fair-funding.md").unlink()  # the op-eds' own files are unchanged
    capsys.readouterr()
    assert run(root) == 1
    cached = capsys.readouterr().err
    assert run(root, "build", "--no-cache") == 1
    assert capsys.readouterr().err == cached
    assert "content/articles/first-op-ed.md:7: unknown chapter 'fair-funding'" in cached


def test_a_damaged_cache_or_a_hand_edited_page_is_never_trusted(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site()
    run(root)
    cache_files = sorted((root / ".cache").iterdir())
    assert any(path.name.startswith("template-") for path in cache_files)  # compiled templates, too
    for cache_file in cache_files:
        cache_file.write_bytes(cache_file.read_bytes()[:-40])
    page = root / "_site/about/index.html"
    page.write_text("tampered")
    assert run(root) == 0
    assert "We are councillors and residents." in page.read_text()
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_the_feed_is_atom_with_what_rfc_4287_requires(make_site: Callable[..., Path]) -> None:
    import xml.etree.ElementTree as ElementTree

    root = make_site()
    run(root)
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.parse(root / "_site/feed.xml").getroot()
    assert feed.tag == f"{atom}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{atom}{required}") is not None
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated", "author/" + atom + "name", "content"):
            assert entry.find(f"{atom}{required}") is not None, required
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{atom}updated") or "")
    assert feed.find(f"{atom}link[@rel='self']") is not None


def many_op_eds(count: int) -> dict[str, str]:
    """``count`` short op-eds, enough for the build to use worker processes (see manifesto/pool.py)."""
    return {
        f"content/articles/op-ed-{number:03}.md": (
            f'---\ntitle: "Op-ed number {number}"\nauthor: Writer {number % 7}\nchapter: local-power\n'
            f"summary: Number {number}.\n---\n\n## Part one\n\nWard {number} asks: what is a council for?\n\n"
            f"It's the {'second' if number % 2 else 'first'} question -- and the last...\n"
        )
        for number in range(count)
    }


def test_builds_spread_over_processes_equal_a_build_in_one_process(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "MIN_ITEMS_FOR_POOL", 8)  # so that a small site is built by workers
    root = make_site(many_op_eds(60))
    assert worker_count(60) > 1 or os.cpu_count() == 1  # this machine does use worker processes
    monkeypatch.setattr(search, "INDEX_DOCUMENTS_A_PART", 7)  # the index in parts, made by workers
    assert run(root) == 0
    edited = root / "content/articles/op-ed-007.md"
    edited.write_text(edited.read_text().replace("what is a council for?", "who is a council for?"))
    assert run(root) == 0  # with the cache: only some pages, and the search index, made again
    with monkeypatch.context() as patched:
        patched.setattr(pool, "worker_count", lambda items: 1)
        assert run(root, "build", "--out", str(tmp_path / "single"), "--no-cache") == 0
    built, single = read_tree(root / "_site"), read_tree(tmp_path / "single")
    assert built == single
    assert "who is a council for?" in built["articles/op-ed-007/index.html"].decode()
    assert b"/articles/op-ed-007/" in built["search/data/documents.json"]


def built_with_index_parts_of_two(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site of nine op-eds, built once, whose search index is made in parts of two documents."""
    monkeypatch.setattr(search, "INDEX_DOCUMENTS_A_PART", 2)
    root = make_site(many_op_eds(9))
    assert run(root) == 0
    return root


def inodes(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_ino for path in folder.iterdir()}


def test_an_edit_makes_only_its_own_part_of_the_search_index_again(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = built_with_index_parts_of_two(make_site, monkeypatch)
    texts = root / "_site/search/data/text/articles"
    before = inodes(texts)
    edited = root / "content/articles/op-ed-007.md"
    edited.write_text(edited.read_text().replace("what is a council for?", "who is a council for?"))
    assert run(root) == 0
    # Files the edit leaves as they were stay where they are; the part of two documents holding the
    # edited op-ed is written again.
    rewritten = {name for name, inode in before.items() if (texts / name).stat().st_ino != inode}
    assert "op-ed-007.txt" in rewritten and len(rewritten) <= 2
    assert "who is a council for?" in (texts / "op-ed-007.txt").read_text()
    # A part whose kept index is lost is made again, not trusted half.
    for kept in (root / ".cache").glob("index-*.bin"):
        kept.unlink()
    edited.write_text(edited.read_text().replace("who is a council for?", "whom is a council for?"))
    assert run(root) == 0
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_an_edit_rewrites_only_the_term_files_of_the_words_it_changed(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = built_with_index_parts_of_two(make_site, monkeypatch)
    terms = root / "_site/search/data/terms"

    joined: list[str] = []
    join_file = pipeline.bundle_file

    def noted(path: str, parts: object) -> bytes:
        joined.append(path)
        return join_file(path, parts)  # type: ignore[arg-type]

    edited = root / "content/articles/op-ed-007.md"
    for old, new in (("what is a council for?", "what is a zebra for?"), ("a zebra", "a council")):
        before = inodes(terms)
        edited.write_text(edited.read_text().replace(old, new))
        joined.clear()
        with monkeypatch.context() as patched:
            patched.setattr(pipeline, "bundle_file", noted)
            assert run(root) == 0
        after = inodes(terms)
        changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        # "council" is in other op-eds; "zebra" in no other, so its term file comes and goes.
        assert changed == {f"{shard_name('council')}.json", f"{shard_name('zebra')}.json"}, new
        # Only the files of the changed terms are joined again (and the list of documents).
        changed_terms = {f"search/data/terms/{shard_name(word)}.json" for word in ("council", "zebra")}
        assert set(joined) <= changed_terms | {"search/data/documents.json"}, joined
        assert run(root, "build", "--out", str(tmp_path / new), "--no-cache") == 0
        assert read_tree(root / "_site") == read_tree(tmp_path / new)
    assert f"{shard_name('zebra')}.json" not in inodes(terms)


def test_the_feed_carries_the_newest_op_eds_first_and_no_more_than_its_limit(
    make_site: Callable[..., Path],
) -> None:
    import xml.etree.ElementTree as ElementTree

    from manifesto.render import FEED_ENTRIES

    dated = {
        path: text.replace("summary: ", f"date: 2021-{1 + number % 12:02}-{1 + number % 28:02}\nsummary: ", 1)
        for number, (path, text) in enumerate(many_op_eds(FEED_ENTRIES + 10).items())
        if number % 5  # every fifth has no date
    }
    undated = {path: text for path, text in many_op_eds(FEED_ENTRIES + 10).items() if path not in dated}
    root = make_site(dated | undated)
    assert run(root) == 0
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.parse(root / "_site/feed.xml").getroot().findall(f"{atom}entry")
    assert len(entries) == FEED_ENTRIES
    published = [entry.findtext(f"{atom}published") for entry in entries]
    dates = [date for date in published if date]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert published.index(None) == len(dates)  # then those without a date
    assert len(dates) == len(dated) + 1  # every dated op-ed (the site's own dated one included)


def test_a_worker_killed_mid_build_keeps_the_last_site_and_says_so_plainly(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from manifesto import render

    monkeypatch.setattr(pool, "MIN_ITEMS_FOR_POOL", 8)
    root = make_site(many_op_eds(60))
    assert worker_count(60) > 1  # the pages are rendered by worker processes
    assert run(root) == 0
    before = read_tree(root / "_site")
    builder, real_render_page = os.getpid(), render.render_page

    def killed_in_a_worker(*args: object, **kwargs: object) -> object:
        if os.getpid() != builder:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return real_render_page(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render_page", killed_in_a_worker)
    capsys.readouterr()
    assert run(root, "build", "--no-cache") == 1
    err = capsys.readouterr().err
    assert "worker processes was killed" in err and "Traceback" not in err
    assert read_tree(root / "_site") == before
    assert not list((root / "_site").glob(".staging-*"))
