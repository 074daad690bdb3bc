"""Share cards: the 1200 × 630 picture a link to a page shows when it is shared (og:image).

Each card is drawn with Pillow from the texts it shows and the fonts shipped in manifesto/fonts/ (Inter,
under the SIL Open Font License: manifesto/fonts/OFL.txt). Drawing reads no file and no clock, and the PNG
carries no time or text chunk: the same texts give the same bytes.

A card is written as an 8-bit palette PNG by palette_png, deflated with zlib-ng (the pinned ``zlib-ng``
package) rather than by Pillow's PNG encoder, which deflates with whatever zlib Pillow was built against:
compressing a card's 756,000 palette indices is most of the cost of a card, and zlib-ng does it in a
third of zlib's time (bench/README.md). The bytes depend on the pinned version alone.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import io
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from zlib_ng import zlib_ng

from .catalogues import N_
from .load import Asset
from .model import Site

CARD_WIDTH = 1200
CARD_HEIGHT = 630
FONTS_FOLDER = Path(__file__).parent / "fonts"
TITLE_FONT = "Inter-Bold.otf"
TEXT_FONT = "Inter-Regular.otf"
# The theme's accent (templates/assets/style.css, --accent; a brand's replaces it) and the text drawn on
# it (--accent-text; brand.py checks a brand's accent against it).
DEFAULT_ACCENT = "#8b1a2b"
DEFAULT_INK = "#ffffff"
MARGIN = 72
# The title's sizes, tried from the largest: the first at which it fits in TITLE_LINES lines.
TITLE_SIZES = (76, 68, 60, 54, 48)
TITLE_LINES = 4
KICKER_SIZE = 28
BYLINE_SIZE = 36
SITE_NAME_SIZE = 30
LOGO_HEIGHT = 72
ELLIPSIS = "…"
# zlib-ng's level 2 compresses a card (mostly long runs of one colour) as fast as its run-length
# strategy does, into a smaller file (bench/README.md).
PNG_COMPRESS_LEVEL = 2
PNG_STRATEGY = zlib_ng.Z_DEFAULT_STRATEGY
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Steps of the text's edge from accent to ink; the other entries of the 256-colour palette hold the logo.
BLEND_LEVELS = 192


# What a card says it shows, above its title (translated through the page's catalogue).
KINDS = {"chapter": N_("Chapter"), "proposal": N_("Proposal"), "article": N_("Op-ed")}


@dataclass(frozen=True)
class CardFonts:
    """The fonts a card is drawn with, as their files' bytes."""

    title: bytes
    text: bytes


@dataclass(frozen=True)
class CardText:
    """What one card shows, and where it is published."""

    output_path: str  # "cards/articles/<slug>.png"
    kicker: str  # "Op-ed", "Chapter", "Proposal"; "" on the home page's
    title: str
    byline: str  # the author, the chapter, or the site's tagline
    site_name: str  # along its foot (card_name), in the language of the page it is shared from

    @property
    def alt(self) -> str:
        """The card's text for those who cannot see it (og:image:alt)."""
        kind = f"{self.kicker}: " if self.kicker else ""
        return (
            f"{kind}{self.title} ({self.byline}). {self.site_name}"
            if self.byline
            else f"{kind}{self.title}. {self.site_name}"
        )


def planned_cards(site: Site, words: Callable[[str], str] = str) -> dict[str, CardText]:
    """Every card of the site, by the address it is shared from: the home page, each chapter, each op-ed
    and each proposal (its place on its chapter's page, ``#proposal-<n>``). For ``site`` in a language
    other than the default (render.language_sites), the cards of what is translated into it, under
    ``cards/<code>/``, their kinds in ``words`` (that language's catalogue)."""
    prefix = site.config.language_prefix  # "" or "/cy"
    folder = f"cards{prefix}"
    name = card_name(site)
    cards = {f"{prefix}/": CardText(f"{folder}/home.png", "", site.config.title, site.config.tagline, name)}
    for chapter in site.chapters:
        if prefix and not chapter.address:
            continue  # not translated: its one page, and card, are the default language's
        cards[chapter.url_path] = CardText(
            f"{folder}/chapters/{chapter.slug}.png",
            words(KINDS["chapter"]),
            chapter.title,
            chapter.summary,
            name,
        )
        for number, proposal in enumerate(chapter.proposals, 1):
            cards[f"{chapter.url_path}#{proposal_id(number)}"] = CardText(
                f"{folder}/chapters/{chapter.slug}-proposal-{number}.png",
                words(KINDS["proposal"]),
                proposal.text,
                chapter.title,
                name,
            )
    for article in site.articles:
        if prefix and not article.address:
            continue
        cards[article.url_path] = CardText(
            f"{folder}/articles/{article.slug}.png",
            words(KINDS["article"]),
            article.title,
            article.author,
            name,
        )
    return cards


