"""The platform as an EPUB 3 and as a plain-text edition: pure functions of the site model.

Both carry every chapter, proposal and op-ed, and the imprint. The plain text is also what a Braille
transcriber asks for: one paragraph a line, headings marked with #, proposals numbered, links written
out. Both are the same bytes for the same site: the EPUB's zip has fixed times, order and compression,
and its date is SOURCE_DATE_EPOCH's (or the newest op-ed's).
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import io
import mimetypes
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .catalogues import N_
from .load import Asset
from .model import Article, Chapter, Format, Site
from .render import RenderOptions, date_text, feed_updated

if TYPE_CHECKING:
    from lxml.html import HtmlElement

EPUB_PATH = "manifesto.epub"
TEXT_PATH = "manifesto.txt"


# The formats the build makes, by output path: (label, kind, type name, media type). The PDFs are printed
# (pdf.py); the others are made here.
EDITIONS = {
    "manifesto.pdf": (N_("The full platform, to print"), "print", "PDF", "application/pdf"),
    "manifesto-large-print.pdf": (N_("Large print (18 point)"), "large-print", "PDF", "application/pdf"),
    EPUB_PATH: (N_("E-book, for reading apps and screen readers"), "ebook", "EPUB", "application/epub+zip"),
    TEXT_PATH: (
        N_("Plain text, also for Braille transcription"),
        "plain-text",
        N_("Plain text (UTF-8)"),
        "text/plain",
    ),
}
# A zip entry's time cannot be before 1980: the EPUB's entries all carry this one.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BLOCKS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "table",
    "dl",
    "div",
    "hr",
}
EPUB_STYLE = """\
body { font-family: sans-serif; line-height: 1.5; text-align: left; }
h1, h2, h3, h4 { line-height: 1.25; }
.byline, .imprint { font-style: normal; }
.proposals li { margin-bottom: 0.5em; }
"""


def edition_formats(sizes: dict[str, int]) -> tuple[Format, ...]:
    """The build's own formats, as the "Other formats" page lists them, with their sizes."""
    own = tuple(
        Format(label, kind, type_name, media_type, "", "/" + path, sizes[path])
        for path, (label, kind, type_name, media_type) in EDITIONS.items()
        if path in sizes
    )
    # The platform printed in each other language of the site: cy/manifesto.pdf.
    label, kind, type_name, media_type = EDITIONS["manifesto.pdf"]
    in_languages = tuple(
        Format(label, kind, type_name, media_type, path.split("/")[0], "/" + path, size)
        for path, size in sorted(sizes.items())
        if path.endswith("/manifesto.pdf")
    )
    return own + in_languages


def publication_date(site: Site, options: RenderOptions) -> datetime.datetime:
    """SOURCE_DATE_EPOCH's time, else the newest op-ed's date, never the clock nor a file's time (the
    feed's time of an undated op-ed may be its file's): the same words give the same book."""
    if options.updated is not None:
        return options.updated
    dated = [article for article in site.articles if article.date is not None]
    return feed_updated(dataclasses.replace(site, articles=tuple(dated)), options)


def site_address(site: Site, url_path: str) -> str:
    """The published address of a site path (``url_path`` without the base path)."""
    return site.config.base_url + url_path


def without_base_path(href: str, base_path: str) -> str:
    return href[len(base_path) :] if base_path and href.startswith(base_path + "/") else href


def byline_text(article: Article, language: str) -> str:
    return f"By {article.author}" + (f", {date_text(article.date, language)}" if article.date else "")


# The plain-text edition.


def fragment_elements(body_html: str) -> list[HtmlElement]:
    from lxml import html as lxml_html

    return list(lxml_html.fragments_fromstring(body_html)) if body_html.strip() else []


def inline_text(element: HtmlElement, site: Site, options: RenderOptions) -> str:
    """An element's text as a reader hears it: links with their address after them, footnote marks as
    [1], images as their description."""
    pieces = [element.text or ""]
    for child in element:
        pieces.append(inline_piece(child, site, options))
        pieces.append(child.tail or "")
    return "".join(pieces)


def inline_piece(element: HtmlElement, site: Site, options: RenderOptions) -> str:
    classes = (element.get("class") or "").split()
    if element.tag == "br":
        return "\n"
    if element.tag == "img":
        return f"[Image: {element.get('alt', '').strip()}]"
    if "footnote-backref" in classes:
        return ""
    text = inline_text(element, site, options)
    if element.tag == "sup" and element.get("id", "").startswith("fnref"):
        return f"[{text.strip()}]"
    if element.tag == "a" and element.get("href"):
        address = link_address(element.get("href", ""), site, options)
        return text if address is None or address == text else f"{text} ({address})"
    return text


