"""The campaign's brand (site.yaml's ``brand``): its colours checked for contrast in every pairing the
theme makes with them, the style sheet that gives them to the pages, and the logo's size.

The pages' Content-Security-Policy forbids inline styles, so the colours reach them as a small style
sheet of custom properties, ``/assets/brand.css``, planned and kept like every other output. Contrast is
WCAG 2.2's: relative luminance of sRGB colours, text at 4.5:1 and parts of the interface (borders,
rules) at 3:1. A colour that fails is refused with the ratio it reached and the nearest colour of the
same hue (HSL lightness moved, hue and saturation kept) that passes every pairing.
"""

from __future__ import annotations

import colorsys
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError
from .load import Asset
from .model import Brand, Imprint, SiteConfig

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
TEXT_CONTRAST = 4.5  # WCAG 2.2 AA, 1.4.3: normal text
INTERFACE_CONTRAST = 3.0  # WCAG 2.2 AA, 1.4.11: borders and rules that mark out parts of the page
BRAND_STYLESHEET = "/assets/brand.css"
# The theme's own colours (templates/assets/style.css) that the accent is shown with or on.
LIGHT_BACKGROUND = "#fdfcfa"
LIGHT_PANEL = "#f2efe9"  # the header and footer
LIGHT_ON_ACCENT = "#ffffff"  # the text of buttons and of the skip link
DARK_BACKGROUND = "#16161a"
DARK_PANEL = "#24242a"
DARK_ON_ACCENT = DARK_BACKGROUND
LIGHTNESS_STEP = 0.005  # how far apart the lightnesses tried for a suggested colour are


@dataclass(frozen=True)
class Pairing:
    """Two colours the theme shows together: ``accent`` stands for the brand's colour."""

    what: str  # as a campaigner would see it: "links on the page background"
    foreground: str
    background: str
    minimum: float


ACCENT = "accent"
LIGHT_PAIRINGS = (
    Pairing("links and accent text on the page background", ACCENT, LIGHT_BACKGROUND, TEXT_CONTRAST),
    Pairing("links on the header and footer", ACCENT, LIGHT_PANEL, TEXT_CONTRAST),
    Pairing("white text on buttons of the accent colour", LIGHT_ON_ACCENT, ACCENT, TEXT_CONTRAST),
    Pairing("the accent rule under the header", ACCENT, LIGHT_PANEL, INTERFACE_CONTRAST),
    Pairing("accent borders and outlines on the page", ACCENT, LIGHT_BACKGROUND, INTERFACE_CONTRAST),
)
DARK_PAIRINGS = (
    Pairing("links and accent text on the dark page background", ACCENT, DARK_BACKGROUND, TEXT_CONTRAST),
    Pairing("links on the dark header and footer", ACCENT, DARK_PANEL, TEXT_CONTRAST),
    Pairing("dark text on buttons of the accent colour", DARK_ON_ACCENT, ACCENT, TEXT_CONTRAST),
    Pairing("the accent rule under the dark header", ACCENT, DARK_PANEL, INTERFACE_CONTRAST),
    Pairing("accent borders and outlines on the dark page", ACCENT, DARK_BACKGROUND, INTERFACE_CONTRAST),
)


