"""Pictures from content/images/: checked before they are published (nothing else from content is), and
shown at the sizes a screen needs.

A raster image must be what its name says, as Pillow reads it; an SVG must keep to a safe subset (shapes,
text, gradients, filters; no script, event handler, foreign object, outside link or style sheet), or it
is refused at its line. Either is published byte for byte as it is: nothing is rewritten.

A JPEG, PNG or WebP picture that a page shows is also resized (``resized_pictures``) to the widths of
RESIZED_WIDTHS below its own, in its format and as WebP, and pages show it through ``picture_html``: a
``<picture>`` with ``srcset``, ``sizes``, its width and height (no layout shift), lazy loading below the
fold. The resized copies are outputs of the build's plan, keyed by the picture's digest, width and format.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from .errors import BuildError
from .load import Asset
from .model import Site

IMAGES_FOLDER = "content/images"
# The name's ending (lowercased) -> the format Pillow must find in the file.
RASTER_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".avif": "AVIF",
}
NAME_FOR_FORMAT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "AVIF": ".avif"}
PICTURE_ENDINGS = ", ".join([*RASTER_FORMATS, ".svg"])

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
# What drawing programs keep in an SVG for themselves; browsers do nothing with it.
EDITOR_NAMESPACES = frozenset(
    {
        "http://www.inkscape.org/namespaces/inkscape",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://web.resource.org/cc/",
        "http://ns.adobe.com/AdobeIllustrator/10.0/",
        "http://ns.adobe.com/Graphs/1.0/",
        "http://ns.adobe.com/SaveForWeb/1.0/",
        "http://ns.adobe.com/Extensibility/1.0/",
        "http://www.bohemiancoding.com/sketch/ns",
    }
)
# The SVG elements that draw, and nothing that runs, loads or embeds (script, foreignObject, image, a,
# iframe, feImage) or changes attributes while shown (animate, set).
SVG_ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "metadata",
        "switch",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "linearGradient",
        "radialGradient",
        "stop",
        "pattern",
        "clipPath",
        "mask",
        "marker",
        "style",
        "filter",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    ]
)
LINK_ATTRIBUTES = frozenset({"href", "src"})
# In style: a url( that is not a reference inside the file, an import, or script.
UNSAFE_STYLE = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import|expression\(|javascript:", re.IGNORECASE)


def check_images(assets: tuple[Asset, ...]) -> list[BuildError]:
    """A problem for each file of content/images/ that may not be published."""
    errors = []
    for asset in assets:
        if asset.path.is_relative_to(IMAGES_FOLDER):
            try:
                check_image(asset.path, asset.data)
            except BuildError as error:
                errors.append(error)
    return errors


def check_image(shown: Path, data: bytes) -> None:
    ending = shown.suffix.lower()
    if RESIZED_NAME.search(shown.name.lower()):
        raise BuildError(
            shown,
            None,
            "names ending in a width (.960w.jpg) are kept for the resized copies the build makes",
            f"rename it, for example to {RESIZED_NAME.sub('', shown.name)}{ending}",
        )
    if ending == ".svg":
        check_svg(shown, data)
    elif ending in RASTER_FORMATS:
        check_raster(shown, data, RASTER_FORMATS[ending])
    else:
        raise BuildError(
            shown,
            None,
            "only pictures are published from content/images/, and this is not one",
            f"move this file out of content/images/ (pictures end in {PICTURE_ENDINGS})",
        )


def check_raster(shown: Path, data: bytes, expected: str) -> None:
    from PIL import Image

    found: str | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                found = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BuildError(
            shown,
            None,
            f"this picture is too large to publish (more than {Image.MAX_IMAGE_PIXELS:,} pixels)",
            "make it smaller: a few thousand pixels a side is plenty on any screen",
        ) from None
    except Exception:  # Pillow reports a damaged or foreign file in many ways: it is not a picture
        raise BuildError(
            shown,
            None,
            f"this is not a {expected} picture, or it is damaged"
            if found is None
            else f"this {found} picture is damaged",
            "export it again from your photo or drawing program",
        ) from None
    if found != expected:
        raise BuildError(
            shown,
            None,
            f"this is a {found} picture, not the {expected} its name says",
            f"rename it to end in {NAME_FOR_FORMAT.get(found or '', 'what it is')}",
        )


def check_svg(shown: Path, data: bytes) -> None:
    from lxml import etree

    # No entities expanded, no outside file or network read: the file is checked as it is written.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise BuildError(
            shown, error.lineno or None, f"this SVG is not well-formed XML: {error.msg}", SVG_HINT
        ) from None
    declared = root.getroottree().docinfo.internalDTD
    if declared is not None and any(True for _ in declared.entities()):
        raise unsafe_svg(shown, 1, "it declares entities (<!ENTITY …>)")
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise unsafe_svg(shown, root.sourceline, "it is not an SVG drawing (its first element is not <svg>)")
    around = [*root.itersiblings(preceding=True), *root.itersiblings()]
    for node in [*around, *root.iter()]:
        if not isinstance(node.tag, str):
            if node.tag is etree.Comment:
                continue
            what = "a processing instruction" if node.tag is etree.PI else "an entity"
            raise unsafe_svg(shown, node.sourceline, f"it has {what}")
        check_svg_element(shown, node)


SVG_HINT = (
    "an SVG may only draw: export it again as plain SVG, without scripts, links or embedded HTML, "
    "or use a PNG"
)


def unsafe_svg(shown: Path, line: int | None, problem: str) -> BuildError:
    return BuildError(shown, line, f"this SVG cannot be published: {problem}", SVG_HINT)


def check_svg_element(shown: Path, element: object) -> None:
    namespace, name = split_name(element.tag)  # type: ignore[attr-defined]
    line = element.sourceline  # type: ignore[attr-defined]
    if namespace == SVG_NAMESPACE:
        if name not in SVG_ELEMENTS:
            raise unsafe_svg(shown, line, f"<{name}> is not allowed")
        if name == "style" and UNSAFE_STYLE.search(element.text or ""):  # type: ignore[attr-defined]
            raise unsafe_svg(shown, line, "its style sheet loads or runs something")
    elif namespace not in EDITOR_NAMESPACES:
        raise unsafe_svg(shown, line, f"<{name}> from {namespace or 'no namespace'} is not SVG")
    for attribute, value in element.attrib.items():  # type: ignore[attr-defined]
        check_svg_attribute(shown, line, attribute, value)


def check_svg_attribute(shown: Path, line: int, attribute: str, value: str) -> None:
    namespace, name = split_name(attribute)
    if namespace in EDITOR_NAMESPACES or namespace == XML_NAMESPACE:
        return
    if namespace not in ("", XLINK_NAMESPACE):
        raise unsafe_svg(shown, line, f"the attribute {name} from {namespace} is not SVG")
    if name.lower().startswith("on"):
        raise unsafe_svg(shown, line, f"it has an event handler ({name}), which runs script")
    if name in LINK_ATTRIBUTES and not value.strip().startswith("#"):
        raise unsafe_svg(shown, line, f"it links outside the drawing ({name}={value!r})")
    if UNSAFE_STYLE.search(value):
        raise unsafe_svg(shown, line, f"the attribute {name} loads or runs something")


def split_name(tag: str) -> tuple[str, str]:
    """'{namespace}name' -> (namespace, name); a name without a namespace has ''."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