def link_address(href: str, site: Site, options: RenderOptions) -> str | None:
    """A link written out: absolute for the site's own pages; None for one within the same text."""
    if href.startswith("#"):
        return None
    if urlsplit(href).scheme:
        return href.removeprefix("mailto:").removeprefix("tel:")
    return site_address(site, without_base_path(href, options.base_path))


def text_blocks(
    elements: list[HtmlElement], site: Site, options: RenderOptions, level: int, quote: str = ""
) -> Iterator[str]:
    """Paragraph-sized lines of text (one paragraph a line), from HTML blocks; ``level`` is added to each
    heading's level, so that an op-ed's own headings sit under its title."""
    for element in elements:
        tag = element.tag
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            yield (
                quote
                + "#" * min(6, int(tag[1]) + level)
                + " "
                + " ".join(inline_text(element, site, options).split())
            )
        elif tag in {"ul", "ol"}:
            lines = []  # one block: a list's items are not set apart by blank lines
            for number, item in enumerate(element.findall("li"), start=1):
                mark = f"{number}." if tag == "ol" else "-"
                inner = "\n".join(text_blocks([item], site, options, level)).split("\n")
                lines += [
                    quote + (mark if index == 0 else "  ") + " " + line for index, line in enumerate(inner)
                ]
            yield "\n".join(lines)
        elif tag == "li":
            # An item's own words first (a tight list's item is text), then any lists or paragraphs in it.
            lead = [element.text or ""]
            for child in element:
                if child.tag not in BLOCKS:
                    lead += [inline_piece(child, site, options), child.tail or ""]
            if clean("".join(lead)):
                yield clean("".join(lead))
            yield from text_blocks([child for child in element if child.tag in BLOCKS], site, options, level)
        elif tag == "blockquote":
            yield from text_blocks(list(element), site, options, level, quote + "> ")
        elif tag == "div" and "footnote" in (element.get("class") or "").split():
            notes = [quote + "Notes:"]
            for number, item in enumerate(element.iter("li"), start=1):
                note = " ".join(text_blocks(list(item), site, options, level))
                notes.append(quote + f"[{number}] " + note)
            yield "\n".join(notes)
        elif tag == "table":
            cells = (
                " | ".join(clean(inline_text(cell, site, options)) for cell in row)
                for row in element.iter("tr")
            )
            yield "\n".join(quote + row for row in cells)
        elif tag == "dl":
            for child in element:
                prefix = "" if child.tag == "dt" else "  "
                yield quote + prefix + clean(inline_text(child, site, options))
        elif tag == "hr":
            continue
        elif tag == "pre":
            yield from (quote + "    " + line for line in element.text_content().rstrip("\n").split("\n"))
        elif tag == "div":
            yield from text_blocks(list(element), site, options, level, quote)
        else:
            text = clean(inline_text(element, site, options))
            if text:
                yield quote + text


def clean(text: str) -> str:
    """Runs of spaces and line breaks as one space (a line break in a paragraph is kept as a space too)."""
    return " ".join(text.split())


def heading(level: int, text: str) -> str:
    return "#" * level + " " + text


def spaced(blocks: Iterator[str]) -> list[str]:
    """Blocks of text with a blank line after each."""
    return [line for block in blocks for line in (block, "")]


def proposal_lines(site: Site, chapter: Chapter, number: int) -> Iterator[str]:
    for index, proposal in enumerate(chapter.proposals, start=1):
        source = site.article(proposal.article_slug)
        address = site_address(site, f"{source.url_path}#{proposal.anchor}")
        yield (
            f"Proposal {number}.{index}: {proposal.text}\n"
            f"  The argument: “{source.title}” by {source.author} ({address})"
        )


def text_edition(site: Site, options: RenderOptions) -> bytes:
    """The whole platform as UTF-8 text: the contents, then each chapter with its proposals and op-eds,
    then the imprint."""
    lines = [heading(1, site.config.title), site.config.tagline, "", clean(site.config.description), ""]
    lines += [f"Read online: {site_address(site, '/manifesto/')}", ""]
    lines += [heading(2, "Contents"), ""]
    for number, chapter in enumerate(site.chapters, start=1):
        lines.append(f"{number}. {chapter.title}")
        lines += [f"  - {article.title}, by {article.author}" for article in site.articles_in(chapter)]
    for number, chapter in enumerate(site.chapters, start=1):
        lines += ["", "", heading(2, f"Chapter {number}. {chapter.title}"), "", clean(chapter.summary), ""]
        lines += spaced(text_blocks(fragment_elements(chapter.intro_html), site, options, level=1))
        if chapter.proposals:
            lines += [heading(3, "Key proposals"), ""]
            lines += spaced(proposal_lines(site, chapter, number))
        for article in site.articles_in(chapter):
            lines += [
                "",
                heading(3, f"Op-ed: {article.title}"),
                "",
                byline_text(article, site.config.language),
                "",
            ]
            lines += spaced(text_blocks(fragment_elements(article.body_html), site, options, level=2))
            if article.bio:
                lines += [f"About the author: {article.bio}", ""]
            lines.append(f"Online: {site_address(site, article.url_path)}")
    lines += ["", "", heading(2, "Imprint"), "", site.config.imprint.text(), ""]
    text = "\n".join(line.rstrip() for line in lines)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return (text.strip("\n") + "\n").encode("utf-8")