def channels(colour: str) -> tuple[int, int, int]:
    """'#8b1a2b' -> (139, 26, 43)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def hex_colour(red: float, green: float, blue: float) -> str:
    """Channels from 0 to 1 as '#rrggbb'."""
    return "#" + "".join(f"{round(max(0.0, min(1.0, value)) * 255):02x}" for value in (red, green, blue))


def linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (linear(channel) for channel in channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two colours, from 1 (the same) to 21 (black and white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class Failure:
    pairing: Pairing
    ratio: float


def failures(accent: str, pairings: tuple[Pairing, ...]) -> list[Failure]:
    """Each pairing ``accent`` does not reach the contrast of, with the ratio it does reach."""
    found = []
    for pairing in pairings:
        foreground = accent if pairing.foreground == ACCENT else pairing.foreground
        background = accent if pairing.background == ACCENT else pairing.background
        ratio = contrast_ratio(foreground, background)
        if ratio < pairing.minimum:
            found.append(Failure(pairing, ratio))
    return found


def with_lightness(colour: str, lightness: float) -> str:
    hue, _, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in channels(colour)))
    return hex_colour(*colorsys.hls_to_rgb(hue, lightness, saturation))


def nearest_passing(colour: str, pairings: tuple[Pairing, ...]) -> str:
    """The colour of the same hue and saturation, nearest in lightness to ``colour``, that passes every
    pairing (``colour`` itself when it does). Black passes every light pairing and white every dark one,
    so there always is one."""
    if not failures(colour, pairings):
        return colour
    lightness = colorsys.rgb_to_hls(*(channel / 255 for channel in channels(colour)))[1]
    steps = round(1 / LIGHTNESS_STEP)
    for distance in range(1, steps + 1):
        for candidate in (lightness - distance * LIGHTNESS_STEP, lightness + distance * LIGHTNESS_STEP):
            if 0 <= candidate <= 1:
                tried = with_lightness(colour, candidate)
                if not failures(tried, pairings):
                    return tried
    raise AssertionError(f"no lightness of {colour} passes")  # black or white always does


def dark_accent(brand: Brand) -> str:
    """The accent of the dark scheme: ``accent_dark`` when given, else the accent made light enough."""
    return brand.accent_dark or nearest_passing(brand.accent, DARK_PAIRINGS)


def contrast_problem(key: str, colour: str, pairings: tuple[Pairing, ...]) -> tuple[str, str] | None:
    """What is wrong with ``colour`` as the accent of a scheme (site.yaml's ``key``), and a hint naming
    the nearest colour that passes; None when it passes every pairing."""
    found = failures(colour, pairings)
    if not found:
        return None
    worst = min(found, key=lambda failure: failure.ratio / failure.pairing.minimum)
    suggestion = nearest_passing(colour, pairings)
    lighter = relative_luminance(suggestion) > relative_luminance(colour)
    problem = (
        f"the colour {colour} is too {'dark' if lighter else 'light'}: {worst.pairing.what} would have a "
        f"contrast of {worst.ratio:.2f}:1, below the {worst.pairing.minimum:g}:1 that WCAG 2.2 AA asks for"
    )
    return (
        problem,
        f'the nearest colour of the same hue that passes is {suggestion}: write  {key}: "{suggestion}"',
    )


def css_string(text: str) -> str:
    """``text`` as a CSS string: quotes, backslashes, braces, angle brackets, line breaks and control
    characters written as escapes, so that nothing in site.yaml can end the string or the rule."""
    escaped = []
    for character in text:
        if character in '"\\<>{}' or ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\{ord(character):x} ")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def brand_stylesheet(brand: Brand, imprint: Imprint) -> bytes:
    """The style sheet of site.yaml's brand: the accent colours of both schemes as custom properties,
    for the screen (print keeps style.css's black), and the imprint at the foot of every printed page
    (UK rules ask printed material to carry it)."""
    dark = dark_accent(brand)
    return (
        "/* Made by the build from site.yaml's brand and imprint: edit those, not this file. */\n"
        "@media screen {\n"
        f"  :root {{ --accent: {brand.accent}; --accent-text: {LIGHT_ON_ACCENT}; --link: {brand.accent}; }}\n"
        "}\n"
        "@media screen and (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {dark}; --accent-text: {DARK_ON_ACCENT}; --link: {dark}; }}\n"
        "}\n"
        "@page {\n"
        f"  @bottom-left {{ content: {css_string(imprint.text(printed=True))}; "
        "font: 8pt system-ui, sans-serif; color: #333; vertical-align: top; }\n"
        "}\n"
    ).encode()


def with_brand_assets(assets: tuple[Asset, ...], config: SiteConfig) -> tuple[Asset, ...]:
    """The site's assets and the files made from site.yaml that the pages link as assets (the brand's
    style sheet); a file of the campaign's own at that address is refused rather than replaced."""
    for asset in assets:
        if asset.url_path == BRAND_STYLESHEET:
            raise BuildError(
                asset.path,
                None,
                f"{BRAND_STYLESHEET.lstrip('/')} is the name of the style sheet the build makes from site.yaml's brand",
                "give your file another name, or put its rules in templates/assets/style.css",
            )
    return (
        *assets,
        Asset(Path("site.yaml"), BRAND_STYLESHEET, brand_stylesheet(config.brand, config.imprint)),
    )


SVG_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*")


def logo_size(name: str, data: bytes) -> tuple[int, int] | None:
    """A logo's width and height in pixels (an SVG's from its width and height, else its viewBox); None
    when an SVG says neither. The picture is one images.py has already accepted."""
    if name.lower().endswith(".svg"):
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(data, parser)
        width, height = (SVG_LENGTH.fullmatch(root.get(side) or "") for side in ("width", "height"))
        if width and height:
            return max(1, round(float(width.group(1)))), max(1, round(float(height.group(1))))
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            box_width, box_height = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            return None
        return (max(1, round(box_width)), max(1, round(box_height))) if box_width > 0 < box_height else None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size