# Widths a picture is resized to (those below its own), in CSS pixels at one or two device pixels per
# pixel: 240 for an author's photo, 480 for a phone, 960 for a phone's or a laptop's column at 2x, 1600
# for the widest lead image at 2x. A picture wider than the last is not shown at its own width.
RESIZED_WIDTHS = (240, 480, 960, 1600)
# The format a picture is resized in, by its own: its own, and WebP beside it (a quarter to a third
# smaller at the same quality). GIF (perhaps animated), AVIF (already small) and SVG are shown as they are.
RESIZED_FORMATS = {"JPEG": ("JPEG", "WEBP"), "PNG": ("PNG", "WEBP"), "WEBP": ("WEBP",)}
# Encoder settings: each gives the same bytes for the same pixels, run after run (the resized copies
# carry no metadata, so a photo's camera and place are not published twice).
JPEG_QUALITY = 82
WEBP_QUALITY = 80
# Method 2 encodes a 1600-pixel photo in half the time of the default 4, a few per cent larger.
WEBP_METHOD = 2
# A resized copy's name: the picture's own, with its width ("town-hall.960w.webp").
RESIZED_NAME = re.compile(r"\.\d+w\.(?:jpg|png|webp)$")
# How wide pictures are shown (templates/assets/style.css): the column of text is 40rem (18px a rem)
# at most, inside 1rem of margin each side; a lead image fills the 46rem inside .wrap.
BODY_SIZES = "(min-width: 46rem) 40rem, calc(100vw - 2rem)"
LEAD_SIZES = "(min-width: 50rem) 46rem, calc(100vw - 2rem)"
PHOTO_SIZES = "6rem"
# EXIF orientations that turn a picture on its side: its width and height are swapped when shown.
SIDEWAYS_ORIENTATIONS = frozenset({5, 6, 7, 8})
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Picture:
    """A picture of content/images/, as pages show it."""

    url_path: str  # "/images/town-hall.jpg"
    source_path: Path  # content/images/town-hall.jpg
    image_format: str  # "JPEG", "PNG", "GIF", "WEBP", "AVIF" or "SVG"
    width: int  # as shown (turned as its EXIF orientation says); 0 for an SVG
    height: int
    digest: str  # of its bytes

    @property
    def widths(self) -> tuple[int, ...]:
        """The widths it is shown at: each of RESIZED_WIDTHS below its own, and its own when not wider."""
        if self.image_format not in RESIZED_FORMATS:
            return ()
        below = tuple(width for width in RESIZED_WIDTHS if width < self.width)
        return below + ((self.width,) if self.width <= RESIZED_WIDTHS[-1] else ())

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))


