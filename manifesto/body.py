"""Markdown bodies to HTML: smart quotes, footnotes, tables, heading and paragraph anchors, checked links.

Raw HTML in Markdown is not passed through: it is shown as text. Campaign sites take content from many
hands, and this is the one policy that needs no allow-list to get right. Links may only use http(s),
mailto and tel, and pictures must be the site's own. Of the attributes an attribute list can set, only
those in ALLOWED_ATTRIBUTES are kept.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import markdown
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import (
    TocExtension,
    TocTreeprocessor,
    run_postprocessors,
    strip_tags,
    unescape,
)
from markdown.inlinepatterns import LinkInlineProcessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AMP_SUBSTITUTE, HTML_PLACEHOLDER_RE
from markupsafe import Markup

from .slugs import slugify

ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}
# What Markdown and its extensions write (links, pictures, footnotes, code languages, list starts), and
# what an attribute list may usefully add; anything else (event handlers, style, srcset, ping, xlink:href…)
# is dropped.
ALLOWED_ATTRIBUTES = frozenset(
    {"id", "class", "title", "lang", "dir", "href", "src", "alt", "start", "width", "height"}
)
WORDS_PER_PARAGRAPH_ANCHOR = 6
# What the tables extension writes on a cell of a column aligned with ":---", ":---:" or "---:".
TABLE_ALIGNMENT = re.compile(r"text-align: (left|center|right);")


@dataclass(frozen=True)
class LinkRef:
    """A link or image in a body that points inside the site, checked once every page is known."""

    url_path: str  # the site path it leads to, without the base path: "/articles/x/"
    fragment: str
    written: str  # the href as written, to find its line and to quote it


@dataclass
class BodyNotes:
    """What one conversion found, filled in by the tree processor."""

    anchors: list[str] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (href as written, problem, hint)
    text_words: int = 0


@dataclass(frozen=True)
class RenderedBody:
    html: Markup
    anchors: frozenset[str]
    links: tuple[LinkRef, ...]
    problems: tuple[tuple[str, str, str], ...]
    word_count: int
    manifesto_marks: tuple[int, ...]  # where the manifesto edits the HTML (see manifesto_marks)


# Markdown's placeholders start with \x02. Text without them, tags or entities needs none of the steps
# below that undo them: only its whitespace is collapsed.
PLAIN_TEXT_BREAKERS = ("\x02", "<", "&")


def element_text(element: etree.Element, md: markdown.Markdown) -> str:
    """The text of an element as a reader sees it, whitespace collapsed (as the toc extension does)."""
    text = "".join(element.itertext())
    if not any(breaker in text for breaker in PLAIN_TEXT_BREAKERS):
        return " ".join(text.split())
    return html.unescape(strip_tags(run_postprocessors(unescape(text), md)))


@dataclass(frozen=True)
class LinkContext:
    """What a body needs to know to turn its links into site links."""

    base_path: str  # "" or "/repo-name"
    page_url_path: str  # the page this body is shown on
    source_dir: PurePosixPath  # folder of the Markdown file, relative to the project root
    url_for_source: dict[str, str]  # "content/articles/x.md" -> "/articles/x/"


def site_path_for(href: str, context: LinkContext) -> tuple[str, str] | str | None:
    """(site path, fragment) for a link inside the site, None for one elsewhere, or a problem."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return (context.page_url_path, parts.fragment)
    if parts.path.startswith("/"):
        return (parts.path, parts.fragment)
    joined = posixpath.normpath(posixpath.join(str(context.source_dir), parts.path))
    if joined.endswith(".md"):
        if joined not in context.url_for_source:
            return f"this links to {joined}, which does not exist"
        return (context.url_for_source[joined], parts.fragment)
    if joined.startswith("content/images/"):
        return ("/images/" + joined.removeprefix("content/images/"), parts.fragment)
    return f"this links to {joined}, which is not a Markdown file or an image in content/images/"


def is_passage(element: etree.Element) -> bool:
    """A paragraph without an id of its own, that is not just a placeholder for a stashed block (fenced
    code): Markdown replaces such a paragraph, ``<p>`` and all, when it writes the HTML, and cannot once
    it has an id."""
    stashed = len(element) == 0 and HTML_PLACEHOLDER_RE.fullmatch((element.text or "").strip())
    return element.tag == "p" and not element.get("id") and not stashed


