"""site.yaml's brand: contrast maths, the colour suggested for one that fails, the brand's style sheet and
the logo on every page, and a rebrand reaching every page."""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, SITE_YAML, picture, read_tree, run

from manifesto.brand import (
    DARK_BACKGROUND,
    DARK_PAIRINGS,
    DARK_PANEL,
    LIGHT_BACKGROUND,
    LIGHT_PAIRINGS,
    LIGHT_PANEL,
    LIGHTNESS_STEP,
    Pairing,
    channels,
    contrast_ratio,
    css_string,
    dark_accent,
    failures,
    nearest_passing,
    with_lightness,
)
from manifesto.model import Brand

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">'
    '<rect width="120" height="40" fill="#1d4d2b"/></svg>\n'
)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#000000", 21.0),
        ("#777777", "#ffffff", 4.48),
        ("#8b1a2b", "#8b1a2b", 1.0),
        ("#1d4ed8", "#ffffff", 6.70),
    ],
)
def test_contrast_ratio_is_wcags(first: str, second: str, ratio: float) -> None:
    assert round(contrast_ratio(first, second), 2) == ratio


def test_a_ratio_just_below_the_minimum_fails_and_is_reported_as_measured() -> None:
    # White on #777777 is 4.48:1, which WCAG does not round up to 4.5.
    on_accent = [
        failure for failure in failures("#777777", LIGHT_PAIRINGS) if failure.pairing.foreground == "#ffffff"
    ]
    assert [round(failure.ratio, 2) for failure in on_accent] == [4.48]


def hue_and_saturation(colour: str) -> tuple[float, float]:
    hue, _, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in channels(colour)))
    return hue, saturation


@pytest.mark.parametrize("colour", ["#ff8a8a", "#777777", "#ffcc00", "#3fa9f5", "#1a1a60", "#e0e0ff"])
@pytest.mark.parametrize("pairings", [LIGHT_PAIRINGS, DARK_PAIRINGS], ids=["light", "dark"])
def test_the_suggested_colour_passes_keeps_the_hue_and_is_the_nearest_that_does(
    colour: str, pairings: tuple[Pairing, ...]
) -> None:
    suggested = nearest_passing(colour, pairings)
    assert failures(suggested, pairings) == []
    if not failures(colour, pairings):
        assert suggested == colour
        return
    hue, saturation = hue_and_saturation(colour)
    new_hue, new_saturation = hue_and_saturation(suggested)
    assert abs(new_hue - hue) < 0.02 or saturation < 0.05  # greys have no hue to keep
    # No lightness nearer to the colour's own passes.
    lightness = colorsys.rgb_to_hls(*(channel / 255 for channel in channels(colour)))[1]
    suggested_lightness = colorsys.rgb_to_hls(*(channel / 255 for channel in channels(suggested)))[1]
    distance = abs(suggested_lightness - lightness)
    steps = int(distance / LIGHTNESS_STEP) - 1
    for step in range(1, steps):
        for nearer in (lightness - step * LIGHTNESS_STEP, lightness + step * LIGHTNESS_STEP):
            if 0 <= nearer <= 1:
                assert failures(with_lightness(colour, nearer), pairings), (colour, nearer)


def test_the_dark_accent_is_made_from_the_accent_unless_given() -> None:
    made = dark_accent(Brand(accent="#1d4d2b"))
    assert failures("#1d4d2b", DARK_PAIRINGS) and failures(made, DARK_PAIRINGS) == []
    assert dark_accent(Brand(accent="#1d4d2b", accent_dark="#9fd4ae")) == "#9fd4ae"


def test_the_theme_colours_the_contrast_is_checked_against_are_the_style_sheets() -> None:
    css = (REPO / "templates/assets/style.css").read_text()
    light, dark = re.findall(r"--bg: (#[0-9a-f]{6});\s*--panel: (#[0-9a-f]{6});", css)
    assert light == (LIGHT_BACKGROUND, LIGHT_PANEL)
    assert dark == (DARK_BACKGROUND, DARK_PANEL)
    # The accent is brand.css's alone: the screen's colours would otherwise override it.
    assert not re.search(r"--(accent|accent-text|link):", css.split("@media print")[0])