@dataclass(frozen=True)
class Resized:
    """One resized copy of a picture: an output of the build."""

    output_path: str  # "images/town-hall.960w.webp"
    picture: Picture
    width: int
    image_format: str

    @property
    def key(self) -> str:
        """Names everything the copy is made from (the encoders' settings are the generator's code)."""
        return hashlib.sha256(f"{self.picture.digest}:{self.width}:{self.image_format}".encode()).hexdigest()


def measure_pictures(assets: tuple[Asset, ...]) -> dict[str, Picture]:
    """Every picture of content/images/ by its site path, with its size (read from its header only).
    The pictures have passed check_images."""
    from PIL import Image

    pictures = {}
    for asset in assets:
        if not asset.path.is_relative_to(IMAGES_FOLDER):
            continue
        digest = hashlib.sha256(asset.data).hexdigest()
        if asset.path.suffix.lower() == ".svg":
            pictures[asset.url_path] = Picture(asset.url_path, asset.path, "SVG", 0, 0, digest)
            continue
        with Image.open(io.BytesIO(asset.data)) as image:
            width, height = image.size
            image_format = image.format or ""
            if image.getexif().get(EXIF_ORIENTATION) in SIDEWAYS_ORIENTATIONS:
                width, height = height, width
        pictures[asset.url_path] = Picture(asset.url_path, asset.path, image_format, width, height, digest)
    return pictures


def resized_copies(picture: Picture) -> list[Resized]:
    """The copies of ``picture`` the build makes: every width it is shown at, in each of its formats,
    but its own width in its own format, which is the picture itself."""
    stem = picture.url_path.lstrip("/").rsplit(".", 1)[0]
    return [
        Resized(f"{stem}.{width}w{NAME_FOR_FORMAT[image_format]}", picture, width, image_format)
        for image_format in RESIZED_FORMATS.get(picture.image_format, ())
        for width in picture.widths
        if not (width == picture.width and image_format == picture.image_format)
    ]


