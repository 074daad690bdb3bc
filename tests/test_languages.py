"""The interface's words from gettext catalogues (templates/locales/), and dates in the site's language."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import REPO, SITE_YAML, read_tree, run

LOCALES = REPO / "templates" / "locales"


def message_ids(po_file: Path) -> set[str]:
    """The catalogue's words, a plural by its singular (as extraction names it)."""
    messages = read_po(io.BytesIO(po_file.read_bytes()))
    return {
        message.id if isinstance(message.id, str) else message.id[0] for message in messages if message.id
    }


def extracted_ids() -> set[str]:
    """The words pybabel finds in the templates and the generator now, by templates/locales/babel.cfg."""
    with (LOCALES / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, *_ in extract_from_dir(REPO, method_map, options_map)
    }


def test_the_catalogues_hold_every_word_of_the_templates() -> None:
    """messages.pot is extracted again after a template's words change, and each catalogue updated."""
    found = extracted_ids()
    assert "Key proposals" in found and "First published on %(date)s." in found  # templates and Python
    assert message_ids(LOCALES / "messages.pot") == found
    for language in ("en-GB", "cy"):
        assert message_ids(LOCALES / language / "LC_MESSAGES" / "messages.po") == found, language


def test_the_welsh_catalogue_is_marked_as_a_draft() -> None:
    header = (LOCALES / "cy" / "LC_MESSAGES" / "messages.po").read_text().split("msgid", 1)[0]
    assert "DRAFT" in header and "Welsh speaker" in header


def test_a_site_in_welsh_shows_the_interface_in_welsh(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML.replace("language: en-GB", "language: cy")})
    assert run(root) == 0
    site = root / "_site"
    home = (site / "index.html").read_text()
    assert '<html lang="cy">' in home
    assert '<h2 id="chapters">Y platfform mewn 2 pennod</h2>' in home and "Key proposals" not in home
    assert 'aria-label="Cynigion allweddol Fair funding"' in home
    assert "Hyrwyddwyd gan Jo Bloggs, 1 High Street, Anytown AB1 2CD." in home
    article = (site / "articles/first-op-ed/index.html").read_text()
    assert '<time datetime="2020-01-24">24 Ionawr 2020</time>' in article
    assert "munud o ddarllen" in article and "min read" not in article
    assert '<a href="/">Hafan</a>' in article
    search_page = (site / "search/index.html").read_text()
    assert 'data-text-none="Dim canlyniadau ar gyfer “{query}”.' in search_page
    documents = json.loads((site / "search/data/documents.json").read_text())["documents"]
    bylines = {path: byline for path, _, byline, *_ in documents}
    assert bylines["/chapters/fair-funding/"] == "Pennod a’i chynigion"
    assert bylines["/articles/second-op-ed/"].startswith("Erthygl barn gan Ben Sample")


def test_a_word_missing_from_a_catalogue_is_shown_in_english(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML.replace("language: en-GB", "language: cy")})
    catalogue = root / "templates/locales/cy/LC_MESSAGES/messages.po"
    text = catalogue.read_text()
    catalogue.write_text(re.sub(r'msgid "Key proposals"\nmsgstr "[^"]*"\n', "", text))
    assert run(root) == 0
    chapter = (root / "_site/chapters/fair-funding/index.html").read_text()
    assert '<h2 id="proposals">Key proposals</h2>' in chapter
    assert "Yr erthyglau barn yn y bennod hon" in chapter  # the rest is still Welsh


def test_the_english_catalogue_rewords_the_interface(make_site: Callable[..., Path]) -> None:
    root = make_site()
    catalogue = root / "templates/locales/en-GB/LC_MESSAGES/messages.po"
    catalogue.write_text(catalogue.read_text().replace('msgstr "Key proposals"', 'msgstr "What we propose"'))
    assert run(root) == 0
    assert (
        '<h2 id="proposals">What we propose</h2>'
        in (root / "_site/chapters/fair-funding/index.html").read_text()
    )