# The EPUB.


@dataclass(frozen=True)
class EpubDocument:
    file_name: str  # inside the EPUB's content folder
    title: str
    body: str  # XHTML of the body


def chapter_file(chapter: Chapter) -> str:
    return f"chapter-{chapter.slug}.xhtml"


def article_file(article: Article) -> str:
    return f"op-ed-{article.slug}.xhtml"


def epub_links(site: Site) -> dict[str, str]:
    """Site paths of pages the EPUB holds -> their file in it."""
    files = {chapter.url_path: chapter_file(chapter) for chapter in site.chapters}
    return files | {article.url_path: article_file(article) for article in site.articles}


def epub_body(body_html: str, site: Site, options: RenderOptions, images: dict[str, str]) -> str:
    """A body's HTML with its links pointing into the EPUB (or written out in full, for pages it does not
    hold) and its images taken from the EPUB; an image from elsewhere is shown as its description."""
    from lxml import etree

    links = epub_links(site)
    parts = []
    for element in fragment_elements(body_html):
        for link in element.iter("a"):
            href = link.get("href", "")
            if href.startswith("#") or urlsplit(href).scheme:
                continue
            path, _, fragment = without_base_path(href, options.base_path).partition("#")
            link.set(
                "href",
                (links[path] + (f"#{fragment}" if fragment else ""))
                if path in links
                else site_address(site, without_base_path(href, options.base_path)),
            )
        for image in list(element.iter("img")):
            path = without_base_path(image.get("src", ""), options.base_path)
            if path in images:
                image.set("src", images[path])
            else:
                replacement = etree.Element("span")
                replacement.text = f"[Image: {image.get('alt', '')}]"
                replacement.tail = image.tail
                image.getparent().replace(image, replacement)
        parts.append(etree.tostring(element, method="xml", encoding="unicode", with_tail=True))
    return "".join(parts)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def epub_documents(site: Site, options: RenderOptions, images: dict[str, str]) -> list[EpubDocument]:
    config = site.config
    contents = "".join(f"<li>{esc(chapter.title)}</li>" for chapter in site.chapters)
    documents = [
        EpubDocument(
            "title.xhtml",
            config.title,
            f"<section><h1>{esc(config.title)}</h1><p>{esc(config.tagline)}</p>"
            f"<p>{esc(config.description)}</p><p>Chapters:</p><ol>{contents}</ol>"
            f'<p>Read online: <a href="{esc(site_address(site, "/manifesto/"))}">'
            f"{esc(site_address(site, '/manifesto/'))}</a></p></section>",
        )
    ]
    for number, chapter in enumerate(site.chapters, start=1):
        proposals = "".join(
            f'<li>{esc(proposal.text)} <a href="{esc(article_file(site.article(proposal.article_slug)))}#'
            f'{esc(proposal.anchor)}">The argument in “{esc(site.article(proposal.article_slug).title)}”</a></li>'
            for proposal in chapter.proposals
        )
        own = "".join(
            f'<li><a href="{esc(article_file(article))}">{esc(article.title)}</a>, by {esc(article.author)}</li>'
            for article in site.articles_in(chapter)
        )
        documents.append(
            EpubDocument(
                chapter_file(chapter),
                f"{number}. {chapter.title}",
                f"<section><h1>{number}. {esc(chapter.title)}</h1><p>{esc(chapter.summary)}</p>"
                + epub_body(chapter.intro_html, site, options, images)
                + (f'<h2>Key proposals</h2><ol class="proposals">{proposals}</ol>' if proposals else "")
                + (f"<h2>Op-eds</h2><ul>{own}</ul>" if own else "")
                + "</section>",
            )
        )
        for article in site.articles_in(chapter):
            bio = f'<p class="bio">{esc(article.bio)}</p>' if article.bio else ""
            documents.append(
                EpubDocument(
                    article_file(article),
                    article.title,
                    f'<article><h1>{esc(article.title)}</h1><p class="byline">{esc(byline_text(article, site.config.language))}</p>'
                    + epub_body(article.body_html, site, options, images)
                    + bio
                    + "</article>",
                )
            )
    documents.append(
        EpubDocument(
            "imprint.xhtml",
            "Imprint",
            f'<section><h1>Imprint</h1><p class="imprint">{esc(site.config.imprint.text())}</p></section>',
        )
    )
    return documents