def pictures_shown_in(sites: Sequence[Site], base_path: str) -> set[str]:
    """The site path of every picture a page of ``sites`` (the site in each of its languages) shows: the
    op-eds' photos and lead images and the pictures in every body."""
    articles = [article for site in sites for article in site.articles]
    shown = {picture for article in articles for picture in (article.photo, article.image) if picture}
    for body in (
        *(article.body_html for article in articles),
        *(page.body_html for site in sites for page in site.pages),
        *(chapter.intro_html for site in sites for chapter in site.chapters),
    ):
        shown |= pictures_shown(body, base_path)
    return shown


def resized_outputs(assets: tuple[Asset, ...], shown: set[str]) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """Each resized copy of the pictures ``shown`` (by site path), by output path, with its key and its
    producer. The copies of one picture are made together (decoded once), when the first is asked for."""
    pictures = measure_pictures(assets)
    data = {asset.url_path: asset.data for asset in assets}
    made = {}
    for url_path in sorted(shown & pictures.keys()):
        copies = resized_copies(pictures[url_path])
        make_all = functools.cache(functools.partial(resized_pictures, data[url_path], copies))
        made |= {
            copy.output_path: (copy.key, functools.partial(taken, make_all, copy.output_path))
            for copy in copies
        }
    return made


def taken(make_all: Callable[[], dict[str, bytes]], path: str) -> bytes:
    """One file of several made together, let go of once taken."""
    return make_all().pop(path)


def resized_pictures(data: bytes, copies: list[Resized]) -> dict[str, bytes]:
    """The copies of the picture ``data`` (resized_copies), by output path: decoded once, each width
    resized from the whole picture. A picture whose pixels cannot be read (a file cut short) is a
    BuildError at the picture."""
    from PIL import Image, ImageOps

    if not copies:
        return {}
    picture = copies[0].picture
    widest = max(copy.width for copy in copies)
    try:
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG decodes at a half, quarter or eighth of its size when that is still large enough
            # (asked for a square, as the picture may be turned on its side when shown).
            largest = max(widest, picture.height_at(widest))
            image.draft("RGB", (largest, largest))
            # An RGB picture's colour profile goes with its copies; a CMYK one's would be wrong for them.
            icc_profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
            shown = ImageOps.exif_transpose(image)
            if shown.mode not in ("RGB", "RGBA"):
                shown = shown.convert("RGBA" if "A" in shown.mode or "transparency" in shown.info else "RGB")
            shown.load()
    except Exception:  # as check_raster: Pillow says "cannot read" in many ways
        raise BuildError(
            picture.source_path,
            None,
            f"this {picture.image_format} picture is damaged: its pixels cannot be read",
            "export it again from your photo or drawing program",
        ) from None
    made = {}
    for width in sorted({copy.width for copy in copies}, reverse=True):
        # reducing_gap: a box filter first down to three times the size, then Lanczos; as sharp to the
        # eye, and a quarter of the time for the smallest widths.
        small = shown.resize((width, picture.height_at(width)), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for copy in copies:
            if copy.width == width:
                made[copy.output_path] = encoded(small, copy.image_format, icc_profile)
    return made


def encoded(image: Any, image_format: str, icc_profile: bytes | None) -> bytes:
    """``image`` in ``image_format``, with its colour profile and no other metadata."""
    out = io.BytesIO()
    options: dict[str, object] = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        image.convert("RGB").save(
            out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **options
        )
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, **options)
    else:
        image.save(out, "PNG", **options)
    return out.getvalue()