def test_values_put_into_translated_words_are_escaped(make_site: Callable[..., Path]) -> None:
    site_yaml = SITE_YAML.replace("title: Councils First", "title: Councils & <First>").replace(
        "promoter: Jo Bloggs", 'promoter: "Jo <b>Bloggs</b>"'
    )
    root = make_site({"site.yaml": site_yaml})
    assert run(root) == 0
    authors = (root / "_site/authors/index.html").read_text()
    assert "Promoted by Jo &lt;b&gt;Bloggs&lt;/b&gt;, 1 High Street" in authors
    assert 'content="The people who wrote the op-eds of Councils &amp; &lt;First&gt;."' in authors
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', authors, re.S).group(1)
    )
    assert data["description"] == "The people who wrote the op-eds of Councils & <First>."


BILINGUAL_YAML = SITE_YAML.replace(
    "language: en-GB\n",
    "languages:\n  - code: en-GB\n  - code: cy\n    title: Cynghorau yn Gyntaf\n"
    "    tagline: Platfform ar gyfer llywodraeth leol\n",
)
WELSH_ARTICLE = """\
---
title: Cynghorau yw’r llinell amddiffyn olaf
summary: Cynghorau yw’r llinell amddiffyn olaf i lawer o bobl.
slug: y-llinell-olaf
---

Cynghorau yw’r llinell amddiffyn olaf i bobl mewn angen, ac mae’r llinell honno’n teneuo.

## Beth sydd wedi newid

Degawd o doriadau i’r grant craidd. Gweler [yr ail erthygl](second-op-ed.md).
"""
WELSH_CHAPTER = """\
---
title: Cyllid teg
summary: Mae angen arian ar gynghorau sy’n cyfateb i’r hyn a ofynnir ganddynt.
proposals:
  - text: Ariannu cynghorau ar gyfer y gwasanaethau y mae’r gyfraith yn eu mynnu.
    source: "first-op-ed#cynghorau-ywr-llinell-amddiffyn-olaf-i"
  - text: Gwrando ar ail lais.
    source: "second-op-ed#a-second-voice-joins-the-argument"
---

Mae cynghorau wedi colli llawer o’u cyllid.
"""
WELSH_ABOUT = """\
---
title: Amdanom ni
translation_status: draft
---

Rydym yn gynghorwyr ac yn drigolion.
"""
BILINGUAL = {
    "site.yaml": BILINGUAL_YAML,
    "content/articles/first-op-ed.cy.md": WELSH_ARTICLE,
    "content/chapters/fair-funding.cy.md": WELSH_CHAPTER,
    "content/pages/about.cy.md": WELSH_ABOUT,
}
WELSH_OP_ED = "/cy/articles/y-llinell-olaf/"


def page(root: Path, url_path: str) -> str:
    return (root / "_site" / url_path.strip("/") / "index.html").read_text()


def test_a_translated_op_ed_chapter_and_page_are_published_in_welsh(make_site: Callable[..., Path]) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    article = page(root, WELSH_OP_ED)
    assert '<html lang="cy">' in article and '<h1 id="article-title">Cynghorau yw’r llinell' in article
    assert 'Gan <a href="/cy/authors/ann-example/">Ann Example</a>' in article  # inherited, Welsh words
    assert '<time datetime="2020-01-24">24 Ionawr 2020</time>' in article
    assert '<p class="site-title"><a href="/cy/"><span>Cynghorau yn Gyntaf</span></a></p>' in article
    assert '<a href="/cy/about/">About</a>' in article  # the menu leads to the translation
    chapter = page(root, "/cy/chapters/fair-funding/")
    assert '<html lang="cy">' in chapter and "<h1>Cyllid teg" in chapter
    about = page(root, "/cy/about/")
    assert '<p class="translation-note">Cyfieithiad drafft: heb ei wirio eto gan siaradwr rhugl.</p>' in about
    # Not translated: its one page is the English one.
    assert not (root / "_site/cy/articles/second-op-ed").exists()
    assert not (root / "_site/cy/chapters/local-power").exists()
    for every_language in ("", "/chapters", "/authors", "/manifesto", "/search", "/authors/ben-sample"):
        assert '<html lang="cy">' in page(root, f"/cy{every_language}/"), every_language
    assert '<html lang="cy">' in (root / "_site/cy/404.html").read_text()
    english = page(root, "/articles/first-op-ed/")
    assert '<html lang="en-GB">' in english and "Cynghorau" not in english.split("<body>")[1].split("<nav")[0]