def test_css_strings_cannot_end_the_string_or_the_rule() -> None:
    assert (
        css_string('Jo "Bloggs"; } body { color: red') == '"Jo \\22 Bloggs\\22 ; \\7d  body \\7b  color: red"'
    )
    assert css_string("a\\b\nc</style>") == '"a\\5c b\\a c\\3c /style\\3e "'


def brand_yaml(accent: str, logo: str = "") -> str:
    return SITE_YAML + f'brand:\n  accent: "{accent}"\n' + (f"  logo: {logo}\n" if logo else "")


def html_pages(site: Path) -> dict[str, str]:
    return {
        path: data.decode()
        for path, data in read_tree(site).items()
        if path.endswith(".html") and b"<header" in data
    }


def test_the_brand_reaches_every_page_and_a_rebrand_changes_them_all(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "site.yaml": brand_yaml("#1d4d2b", "logo.svg"),
            "content/images/logo.svg": LOGO_SVG,
        }
    )
    (root / "content/images/mark.png").write_bytes(picture("PNG"))
    assert run(root) == 0
    css = (root / "_site/assets/brand.css").read_text()
    assert ":root { --accent: #1d4d2b; --accent-text: #ffffff; --link: #1d4d2b; }" in css
    dark = dark_accent(Brand(accent="#1d4d2b"))
    assert f":root {{ --accent: {dark}; --accent-text: #16161a; --link: {dark}; }}" in css
    pages = html_pages(root / "_site")
    assert {"index.html", "chapters/fair-funding/index.html", "articles/first-op-ed/index.html"} <= set(pages)
    logo = (
        '<img class="logo" src="/images/logo.svg" width="120" height="40" alt=""><span>Councils First</span>'
    )
    first_version = re.search(r'href="/assets/brand\.css\?v=(\w+)"', pages["index.html"]).group(1)  # type: ignore[union-attr]
    for path, html in pages.items():
        assert f'<link rel="stylesheet" href="/assets/brand.css?v={first_version}">' in html, path
        assert logo in html, path
        assert html.index("brand.css") < html.index("style.css"), path

    (root / "site.yaml").write_text(brand_yaml("#5b2a86", "mark.png"))
    assert run(root) == 0
    assert "--accent: #5b2a86;" in (root / "_site/assets/brand.css").read_text()
    for path, html in html_pages(root / "_site").items():
        assert f"brand.css?v={first_version}" not in html and "brand.css?v=" in html, path
        assert '<img class="logo" src="/images/mark.png" width="8" height="6" alt="">' in html, path


def test_without_a_brand_the_site_has_the_themes_colour_and_no_logo(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run(root) == 0
    assert "--accent: #8b1a2b;" in (root / "_site/assets/brand.css").read_text()
    assert 'class="logo"' not in (root / "_site/index.html").read_text()


def test_the_imprint_is_at_the_foot_of_every_printed_page_and_cannot_break_the_style_sheet(
    make_site: Callable[..., Path],
) -> None:
    promoter = 'Jo "Quote" Bloggs; } body { display: none'
    root = make_site({"site.yaml": SITE_YAML.replace("promoter: Jo Bloggs", f"promoter: '{promoter}'")})
    assert run(root) == 0
    css = (root / "_site/assets/brand.css").read_text()
    page_rule = css[css.index("@page") :]
    assert page_rule.count("{") == page_rule.count("}") == 2
    assert (
        '@bottom-left { content: "Promoted by Jo \\22 Quote\\22  Bloggs; \\7d  body \\7b  display: none, '
        in css
    )


def test_an_svg_logo_without_a_size_is_refused_at_its_line(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    unsized = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>\n'
    root = make_site({"site.yaml": brand_yaml("#1d4d2b", "logo.svg"), "content/images/logo.svg": unsized})
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "site.yaml:20: the logo logo.svg has no size\n  hint: give the drawing's <svg> a viewBox" in err


def test_a_misspelt_logo_is_refused_with_the_picture_it_may_mean(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(
        {"site.yaml": brand_yaml("#1d4d2b", "images/logos.svg"), "content/images/logo.svg": LOGO_SVG}
    )
    assert run(root) == 1
    assert (
        "site.yaml:20: no picture content/images/logos.svg for the logo\n  hint: did you mean 'logo.svg'?"
        in capsys.readouterr().err
    )