def as_followed(href: str) -> str:
    """The address a browser follows: Markdown leaves character references in an address as written
    (``javascript&#58;``), and writes an e-mail autolink's (``<a@b.c>``) as references, with a placeholder
    for their '&' that its last pass turns back."""
    return html.unescape(href.replace(AMP_SUBSTITUTE, "&")) if "&" in href or AMP_SUBSTITUTE in href else href


class AnchorsAndLinks(Treeprocessor):
    """Gives every paragraph a stable id and records or rejects every link."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.notes = BodyNotes()
        self.context = LinkContext("", "/", PurePosixPath("content"), {})

    def run(self, root: etree.Element) -> None:
        used = {element.get("id") for element in root.iter() if element.get("id")}
        next_number: dict[str, int] = {}  # base id -> the number its next repeat tries first
        footnotes = {
            id(element)
            for div in root.iter("div")
            for element in div.iter()
            if div.get("class") == "footnote"
        }
        for element in root.iter():
            self.drop_unsafe_attributes(element)
            if is_passage(element) and id(element) not in footnotes:
                element.set("id", self.paragraph_id(element, used, next_number))
            if element.tag == "a" and element.get("href") is not None:
                self.rewrite_link(element, "href")
            if element.tag == "img":
                self.rewrite_link(element, "src")
                if not (element.get("alt") or "").strip():
                    self.notes.problems.append(
                        (
                            element.get("src", ""),
                            "an image has no alt text",
                            "describe the image between the brackets: ![A crowded council meeting](…)",
                        )
                    )
        self.notes.anchors.extend(element.get("id", "") for element in root.iter() if element.get("id"))
        self.notes.text_words = len(re.findall(r"\w+", element_text(root, self.md)))

    def paragraph_id(self, element: etree.Element, used: set[str | None], next_number: dict[str, int]) -> str:
        """The paragraph's first words as an id, numbered from 2 when taken; each repeat of a base
        starts where the last stopped, so that many equal paragraphs take linear time."""
        base = slugify(element_text(element, self.md), max_words=WORDS_PER_PARAGRAPH_ANCHOR) or "passage"
        candidate, number = base, next_number.get(base, 2)
        while candidate in used:
            candidate, number = f"{base}-{number}", number + 1
        used.add(candidate)
        next_number[base] = number
        return candidate

    @staticmethod
    def drop_unsafe_attributes(element: etree.Element) -> None:
        # A table column's alignment (---:) is written as an inline style, which the pages' policy
        # forbids: it becomes a class the style sheet knows.
        alignment = TABLE_ALIGNMENT.fullmatch(element.get("style") or "")
        if element.tag in ("th", "td") and alignment:
            element.set("class", f"align-{alignment.group(1)}")
        for name in list(element.attrib):
            if name not in ALLOWED_ATTRIBUTES:
                del element.attrib[name]

    def rewrite_link(self, element: etree.Element, attribute: str) -> None:
        """Point a link at the built page (adding the base path), or record why it cannot be."""
        href = as_followed(element.get(attribute, "")).strip()
        scheme = urlsplit(href).scheme.lower()
        if scheme and scheme not in ALLOWED_SCHEMES:
            del element.attrib[attribute]
            self.notes.problems.append(
                (
                    href,
                    f"links with '{scheme}:' are not allowed",
                    "use an https:// address or a link to a page",
                )
            )
            return
        resolved = site_path_for(href, self.context)
        if isinstance(resolved, str):
            self.notes.problems.append(
                (href, resolved, "check the file name and folder; links are relative to this file")
            )
        elif resolved is None and attribute == "src":
            self.notes.problems.append(
                (
                    href,
                    "a picture from another site is not shown: pages show pictures from this site only",
                    "save the picture in content/images/ (if you may use it) and write "
                    "![its description](../images/its-name.jpg)",
                )
            )
        elif resolved is not None:
            url_path, fragment = resolved
            self.notes.links.append(LinkRef(url_path, fragment, href))
            if url_path != self.context.page_url_path:
                element.set(
                    attribute, self.context.base_path + url_path + (f"#{fragment}" if fragment else "")
                )


# Everything the smarty extension can change: a text without any of these converts the same without it,
# and skipping its second pass over the text saves about a third of the Markdown time.
SMARTY_TRIGGERS = re.compile(r"['\"]|--|\.\.\.")

# Each inline pattern of Python-Markdown is tried on every run of text in a body, and most never match:
# each needs one of these strings to appear. A body without them converts the same without that pattern,
# and leaving the unused ones out saves about a fifth of the Markdown time. Patterns not named here are
# always kept.
INLINE_PATTERN_NEEDS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "short_reference": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  ",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
}
# Markdown rewrites these before any pass runs (tabs to spaces, line ends; its own marker characters it
# deletes, so that "..\x02." becomes "..."), which could make a needed string appear: a body with any of
# them gets every pass.
REWRITTEN_BEFORE_INLINE = ("\t", "\r", "\x02", "\x03")


# The toc extension puts a table of contents where a paragraph says only this; without it, the extension
# is used only for the ids it gives headings.
TABLE_OF_CONTENTS_MARKER = "[TOC]"


@dataclass(frozen=True)
class ConverterKind:
    """Which optional passes a body needs: smart punctuation, the inline patterns it can match, and a
    table of contents."""

    smart_punctuation: bool
    skipped_patterns: frozenset[str]
    table_of_contents: bool = True
    patterns_by_run: bool = False  # each inline pattern tried only on runs of text holding what it needs


# Every pass, as Python-Markdown has them: what the other kinds must match.
FULL_CONVERTER = ConverterKind(smart_punctuation=True, skipped_patterns=frozenset())


def converter_kind(text: str) -> ConverterKind:
    """The least converter that turns ``text`` into the same HTML as the full one."""
    if any(character in text for character in REWRITTEN_BEFORE_INLINE):
        return FULL_CONVERTER
    smart = SMARTY_TRIGGERS.search(text) is not None
    contents = TABLE_OF_CONTENTS_MARKER in text
    skipped = frozenset(
        name for name, needs in INLINE_PATTERN_NEEDS.items() if not any(need in text for need in needs)
    )
    return ConverterKind(smart, skipped, contents, patterns_by_run=True)


class FootnotesNumberedOnce(FootnoteExtension):
    """Markdown's footnotes, with the k-th reference to a note given its id (``fnref3:1``) at once: the
    extension tried every number from 2 for each, which for 2,000 references to one note took 12 s."""

    def unique_ref(self, reference: str, found: bool = False) -> str:
        if not found:
            return reference
        count = self.found_refs.get(reference, 0) + 1
        self.found_refs[reference] = count
        prefix, rest = reference.split(self.get_separator(), 1)
        unique = reference if count == 1 else f"{prefix}{count}{self.get_separator()}{rest}"
        self.used_refs.add(unique)
        return unique


class HeadingIdsOnly(TocTreeprocessor):
    """The toc extension's pass for a body without its marker: the same heading ids, from the extension's
    own code, but no table of contents built and serialized for nobody (half of the extension's time)."""

    def build_toc_div(self, toc_list: list[Any]) -> etree.Element:
        return etree.Element("div")

    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        return


class HeadingIdsExtension(TocExtension):
    TreeProcessorClass = HeadingIdsOnly


# Python-Markdown's inline pass can take time that grows with the square of a paragraph's length: each
# '[' (or '![', '[^', '(' after ']') is a possible link whose end it looks for with a Python loop to the
# end of the paragraph when there is none, and each match copies the whole paragraph to put a placeholder
# in. Its work is therefore counted, in steps of that loop (a copy costs one per COPIED_PER_STEP
# characters), and a body that needs more than a fixed allowance plus STEPS_PER_CHARACTER for each of
# its characters is refused. Ordinary text takes a few steps per character, and the allowance about a
# second at worst.
INLINE_STEPS_ALLOWED = 4_000_000
STEPS_PER_CHARACTER = 1
COPIED_PER_STEP = 128
# The footnote pattern is a regular expression that, for each '[^', looks for the ']' to the end of the
# paragraph: with no ']', 25,000 of them took 15 s. Labels are short; this bound makes the search linear.
FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]]{0,200})\]", re.DOTALL)