def picture_html(
    picture: Picture,
    alt: str,
    *,
    base_path: str,
    sizes: str,
    lazy: bool,
    css_class: str = "",
    title: str = "",
) -> Markup:
    """``<picture>`` (or ``<img>``) showing ``picture``: WebP to browsers that take it, the smallest copy
    wide enough for the reader's screen (``sizes`` says how wide it is shown), its width and height so
    that the page does not move as it loads, and lazy loading unless it is near the top of the page."""
    # Addresses are percent-encoded: a space or a comma in a name would split a srcset's entries.
    own = quote(base_path + picture.url_path)
    attributes = [f'alt="{escape(alt)}"']
    if title:
        attributes.append(f'title="{escape(title)}"')
    if css_class:
        attributes.append(f'class="{escape(css_class)}"')
    if picture.width:
        attributes += [f'width="{picture.width}"', f'height="{picture.height}"']
    attributes += ['loading="lazy"' if lazy else 'fetchpriority="high"', 'decoding="async"']
    widths = picture.widths
    if not widths:  # a GIF, an AVIF or an SVG: as it is
        return Markup(f'<img src="{escape(own)}" {" ".join(attributes)}>')
    copies = resized_copies(picture)

    def srcset(image_format: str) -> str:
        candidates = [
            (quote(f"{base_path}/{copy.output_path}"), copy.width)
            for copy in copies
            if copy.image_format == image_format
        ]
        if image_format == picture.image_format and picture.width in widths:
            candidates.append((own, picture.width))
        return ", ".join(f"{escape(url)} {width}w" for url, width in candidates)

    # The fallback: the widest it is shown at, in its own format (the picture itself, unless wider).
    fallback = own
    if picture.width not in widths:
        widest = [copy for copy in copies if copy.image_format == picture.image_format][-1]
        fallback = quote(f"{base_path}/{widest.output_path}")
    image = (
        f'<img src="{escape(fallback)}" srcset="{srcset(picture.image_format)}" sizes="{escape(sizes)}" '
        f"{' '.join(attributes)}>"
    )
    if picture.image_format == "WEBP":
        return Markup(image)
    webp = f'<source type="image/webp" srcset="{srcset("WEBP")}" sizes="{escape(sizes)}">'
    return Markup(f"<picture>{webp}{image}</picture>")


BODY_IMAGE = re.compile(r"<img ([^>]*?)\s*/?>")
ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')


def responsive_images(
    body_html: str, pictures: dict[str, Picture], *, base_path: str, lazy_from: int
) -> Markup:
    """A converted Markdown body with each picture of content/images/ shown through picture_html;
    pictures before the ``lazy_from``-th (counting from 0) load at once, the others as they are neared."""
    if "<img " not in body_html:
        return Markup(body_html)
    number = 0

    def shown(match: re.Match[str]) -> str:
        nonlocal number
        attributes = {name: html.unescape(value) for name, value in ATTRIBUTE.findall(match.group(1))}
        src = attributes.get("src", "")
        picture = pictures.get(src.removeprefix(base_path) if src.startswith(base_path + "/") else "")
        if picture is None:
            return match.group(0)
        number += 1
        return picture_html(
            picture,
            attributes.get("alt", ""),
            base_path=base_path,
            sizes=BODY_SIZES,
            lazy=number > lazy_from,
            title=attributes.get("title", ""),
        )

    return Markup(BODY_IMAGE.sub(shown, body_html))


def pictures_shown(body_html: str, base_path: str) -> set[str]:
    """The site paths of the pictures of content/images/ a converted body shows."""
    if "<img " not in body_html:
        return set()
    found = set()
    for match in BODY_IMAGE.finditer(body_html):
        src = html.unescape(dict(ATTRIBUTE.findall(match.group(1))).get("src", ""))
        if src.startswith(base_path + "/images/"):
            found.add(src.removeprefix(base_path))
    return found


def picture_name(value: str) -> str:
    """A front matter's picture ("town-hall.jpg", "images/town-hall.jpg", "../images/town-hall.jpg") as
    its site path, "/images/town-hall.jpg"."""
    path = PurePosixPath(value.strip())
    parts = path.parts
    if "images" in parts:
        parts = parts[len(parts) - 1 - parts[::-1].index("images") + 1 :]
    return "/images/" + "/".join(part for part in parts if part not in ("/", "..", "."))
