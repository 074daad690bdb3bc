"""A news page saved from the browser -> the op-ed's blocks, the page's metadata and every text it showed.

The article is found by trafilatura, the maintained library made for the job: it tells the article from the
menus, share bars, asides and comments around it, and reads the title, author, date and description from
the page's metadata (``<meta>``, Open Graph, JSON-LD) or, failing that, from its layout. This module only
turns trafilatura's answer into plain data; ``importer.py`` decides what becomes front matter and Markdown.

Nothing here fetches anything: a saved page is read as it is, and its links are kept as text addresses.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml import etree

# trafilatura explains on its logger why it skipped parts of a page; the import report says what was left out.
logging.getLogger("trafilatura").addHandler(logging.NullHandler())
logging.getLogger("htmldate").addHandler(logging.NullHandler())

# Elements whose text the reader never sees.
HIDDEN_TAGS = frozenset(
    ["head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "select", "input"]
)
# Elements that sit inside a line of text; anything else starts a block of its own.
INLINE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "i",
        "img",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "button",
        "label",
    ]
)
# trafilatura's names for emphasis (``<hi rend="#i">``).
EMPHASIS = {"#i": "em", "#b": "strong", "#u": "em"}


@dataclass(frozen=True)
class Inline:
    """A run of text inside a block, with its emphasis ("", "em", "strong", "code") and link address."""

    text: str
    style: str = ""
    href: str = ""


@dataclass(frozen=True)
class PageBlock:
    """One block of the article: "paragraph", "heading" (with level), "list", "ordered list", "quote", "table".

    ``items`` holds one run of inlines per list item, table row or quoted paragraph; one for the others.
    """

    kind: str
    items: tuple[tuple[Inline, ...], ...]
    level: int = 0

    @property
    def lines(self) -> tuple[str, ...]:
        joiner = " " if self.kind == "table" else ""  # a table's inlines are its cells
        return tuple(squash(joiner.join(inline.text for inline in item)) for item in self.items)


@dataclass(frozen=True)
class PageText:
    """A piece of text the page showed, with the line of the saved file it starts on."""

    line: int
    text: str


@dataclass(frozen=True)
class SavedPage:
    title: str
    author: str
    date: str | None  # ISO YYYY-MM-DD
    description: str
    stated: frozenset[str]  # the fields among author and date that the page's own metadata states
    blocks: tuple[PageBlock, ...]
    texts: tuple[PageText, ...]


def decode_page(data: bytes) -> str:
    """A saved page's text in whatever encoding the browser kept (it names it, or it is guessed)."""
    return trafilatura.utils.decode_file(data)


def squash(text: str) -> str:
    return " ".join(text.split())


def looks_like_html(text: str) -> bool:
    start = text.lstrip("\ufeff \t\r\n")[:200].lower()
    return start.startswith(("<!doctype html", "<html")) or ("<head" in start and start[:1] == "<")


def read_saved_page(html: str) -> SavedPage | None:
    """The article of a saved page, or None when trafilatura finds none."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    document = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        include_links=True,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None or document.body is None:
        return None
    metadata = stated_metadata(tree)
    author = squash(document.author or "").replace("; ", " and ")
    date = document.date or None
    stated = {
        field
        for field, value in (("author", author), ("date", date))
        if value and any(value.casefold() in text.casefold() for text in metadata)
    }
    return SavedPage(
        title=squash(document.title or ""),
        author=author,
        date=date,
        description=squash(document.description or ""),
        stated=frozenset(stated),
        blocks=tuple(block for block in article_blocks(document.body) if any(block.lines)),
        texts=tuple(page_texts(tree.body if tree.find("body") is not None else tree)),
    )


def stated_metadata(tree: lxml.html.HtmlElement) -> list[str]:
    """What the page says about itself in machine-readable form: meta values, JSON-LD, <time datetime>."""
    found = [value for value in tree.xpath("//meta/@content | //time/@datetime") if isinstance(value, str)]
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            found.extend(json_strings(json.loads(script.text or "")))
        except ValueError:
            continue
    return [squash(value) for value in found if value.strip()]


def json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


# --- The article, from trafilatura's XML ------------------------------------------------------------------


def article_blocks(body: etree._Element) -> Iterator[PageBlock]:
    for element in body:
        tag = element.tag
        if tag == "head":
            level = int(re.sub(r"\D", "", element.get("rend", "")) or 2)
            yield PageBlock("heading", (inlines(element),), max(2, min(level, 4)))
        elif tag == "list":
            kind = "ordered list" if element.get("rend") == "ol" else "list"
            items = [inlines(item) for item in element.iter("item")]
            yield PageBlock(kind, tuple(item for item in items if squash("".join(run.text for run in item))))
        elif tag == "quote":
            parts = [child for child in element if child.tag == "p"] or [element]
            yield PageBlock("quote", tuple(inlines(part) for part in parts))
        elif tag == "table":
            rows = [row for row in element.iter("row")]
            cells = [
                tuple(Inline(squash("".join(cell.itertext()))) for cell in row.iter("cell")) for row in rows
            ]
            yield PageBlock("table", tuple(row for row in cells if any(cell.text for cell in row)))
        elif tag != "graphic":
            yield PageBlock("paragraph", (inlines(element),))


def inlines(element: etree._Element, style: str = "", href: str = "") -> tuple[Inline, ...]:
    """The element's text as runs, one per change of emphasis or link; line breaks become spaces."""
    runs: list[Inline] = []
    if element.text:
        runs.append(Inline(element.text, style, href))
    for child in element:
        if child.tag == "hi":
            runs.extend(inlines(child, EMPHASIS.get(child.get("rend", ""), style), href))
        elif child.tag == "ref":
            runs.extend(inlines(child, style, child.get("target", "") or href))
        elif child.tag == "lb":
            runs.append(Inline(" ", style, href))
        else:
            runs.extend(inlines(child, style, href))
        if child.tail:
            runs.append(Inline(child.tail, style, href))
    return tuple(runs)


# --- Every text the page showed, for the report of what was left out ---------------------------------------


def is_inline(element: lxml.html.HtmlElement) -> bool:
    return isinstance(element.tag, str) and element.tag in INLINE_TAGS


def has_block(element: lxml.html.HtmlElement) -> bool:
    return any(
        isinstance(child.tag, str)
        and child.tag not in HIDDEN_TAGS
        and (not is_inline(child) or has_block(child))
        for child in element
    )


def page_texts(element: lxml.html.HtmlElement) -> Iterator[PageText]:
    """The page's visible text, one piece per block of the layout, each with its source line."""
    if not isinstance(element.tag, str) or element.tag in HIDDEN_TAGS:
        return
    if not has_block(element):
        text = squash(visible_text(element))
        if text:
            yield PageText(element.sourceline or 0, text)
        return
    run: list[str] = [element.text or ""]
    line = element.sourceline or 0
    for child in element:
        if isinstance(child.tag, str) and child.tag not in HIDDEN_TAGS and not is_inline(child):
            if squash("".join(run)):
                yield PageText(line, squash("".join(run)))
            run = []
            yield from page_texts(child)
            line = child.sourceline or line
        elif isinstance(child.tag, str) and child.tag not in HIDDEN_TAGS:
            line = line if squash("".join(run)) else (child.sourceline or line)
            run.append(visible_text(child))
        run.append(child.tail or "")
    if squash("".join(run)):
        yield PageText(line, squash("".join(run)))


def visible_text(element: lxml.html.HtmlElement) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in HIDDEN_TAGS:
            parts.append(visible_text(child))
        parts.append(child.tail or "")
    return " ".join(parts) if element.tag == "br" else "".join(parts)