def every_card(
    sites: Sequence[Site], translations: Mapping[str, gettext.NullTranslations]
) -> dict[str, CardText]:
    """The cards of the site in each of its languages (``sites``, the default first), by address."""
    return {
        address: card
        for site in sites
        for address, card in planned_cards(site, words_of(translations, site.config.language)).items()
    }


def words_of(translations: Mapping[str, gettext.NullTranslations], language: str) -> Callable[[str], str]:
    return (translations.get(language) or gettext.NullTranslations()).gettext


def card_of(cards: Mapping[str, CardText], url_path: str) -> CardText:
    """The card a page is shared with: its own, else its language's home page's."""
    if url_path in cards:
        return cards[url_path]
    language_home = "/" + url_path.lstrip("/").split("/", 1)[0] + "/"
    return cards.get(language_home) or cards["/"]


def drawn_cards(
    sites: Sequence[Site],
    translations: Mapping[str, gettext.NullTranslations],
    assets: tuple[Asset, ...],
    fonts: CardFonts | None = None,
) -> dict[str, tuple[tuple[str, ...], Callable[[], bytes]]]:
    """Each share card's output path -> what it is made from (the texts it shows, the colours, the logo,
    the fonts: the pipeline keys it by them) and its producer, in the site's brand (site.yaml's
    ``brand``: its accent, its logo when it is a raster picture, its ``card_name``)."""
    fonts = fonts or card_fonts()
    site = sites[0]
    brand = site.config.brand
    accent, ink, site_name = brand.accent, DEFAULT_INK, card_name(site)
    pictures = {asset.url_path: asset.data for asset in assets}
    logo = pictures.get(brand.logo_url_path or "") if not (brand.logo or "").endswith(".svg") else None
    drawn_with = (
        site_name,
        accent,
        ink,
        hashlib.sha256(fonts.title + fonts.text + (logo or b"")).hexdigest(),
    )
    return {
        text.output_path: (
            ("card", text.kicker, text.title, text.byline, *drawn_with),
            functools.partial(
                share_card,
                text.title,
                text.byline,
                site_name,
                fonts,
                kicker=text.kicker,
                accent=accent,
                ink=ink,
                logo=logo,
            ),
        )
        for text in every_card(sites, translations).values()
    }


def card_name(site: Site) -> str:
    """The site's name as cards show it: the brand's ``card_name``, else the site's title."""
    return site.config.brand.card_name or site.config.title


def proposal_id(number: int) -> str:
    """A proposal's id on its chapter's page (templates/_macros.html, proposal_list)."""
    return f"proposal-{number}"


def card_fonts(folder: Path = FONTS_FOLDER) -> CardFonts:
    """The fonts shipped with the generator (part of it, like its code: not the site's sources)."""
    return CardFonts((folder / TITLE_FONT).read_bytes(), (folder / TEXT_FONT).read_bytes())


