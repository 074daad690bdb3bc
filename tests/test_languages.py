"""The interface's words from gettext catalogues (templates/locales/), and dates in the site's language."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import REPO, SITE_YAML, run

LOCALES = REPO / "templates" / "locales"


def message_ids(po_file: Path) -> set[str]:
    return {message.id for message in read_po(io.BytesIO(po_file.read_bytes())) if message.id}


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
    assert "<h2>Y platfform yn gryno</h2>" in home and "Cynigion allweddol" not in home
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