def test_each_translated_page_names_its_versions_both_ways(make_site: Callable[..., Path]) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    versions = (
        '<link rel="alternate" hreflang="en-GB" href="https://example.org/platform/articles/first-op-ed/">\n'
        f'<link rel="alternate" hreflang="cy" href="https://example.org/platform{WELSH_OP_ED}">\n'
        '<link rel="alternate" hreflang="x-default" href="https://example.org/platform/articles/first-op-ed/">'
    )
    assert versions in page(root, "/articles/first-op-ed/")
    assert versions in page(root, WELSH_OP_ED)
    assert 'hreflang="cy"' not in page(root, "/articles/second-op-ed/").split("</head>")[0]
    # The switcher: the same page in the other language, or that language's home, saying so.
    assert f'<a href="{WELSH_OP_ED}" hreflang="cy" lang="cy">Cymraeg</a></li>' in page(
        root, "/articles/first-op-ed/"
    )
    assert '<a href="/articles/first-op-ed/" hreflang="en-GB" lang="en-GB">English</a></li>' in page(
        root, WELSH_OP_ED
    )
    untranslated = page(root, "/articles/second-op-ed/")
    assert '<a href="/cy/" hreflang="cy" lang="cy">Cymraeg</a> <span class="language-note">' in untranslated
    sitemap = (root / "_site/sitemap.xml").read_text()
    assert (
        f"<url><loc>https://example.org/platform{WELSH_OP_ED}</loc><lastmod>2020-01-24</lastmod>"
        '<xhtml:link rel="alternate" hreflang="en-GB" href="https://example.org/platform/articles/first-op-ed/"/>'
    ) in sitemap
    assert "<url><loc>https://example.org/platform/cy/articles/second-op-ed/" not in sitemap


def test_translated_pages_are_shared_with_cards_in_their_language(make_site: Callable[..., Path]) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    site = root / "_site"
    welsh_card = "https://example.org/platform/cards/cy/articles/first-op-ed.png"
    article = page(root, WELSH_OP_ED)
    assert f'<meta property="og:image" content="{welsh_card}">' in article
    alt = "Erthygl barn: Cynghorau yw’r llinell amddiffyn olaf (Ann Example). Cynghorau yn Gyntaf"
    assert f'<meta property="og:image:alt" content="{alt}">' in article
    english = site / "cards/articles/first-op-ed.png"
    assert (site / "cards/cy/articles/first-op-ed.png").read_bytes() != english.read_bytes()
    assert "cards/cy/home.png" in page(root, "/cy/")
    assert "cards/cy/chapters/fair-funding.png" in page(root, "/cy/chapters/fair-funding/")
    assert (site / "cards/cy/chapters/fair-funding-proposal-1.png").is_file()
    # What is not translated has its one card, the English one; a Welsh page of every language, its home's.
    assert not (site / "cards/cy/articles/second-op-ed.png").exists()
    assert not (site / "cards/cy/chapters/local-power.png").exists()
    assert "cards/cy/home.png" in page(root, "/cy/authors/")