def share_card(
    title: str,
    byline: str,
    site_name: str,
    fonts: CardFonts,
    *,
    kicker: str = "",
    accent: str = DEFAULT_ACCENT,
    ink: str = DEFAULT_INK,
    logo: bytes | None = None,
) -> bytes:
    """A PNG card: ``kicker`` ("Op-ed") above the title, wrapped and shrunk to fit, ``byline`` under it,
    and ``site_name`` (with ``logo``, a picture's bytes, when given) along the foot, in ``ink`` on
    ``accent``. Text that cannot fit is cut with an ellipsis: nothing is drawn outside the card."""
    from PIL import Image, ImageDraw

    # The text is drawn as coverage (0 to 255) on one channel, which becomes the index of a palette of
    # blends from accent to ink: an 8-bit PNG, a third of the bytes of RGB to compress, in a third of the time.
    coverage = Image.new("L", (CARD_WIDTH, CARD_HEIGHT), 0)
    draw = ImageDraw.Draw(coverage)
    width = CARD_WIDTH - 2 * MARGIN
    top = MARGIN
    if kicker:
        kicker_font = font(fonts.text, KICKER_SIZE)
        draw_text(coverage, (MARGIN, top), fitted(kicker.upper(), kicker_font, width), kicker_font)
        top += round(KICKER_SIZE * 1.8)
    foot = CARD_HEIGHT - MARGIN - max(SITE_NAME_SIZE, LOGO_HEIGHT if logo else 0)
    byline_font = font(fonts.text, BYLINE_SIZE)
    byline_lines = wrapped(byline, byline_font, width, 2) if byline else []
    byline_height = len(byline_lines) * round(BYLINE_SIZE * 1.3)
    room = foot - top - byline_height - (32 if byline_lines else 0) - 24
    size, lines = title_layout(title, fonts.title, width, room)
    title_font = font(fonts.title, size)
    for line in lines:
        draw_text(coverage, (MARGIN, top), line, title_font)
        top += round(size * 1.18)
    top += 32
    for line in byline_lines:
        draw_text(coverage, (MARGIN, top), line, byline_font)
        top += round(BYLINE_SIZE * 1.3)
    draw.line((MARGIN, foot - 24, CARD_WIDTH - MARGIN, foot - 24), fill=255, width=3)
    mark = logo_image(logo, accent) if logo else None
    name_left = MARGIN + (mark.width + 24 if mark else 0)
    name_font = font(fonts.title, SITE_NAME_SIZE)
    name = fitted(site_name, name_font, CARD_WIDTH - MARGIN - name_left)
    name_top = foot + (LOGO_HEIGHT - SITE_NAME_SIZE) // 2 if mark else foot
    draw_text(coverage, (name_left, name_top), name, name_font)
    if mark is None:
        return palette_png(coverage, blends(rgb(accent), rgb(ink), 256))  # the coverage is the colour's index
    # Coverage in BLEND_LEVELS steps: the palette's other entries are the logo's colours.
    card = coverage.point([round(value * (BLEND_LEVELS - 1) / 255) for value in range(256)])
    logo_colours = mark.quantize(256 - BLEND_LEVELS)
    indices = bytes(BLEND_LEVELS + index for index in logo_colours.tobytes())
    card.paste(Image.frombytes("L", logo_colours.size, indices), (MARGIN, foot))
    palette = blends(rgb(accent), rgb(ink), BLEND_LEVELS)
    return palette_png(card, palette + tuple((logo_colours.getpalette() or [])[: 3 * (256 - BLEND_LEVELS)]))


def palette_png(indices: Any, palette: Sequence[int]) -> bytes:
    """A PNG of ``indices`` (a one-channel Pillow image: each pixel a palette index) in the colours of
    ``palette`` (flat red, green, blue values; up to 256 colours), its rows unfiltered, as filters do not
    help palette indices. Nothing but the image's header, palette and pixels is written."""
    width, height = indices.size
    pixels = indices.tobytes()
    rows = b"".join(b"\0" + pixels[start : start + width] for start in range(0, width * height, width))
    compressor = zlib_ng.compressobj(PNG_COMPRESS_LEVEL, zlib_ng.DEFLATED, 15, 9, PNG_STRATEGY)
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits, palette, no interlacing
    return b"".join(
        (
            PNG_SIGNATURE,
            png_chunk(b"IHDR", header),
            png_chunk(b"PLTE", bytes(palette)),
            png_chunk(b"IDAT", compressor.compress(rows) + compressor.flush()),
            png_chunk(b"IEND", b""),
        )
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk of a PNG: its length, type, data and the CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib_ng.crc32(kind + data))