class TooCostly(Exception):
    """A body whose inline Markdown would take too long to convert; ``written`` is the text where the
    work ran out, to find its line."""

    def __init__(self, written: str) -> None:
        super().__init__(written)
        self.written = written


@dataclass
class InlineMeter:
    """The work left to a body's inline passes, shared by Markdown's and the smarty extension's."""

    steps_left: int = INLINE_STEPS_ALLOWED

    def allow(self, text: str) -> None:
        """Start counting for a body of ``text``."""
        self.steps_left = INLINE_STEPS_ALLOWED + STEPS_PER_CHARACTER * len(text)

    def spend(self, steps: int, data: str, index: int) -> None:
        self.steps_left -= steps
        if self.steps_left < 0:
            raise TooCostly(re.split("[\x02\n]", data[index : index + 40].strip())[0])

    def counted(self, scan: Callable[[str, int], tuple[Any, ...]]) -> Callable[[str, int], tuple[Any, ...]]:
        """A link pattern's scan for the end of a link's text or address, counting the characters it read:
        to the end it returns (the last value says whether it found it), else to the end of ``data``."""

        def scan_counted(data: str, index: int) -> tuple[Any, ...]:
            found = scan(data, index)
            self.spend((found[-2] if found[-1] else len(data)) - index, data, index)
            return found

        return scan_counted