def test_an_untranslated_op_ed_is_listed_in_its_own_language(make_site: Callable[..., Path]) -> None:
    """Decided: shown in the other language's lists, marked with its language and a note, leading to
    its one page; a Welsh proposal citing it leads to the English passage."""
    root = make_site(BILINGUAL)
    assert run(root) == 0
    chapter = page(root, "/cy/chapters/fair-funding/")
    assert (
        '<h3 class="card-title" lang="en-GB"><a href="/articles/second-op-ed/" hreflang="en-GB">A second voice</a></h3>'
    ) in chapter
    assert '<p class="language-note">yn Saesneg yn unig</p>' in chapter
    assert f'<a href="{WELSH_OP_ED}">Cynghorau yw’r llinell amddiffyn olaf</a>' in chapter
    assert f'<a class="source" href="{WELSH_OP_ED}#cynghorau-ywr-llinell-amddiffyn-olaf-i">' in chapter
    assert (
        '<a class="source" href="/articles/second-op-ed/#a-second-voice-joins-the-argument" hreflang="en-GB">'
        'Y ddadl yn “<span lang="en-GB">A second voice</span>” gan Ben Sample</a>'
    ) in chapter
    # An untranslated chapter is shown in English in the Welsh lists, with its English proposals.
    home = page(root, "/cy/")
    assert '<h3 id="chapter-local-power" lang="en-GB"><a href="/chapters/local-power/">' in home
    manifesto = page(root, "/cy/manifesto/")
    assert "Cynghorau yw’r llinell amddiffyn olaf i bobl mewn angen" in manifesto
    assert '<h3 id="second-op-ed" lang="en-GB">A second voice</h3>' in manifesto


def test_each_language_has_its_feed_and_search(make_site: Callable[..., Path]) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    feed = (root / "_site/cy/feed.xml").read_text()
    assert '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="cy">' in feed
    assert "<title>Cynghorau yn Gyntaf</title>" in feed
    assert f"<id>https://example.org/platform{WELSH_OP_ED}</id>" in feed
    assert '<entry xml:lang="en-GB">' in feed  # the op-ed not translated, in English
    documents = json.loads((root / "_site/cy/search/data/documents.json").read_text())["documents"]
    assert sorted(path for path, *_ in documents) == ["/cy/about/", WELSH_OP_ED, "/cy/chapters/fair-funding/"]
    assert (
        (root / f"_site/cy/search/data/text{WELSH_OP_ED.rstrip('/')}.txt").read_text().startswith("Cynghorau")
    )
    search = page(root, "/cy/search/")
    assert 'data-index="/cy/search/data/"' in search and 'data-home="/"' in search
    english = json.loads((root / "_site/search/data/documents.json").read_text())["documents"]
    assert WELSH_OP_ED not in {path for path, *_ in english}


INTERNAL_LINK = re.compile(r'(?:href|src)="(/[^"#?]*)')


def dead_links(site: Path, base_path: str) -> list[str]:
    """Every internal link of every page that leads to no file of the site."""
    dead = []
    for html in site.rglob("*.html"):
        for link in INTERNAL_LINK.findall(html.read_text()):
            assert link.startswith(base_path + "/"), (html, link)
            target = site / link.removeprefix(base_path).lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                dead.append(f"{html.relative_to(site)}: {link}")
    return dead