def image_files(site: Site, assets: tuple[Asset, ...], options: RenderOptions) -> dict[str, Asset]:
    """The site's images (content/images/) that the bodies show, by site path."""
    shown: set[str] = set()
    bodies = [chapter.intro_html for chapter in site.chapters] + [
        article.body_html for article in site.articles
    ]
    for body in bodies:
        if "<img" in body:
            for element in fragment_elements(body):
                sources = [element.get("src", "")] if element.tag == "img" else element.xpath(".//img/@src")
                shown.update(without_base_path(str(src), options.base_path) for src in sources)
    return {asset.url_path: asset for asset in assets if asset.url_path in shown}


ACCESSIBILITY = (
    ("schema:accessMode", "textual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityHazard", "none"),
)


def epub_edition(site: Site, assets: tuple[Asset, ...], options: RenderOptions) -> bytes:
    """The whole platform as an EPUB 3 (ebooklib), with its navigation document, language, accessibility
    metadata and imprint."""
    from ebooklib import epub

    config = site.config
    book = epub.EpubBook()
    book.set_identifier(site_address(site, "/" + EPUB_PATH))
    book.set_title(config.title)
    book.set_language(config.language)
    for author in site.authors:
        book.add_author(author.name, uid=f"author-{author.slug}")
    book.add_metadata("DC", "publisher", config.imprint.promoter)
    book.add_metadata("DC", "description", config.description)
    book.add_metadata("DC", "rights", site.config.imprint.text())
    when = publication_date(site, options)
    book.add_metadata("DC", "date", when.strftime("%Y-%m-%d"))
    for prop, value in ACCESSIBILITY:
        book.add_metadata(None, "meta", value, {"property": prop})
    summary = (
        "Text with headings for every chapter and op-ed and a table of contents; images, if any, have a "
        "text description. Links to sources are kept."
    )
    book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    style = epub.EpubItem(
        uid="style", file_name="style.css", media_type="text/css", content=EPUB_STYLE.encode()
    )
    book.add_item(style)
    images = {}
    for url_path, asset in sorted(image_files(site, assets, options).items()):
        file_name = "images/" + url_path.removeprefix("/images/")
        media_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        book.add_item(
            epub.EpubItem(
                uid=f"image-{len(images)}", file_name=file_name, media_type=media_type, content=asset.data
            )
        )
        images[url_path] = file_name
    items = []
    for document in epub_documents(site, options, images):
        item = epub.EpubHtml(
            uid=document.file_name.removesuffix(".xhtml"),
            file_name=document.file_name,
            title=document.title,
            lang=config.language,
            content=f"<html><head><title>{esc(document.title)}</title></head><body>{document.body}</body></html>",
        )
        item.add_item(style)
        book.add_item(item)
        items.append(item)
    book.add_item(epub.EpubNcx())  # the spine names one, for reading systems older than EPUB 3
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml")
    nav.add_item(style)
    book.add_item(nav)
    by_name = {item.file_name: item for item in items}
    toc: list[object] = [by_name["title.xhtml"]]
    for chapter in site.chapters:
        articles = [by_name[article_file(article)] for article in site.articles_in(chapter)]
        chapter_item = by_name[chapter_file(chapter)]
        if articles:
            toc.append(
                (epub.Link(chapter_item.file_name, chapter_item.title, f"toc-{chapter.slug}"), articles)
            )
        else:
            toc.append(chapter_item)
    toc.append(by_name["imprint.xhtml"])
    book.toc = toc
    book.spine = [items[0], nav, *items[1:]]
    written = io.BytesIO()
    mtime = when.astimezone(datetime.UTC).replace(tzinfo=None)
    epub.write_epub(written, book, {"mtime": mtime, "epub3_pages": False, "raise_exceptions": True})
    return fixed_zip(written.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The zip with every entry's time and attributes fixed and the same compression, ``mimetype`` first
    and stored (as EPUB requires): the same entries always make the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype", *[name for name in names if name != "mimetype"]]
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name), compresslevel=9 if name != "mimetype" else None)
    return written.getvalue()