class InlineByNeeds(InlineProcessor):
    """Python-Markdown's inline pass, with its work counted and bounded (InlineMeter), and, for a
    converter made for one kind of body, trying a pattern on a run of text only when the run holds a
    string the pattern needs (INLINE_PATTERN_NEEDS): the same matches, without trying every pattern on
    every run (a tenth of the Markdown time).

    It overrides the pass's private method that tries one pattern on one run. Should a Markdown release
    rename it, the bound would be lost: a test checks that the method is still there, and the hypothesis
    test that the HTML is the same as the full converter's."""

    def __init__(
        self, md: markdown.Markdown, meter: InlineMeter, needs: dict[object, tuple[str, ...]] | None = None
    ) -> None:
        super().__init__(md)
        self.meter = meter
        self.needs = needs or {}  # registered pattern -> the strings it needs, one of which a match contains

    def _InlineProcessor__applyPattern(  # noqa: N802 (the name the base class calls)
        self,
        pattern: Any,
        data: str,
        patternIndex: int,
        startIndex: int = 0,  # noqa: N803
    ) -> tuple[str, bool, int]:
        needs = self.needs.get(pattern)
        if needs is not None and not any(need in data for need in needs):
            return data, False, 0  # what the base method returns when the pattern does not match
        self.meter.spend(len(data) // COPIED_PER_STEP, data, startIndex)
        tried: tuple[str, bool, int] = super()._InlineProcessor__applyPattern(  # type: ignore[misc]
            pattern, data, patternIndex, startIndex
        )
        return tried


@dataclass(frozen=True)
class Converter:
    md: markdown.Markdown
    processor: AnchorsAndLinks
    meter: InlineMeter


def make_converter(kind: ConverterKind) -> Converter:
    toc = TocExtension if kind.table_of_contents else HeadingIdsExtension
    md = markdown.Markdown(
        # Extension objects, not names: a name is looked up among every installed package's entry
        # points, which took as long as the rest of making a converter. These seven are "extra", in
        # the order it registers them.
        extensions=[
            FencedCodeExtension(),
            FootnotesNumberedOnce(),
            AttrListExtension(),
            DefListExtension(),
            TableExtension(),
            AbbrExtension(),
            MarkdownInHtmlExtension(),
            toc(permalink=False),
            *([SmartyExtension(smart_angled_quotes=False)] if kind.smart_punctuation else []),
        ],
        output_format="html",
    )
    # Raw HTML is shown as text (see the module docstring).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    for name in kind.skipped_patterns:
        md.inlinePatterns.deregister(name, strict=False)
    needs = {
        md.inlinePatterns[name]: strings
        for name, strings in INLINE_PATTERN_NEEDS.items()
        if kind.patterns_by_run and name in md.inlinePatterns
    }
    if "footnote" in md.inlinePatterns:
        md.inlinePatterns["footnote"].compiled_re = FOOTNOTE_REFERENCE
    meter = InlineMeter()
    for pattern in md.inlinePatterns:
        if isinstance(pattern, LinkInlineProcessor):
            pattern.getText = meter.counted(pattern.getText)
            pattern.getLink = meter.counted(pattern.getLink)
    md.treeprocessors.register(InlineByNeeds(md, meter, needs), "inline", 20)  # 20: where Markdown puts it
    if kind.smart_punctuation:  # the extension's own inline pass, with its own patterns
        smarty = InlineByNeeds(md, meter)
        smarty.inlinePatterns = md.treeprocessors["smarty"].inlinePatterns
        md.treeprocessors.register(smarty, "smarty", 6)  # 6: where the extension puts it
    processor = AnchorsAndLinks(md)
    md.treeprocessors.register(processor, "anchors_and_links", 4)
    return Converter(md, processor, meter)


class BodyRenderer:
    """Markdown converters reused for every body of a build (building one costs more than using it), one
    for each kind of body met so far."""

    def __init__(self) -> None:
        self.converters: dict[ConverterKind, Converter] = {}

    def converter(self, kind: ConverterKind) -> Converter:
        if kind not in self.converters:
            self.converters[kind] = make_converter(kind)
        return self.converters[kind]

    def render(self, text: str, context: LinkContext) -> RenderedBody:
        kind = converter_kind(text)
        converter = self.converter(kind)
        converter.md.reset()
        converter.processor.notes = BodyNotes()
        converter.processor.context = context
        converter.meter.allow(text)
        try:
            body_html = converter.md.convert(text)
        except TooCostly as costly:
            del self.converters[kind]  # it stopped half-way
            return too_costly(costly.written)
        notes = converter.processor.notes
        return RenderedBody(
            # The one place Markdown output is trusted: raw HTML was disabled above.
            html=Markup(body_html),
            anchors=frozenset(notes.anchors),
            links=tuple(notes.links),
            problems=tuple(notes.problems),
            word_count=notes.text_words,
            manifesto_marks=manifesto_marks(body_html),
        )


def too_costly(written: str) -> RenderedBody:
    problem = "this paragraph is too long, or has too many unclosed '[' or '(', to convert in reasonable time"
    hint = (
        "split it into shorter paragraphs (an empty line between them); close each [link text] and (address)"
    )
    return RenderedBody(Markup(""), frozenset(), (), ((written, problem, hint),), 0, ())


# A body as the one-page manifesto shows it, beside every other op-ed's: its ids get a prefix each, so that
# they stay unique on the page, and its headings nest under the op-ed's own. The manifesto shows every
# op-ed, and is rendered again after any edit of a template or of the site's metadata; where those changes
# go is therefore found once, when a body is converted, and kept with it in the cache (manifesto_marks):
# the manifesto then joins slices.

HEADING_TAG = re.compile(r"<(/?)h([1-6])")


def is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def id_value_starts(text: str) -> list[int]:
    """Where each non-empty ``id="…"`` value and same-page link ``href="#…"`` target begins, when the
    attribute's name begins a word.

    Found from each ``="`` with plain string searches: a regular expression that looks for either
    attribute at every character takes six times as long.
    """
    starts = []
    equals = text.find('="')
    while equals != -1:
        if equals >= 2 and text.startswith("id", equals - 2):
            name_start, value_start = equals - 2, equals + 2
        elif equals >= 4 and text.startswith("href", equals - 4) and text.startswith("#", equals + 2):
            name_start, value_start = equals - 4, equals + 3
        else:
            name_start = value_start = -1
        if (
            value_start != -1
            and (name_start == 0 or not is_word_character(text[name_start - 1]))
            and value_start < len(text)
            and text[value_start] != '"'
            and text.find('"', value_start + 1) != -1
        ):
            starts.append(value_start)
        equals = text.find('="', equals + 2)
    return starts


def prefix_ids(body_html: str, prefix: str) -> Markup:
    """Put ``prefix`` at the start of each of a body's ids and same-page links (id_value_starts)."""
    return nested_body(body_html, tuple(2 * start for start in id_value_starts(str(body_html))), prefix, 0)


def shift_headings(body_html: str, levels: int) -> Markup:
    """Nest a body's headings under the page's own (h2 becomes h4 when shifted by 2)."""
    parts = HEADING_TAG.split(str(body_html))  # text, "/" or "", level, text, ...
    pieces = [parts[0]]
    for start in range(1, len(parts), 3):
        slash, level, text = parts[start : start + 3]
        pieces += (f"<{slash}h{min(6, int(level) + levels)}", text)
    return Markup("".join(pieces))


def manifesto_marks(body_html: str) -> tuple[int, ...]:
    """Where ``nested_body`` changes a body, in order: twice the place where prefix_ids puts a prefix,
    and twice the place, plus one, of each heading tag's level digit."""
    text = str(body_html)
    prefixes = [2 * start for start in id_value_starts(text)]
    levels = [2 * found.start(2) + 1 for found in HEADING_TAG.finditer(text)]
    return tuple(sorted(prefixes + levels))


def nested_body(body_html: str, marks: tuple[int, ...], prefix: str, levels: int) -> Markup:
    """``shift_headings(prefix_ids(body_html, prefix), levels)``, from the body's manifesto_marks.

    The two never meet: a prefix goes after a quote or a ``#``, and contains no ``<``."""
    text = str(body_html)
    pieces = []
    taken = 0  # text before this is in pieces
    for mark in marks:
        place, is_level = divmod(mark, 2)
        if is_level:
            pieces += (text[taken:place], str(min(6, int(text[place]) + levels)))
            taken = place + 1
        else:
            pieces += (text[taken:place], prefix)
            taken = place
    pieces.append(text[taken:])
    return Markup("".join(pieces))
