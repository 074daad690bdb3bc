"""Pictures from content/images/, checked before they are published: nothing else from content is.

A raster image must be what its name says, as Pillow reads it; an SVG must keep to a safe subset (shapes,
text, gradients, filters; no script, event handler, foreign object, outside link or style sheet), or it
is refused at its line. Either is published byte for byte as it is: nothing is rewritten.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from .errors import BuildError
from .load import Asset

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