def rgb(colour: str) -> tuple[int, int, int]:
    """'#8b1a2b' or '#fff' -> (139, 26, 43)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


@lru_cache(maxsize=4)
def blends(start: tuple[int, int, int], end: tuple[int, int, int], levels: int) -> tuple[int, ...]:
    """``levels`` colours from ``start`` to ``end``, as a flat palette list."""
    palette = []
    for level in range(levels):
        share = level / (levels - 1)
        palette += [round(a + (b - a) * share) for a, b in zip(start, end, strict=True)]
    return tuple(palette)


@lru_cache(maxsize=16)
def font(data: bytes, size: int) -> Any:
    """A FreeType font of ``data`` at ``size`` pixels (kept: each card of a build uses the same few)."""
    from PIL import ImageFont

    # Pillow's basic layout measures text five times as fast as Raqm's; Inter draws Latin, Greek and
    # Cyrillic, which need no shaping.
    return ImageFont.truetype(io.BytesIO(data), size, layout_engine=ImageFont.Layout.BASIC)


def text_width(text: str, of_font: Any) -> float:
    """How wide ``text`` is drawn by draw_text: the sum of its characters' advances."""
    return sum(glyph(of_font, character)[2] for character in text)


def draw_text(coverage: Any, at: tuple[int, int], text: str, of_font: Any) -> None:
    """``text`` drawn on ``coverage`` from ``at`` (its top left), a character at a time from glyphs drawn
    once a build (glyph): a quarter of the time of ImageDraw.text, which draws every glyph again. As
    Pillow's basic layout does, no kerning is applied."""
    x, top = float(at[0]), at[1]
    for character in text:
        mask, (left, down), advance = glyph(of_font, character)
        if mask is not None:
            coverage.paste(255, (round(x) + left, top + down), mask)
        x += advance


@lru_cache(maxsize=4096)
def glyph(of_font: Any, character: str) -> tuple[Any, tuple[int, int], float]:
    """A character's coverage mask (None when it draws nothing), its offset from the pen, its advance."""
    from PIL import Image

    mask, offset = of_font.getmask2(character, mode="L")
    drawn = Image.Image()._new(mask) if mask.size[0] and mask.size[1] else None
    return drawn, offset, of_font.getlength(character)


def title_layout(title: str, data: bytes, width: int, room: int) -> tuple[int, list[str]]:
    """The largest of TITLE_SIZES at which ``title`` fits in its lines and ``room`` pixels of height;
    at the smallest, the lines that fit, the last cut with an ellipsis."""
    for size in TITLE_SIZES:
        most = min(TITLE_LINES, max(1, room // round(size * 1.18)))
        lines = wrapped(title, font(data, size), width, most + 1)
        if len(lines) <= most:
            return size, lines
    size = TITLE_SIZES[-1]
    most = min(TITLE_LINES, max(1, room // round(size * 1.18)))
    return size, wrapped(title, font(data, size), width, most)


def wrapped(text: str, of_font: Any, width: int, most: int) -> list[str]:
    """``text`` in lines no wider than ``width``, at most ``most`` of them: when it needs more, the last
    line ends with an ellipsis. A word wider than a line is cut."""
    words = text.split()
    # A line's width as the sum of its words' and spaces' (kerning across a space is nil in practice):
    # each word is measured once, not each line as it grows.
    widths = [text_width(word, of_font) for word in words]
    space = text_width(" ", of_font)
    lines: list[str] = []
    start = 0
    while start < len(words) and len(lines) < most:
        end, line_width = start + 1, widths[start]
        while end < len(words) and line_width + space + widths[end] <= width:
            line_width += space + widths[end]
            end += 1
        lines.append(fitted(" ".join(words[start:end]), of_font, width))
        start = end
    if start < len(words):
        lines[-1] = fitted(lines[-1], of_font, width, force_ellipsis=True)
    return lines


def fitted(text: str, of_font: Any, width: int, *, force_ellipsis: bool = False) -> str:
    """``text`` as it fits in ``width``: cut, with an ellipsis, when it does not (or ``force_ellipsis``)."""
    if not force_ellipsis and text_width(text, of_font) <= width:
        return text
    cut = text[: len(text) if len(text) < 200 else 200]  # no line holds more; a longer cut is slow
    while cut and text_width(cut.rstrip() + ELLIPSIS, of_font) > width:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def logo_image(data: bytes, accent: str) -> Any:
    """The logo at LOGO_HEIGHT pixels high, on the accent where it is transparent, in RGB."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        mark = image.convert("RGBA")
    scale = LOGO_HEIGHT / mark.height
    mark = mark.resize((max(1, round(mark.width * scale)), LOGO_HEIGHT), Image.Resampling.LANCZOS)
    ground = Image.new("RGBA", mark.size, accent)
    return Image.alpha_composite(ground, mark).convert("RGB")