def test_links_of_every_language_resolve_at_the_root_and_under_a_base_path(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    assert dead_links(root / "_site", "") == []
    assert run(root, "build", "--base-path", "/platform", "--out", str(tmp_path / "based")) == 0
    assert dead_links(tmp_path / "based", "/platform") == []
    assert 'href="/platform/cy/articles/y-llinell-olaf/#' in (tmp_path / "based/cy/index.html").read_text()


# (file to change in the site in two languages, its new text, the message expected on stderr)
BAD_TRANSLATIONS = [
    pytest.param(
        "content/articles/first-op-ed.xx.md",
        WELSH_ARTICLE,
        "content/articles/first-op-ed.xx.md: this file's name ends in '.xx', but the site has no language 'xx'\n"
        "  hint: translations are named for a language of site.yaml's  languages:  (cy)",
        id="unknown-language-in-a-file-name",
    ),
    pytest.param(
        "content/articles/first-op-ed.en-GB.md",
        WELSH_ARTICLE,
        "content/articles/first-op-ed.en-GB.md: 'en-GB' is the site's default language: its text is in "
        "first-op-ed.md, without a code",
        id="default-language-in-a-file-name",
    ),
    pytest.param(
        "content/articles/fair-funding-now.cy.md",
        WELSH_ARTICLE,
        "content/articles/fair-funding-now.cy.md: this is named as a translation of fair-funding-now.md, "
        "but there is no such file",
        id="translation-without-its-source",
    ),
    pytest.param(
        "site.yaml",
        BILINGUAL_YAML.replace("  - code: cy\n    title:", "  - title:"),
        "site.yaml:6: a language has no 'code'\n  hint: name the language:  code: cy",
        id="language-without-code",
    ),
    pytest.param(
        "site.yaml",
        BILINGUAL_YAML.replace("  - code: en-GB\n", "  - code: en-GB\n  - code: en-GB\n"),
        "site.yaml:6: the language 'en-GB' is listed twice (first at line 5)",
        id="one-language-twice",
    ),
    pytest.param(
        "content/articles/first-op-ed.cy.md",
        WELSH_ARTICLE.replace("slug: y-llinell-olaf", "author: Ann Enghraifft"),
        "content/articles/first-op-ed.cy.md:4: unknown field 'author'",
        id="translation-sets-what-it-inherits",
    ),
    pytest.param(
        "content/pages/about.cy.md",
        WELSH_ABOUT.replace("translation_status: draft", "translation_status: done"),
        "content/pages/about.cy.md:3: 'translation_status' can only be 'draft', not 'done'",
        id="translation-status-unknown",
    ),
    pytest.param(
        "content/chapters/fair-funding.cy.md",
        WELSH_CHAPTER.replace(
            "first-op-ed#cynghorau-ywr-llinell-amddiffyn-olaf-i", "first-op-ed#councils-are-the-last-line-of"
        ),
        "content/chapters/fair-funding.cy.md:5: proposal source: op-ed 'first-op-ed' has no passage "
        "'#councils-are-the-last-line-of'",
        id="welsh-proposal-cites-an-english-passage-of-a-welsh-op-ed",
    ),
]


@pytest.mark.parametrize(("relative", "text", "expected"), BAD_TRANSLATIONS)
def test_a_mistake_in_a_translation_is_reported_and_the_last_good_site_kept(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    relative: str,
    text: str,
    expected: str,
) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    before = read_tree(root / "_site")
    (root / relative).write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert read_tree(root / "_site") == before


# (file, old text, new text): edits in either language, of the catalogues and of which files are translated.
BILINGUAL_EDITS = [
    ("content/articles/first-op-ed.md", "that line is thinning.", "that line is thinning fast."),
    (
        "content/articles/first-op-ed.cy.md",
        "mae’r llinell honno’n teneuo.",
        "mae’r llinell honno’n teneuo’n gyflym.",
    ),
    ("content/articles/first-op-ed.cy.md", "slug: y-llinell-olaf", "slug: y-llinell-olaf-un"),
    ("content/chapters/fair-funding.cy.md", "Mae cynghorau wedi colli", "Collodd cynghorau"),
    # Its passage keeps the id the Welsh chapter's proposal cites.
    (
        "content/articles/second-op-ed.cy.md",
        None,
        "---\ntitle: Ail lais\n---\n\nA second voice joins the argument: ail lais.\n",
    ),
    ("templates/locales/cy/LC_MESSAGES/messages.po", 'msgstr "Cynigion allweddol"', 'msgstr "Ein cynigion"'),
    ("site.yaml", "title: Cynghorau yn Gyntaf", "title: Cynghorau’n Gyntaf"),
    ("content/articles/second-op-ed.cy.md", "", None),
]


def test_cached_builds_equal_clean_builds_after_edits_in_either_language(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site(BILINGUAL)
    assert run(root) == 0
    for relative, old, new in BILINGUAL_EDITS:
        path = root / relative
        if new is None:
            path.unlink()
        elif old is None:
            path.write_text(new)
        else:
            path.write_text(path.read_text().replace(old, new, 1))
        assert run(root) == 0  # with the cache
        assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
        assert read_tree(root / "_site") == read_tree(tmp_path / "clean"), (relative, new)


def test_the_translations_report_lists_what_is_missing_and_what_fell_behind(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(BILINGUAL)
    assert run(root, "translations") == 0
    report = capsys.readouterr().out
    assert "Welsh (cy):\n  not translated (2):\n    content/chapters/local-power.md\n" in report
    assert "    content/articles/second-op-ed.md\n" in report
    assert (
        "  not saying what they were translated from (3):\n    content/articles/first-op-ed.cy.md\n" in report
    )
    assert run(root, "translations", "--mark", "content/articles/first-op-ed.cy.md") == 0
    assert 'translated_from: "' in (root / "content/articles/first-op-ed.cy.md").read_text()
    assert run(root) == 0  # the record is a field of the translation's front matter
    capsys.readouterr()
    assert run(root, "translations") == 0
    assert "out of date" not in capsys.readouterr().out
    # An edit of the English op-ed: its Welsh translation is out of date, and the paragraph is named.
    source = root / "content/articles/first-op-ed.md"
    source.write_text(source.read_text().replace("that line is thinning.", "that line is thinning fast."))
    assert run(root, "translations") == 0
    report = capsys.readouterr().out
    assert (
        "  out of date: the source changed since it was translated (1):\n"
        "    content/articles/first-op-ed.cy.md (from content/articles/first-op-ed.md):\n"
        "      content/articles/first-op-ed.md:12: Councils are the last line of defence for people in need, "
        "and that line"
    ) in report
    assert run(root, "check") == 0
    err = capsys.readouterr().err
    assert (
        "content/articles/first-op-ed.cy.md: warning: this translation is out of date: "
        "content/articles/first-op-ed.md has changed since it was translated (1 paragraph)"
    ) in err
    assert run(root, "translations", "--mark", "content/articles/first-op-ed.cy.md") == 0
    assert run(root, "check") == 0
    assert "out of date" not in capsys.readouterr().err


def test_new_starts_a_translation_that_records_its_source(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(BILINGUAL)
    assert run(root, "new", "translation", "content/articles/second-op-ed.md") == 0
    created = (root / "content/articles/second-op-ed.cy.md").read_text()
    assert 'title: "A second voice"' in created and "translation_status: draft" in created
    assert created.endswith("A second voice joins the argument for fair funding.\n")
    assert run(root) == 0
    assert (root / "_site/cy/articles/second-op-ed/index.html").is_file()
    capsys.readouterr()
    assert run(root, "translations") == 0
    report = capsys.readouterr().out
    assert "second-op-ed" not in report.split("not saying")[0]  # translated, recorded, up to date
    assert run(root, "new", "translation", "content/articles/second-op-ed.md") == 1
    assert "this translation already exists" in capsys.readouterr().err
    assert run(root, "new", "translation", "content/articles/second-op-ed.md", "--language", "fr") == 1
    assert "the site has no language 'fr' to translate into" in capsys.readouterr().err


def test_check_lists_the_words_a_catalogue_lacks(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(BILINGUAL)
    catalogue = root / "templates/locales/cy/LC_MESSAGES/messages.po"
    catalogue.write_text(re.sub(r'msgid "Key proposals"\nmsgstr "[^"]*"\n', "", catalogue.read_text()))
    assert run(root, "check") == 0
    assert (
        "templates/locales/cy/LC_MESSAGES/messages.po: warning: 1 of the interface's words have no translation "
        "into 'cy' and are shown in English: 'Key proposals'"
    ) in capsys.readouterr().err
