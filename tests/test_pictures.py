"""Pictures shown at the sizes screens need, author photos and lead images, and a share card per page."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIRST_ARTICLE, SECOND_ARTICLE, read_tree, run

from manifesto.cards import CARD_HEIGHT, CARD_WIDTH, MARGIN, card_fonts, palette_png, share_card
from manifesto.memo import Memo
from manifesto.pipeline import build, printable_pages
from manifesto.render import RenderOptions

# The first op-ed with a lead image, its author's photo, and the lead image again in its body.
ILLUSTRATED = FIRST_ARTICLE.replace(
    "summary: Councils are",
    "image: town-hall.jpg\nimage_alt: Tenants outside the town hall\nphoto_credit: Jo Snap\n"
    "photo: ann.png\nsummary: Councils are",
).replace(
    "## What has changed", "![A packed council chamber](../images/town-hall.jpg)\n\n## What has changed"
)


def photo(width: int, height: int, image_format: str = "JPEG") -> bytes:
    """A picture with detail in it (a photo's encoder has work to do), made by Pillow."""
    from PIL import Image

    image = Image.effect_mandelbrot((width, height), (-2.0, -1.2, 1.0, 1.2), 64).convert("RGB")
    data = io.BytesIO()
    image.save(data, image_format)
    return data.getvalue()


def size_of(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


@pytest.fixture
def illustrated_site(make_site: Callable[..., Path]) -> Path:
    root = make_site({"content/articles/first-op-ed.md": ILLUSTRATED})
    (root / "content/images").mkdir()
    (root / "content/images/town-hall.jpg").write_bytes(photo(2400, 1500))
    (root / "content/images/ann.png").write_bytes(photo(300, 300, "PNG"))
    return root


def test_a_large_photo_is_served_resized_with_srcset_and_its_size(illustrated_site: Path) -> None:
    root = illustrated_site
    assert run(root) == 0
    site = root / "_site"
    for width in (240, 480, 960, 1600):
        for ending in ("jpg", "webp"):
            assert size_of(site / f"images/town-hall.{width}w.{ending}") == (width, width * 1500 // 2400)
    assert not list(site.glob("images/town-hall.2400w.*"))  # never its own width when wider than 1600
    assert (site / "images/town-hall.jpg").read_bytes() == (
        root / "content/images/town-hall.jpg"
    ).read_bytes()
    # The 300-pixel photo is never made larger: 240 below it, and its own width in WebP.
    assert sorted(path.name for path in site.glob("images/ann.*")) == [
        "ann.240w.png",
        "ann.240w.webp",
        "ann.300w.webp",
        "ann.png",
    ]
    html = (site / "articles/first-op-ed/index.html").read_text()
    lead, body = re.findall(r"<picture>.*?</picture>", html)[:2]
    webp = ", ".join(f"/images/town-hall.{width}w.webp {width}w" for width in (240, 480, 960, 1600))
    jpeg = ", ".join(f"/images/town-hall.{width}w.jpg {width}w" for width in (240, 480, 960, 1600))
    assert f'<source type="image/webp" srcset="{webp}"' in lead
    assert f'<img src="/images/town-hall.1600w.jpg" srcset="{jpeg}" sizes="' in lead
    assert 'alt="Tenants outside the town hall" width="2400" height="1500"' in lead
    assert 'fetchpriority="high" decoding="async"' in lead and "lazy" not in lead  # the lead loads at once
    assert 'alt="A packed council chamber" width="2400" height="1500" loading="lazy" decoding="async"' in body
    assert '<figcaption class="credit">Photo: Jo Snap</figcaption>' in html
    author_photo = (
        'srcset="/images/ann.240w.png 240w, /images/ann.png 300w" sizes="6rem" alt="" class="author-photo"'
    )
    assert author_photo in html
    assert author_photo in (site / "authors/ann-example/index.html").read_text()


def test_the_one_page_platform_shows_resized_pictures_and_its_printed_page_the_originals(
    illustrated_site: Path,
) -> None:
    root = illustrated_site
    assert run(root) == 0
    online = (root / "_site/manifesto/index.html").read_text()
    assert '<img src="/images/town-hall.1600w.jpg" srcset="' in online
    assert 'loading="lazy"' in online
    _, printed = printable_pages(root, RenderOptions(), Memo())
    page = printed["manifesto/index.html"].decode()
    assert '<img alt="A packed council chamber" src="/images/town-hall.jpg"' in page
    assert "srcset" not in page and "images/town-hall.jpg" in printed


def test_pictures_and_cards_are_byte_identical_in_two_clean_builds(
    illustrated_site: Path, tmp_path: Path
) -> None:
    root = illustrated_site
    assert run(root, "build", "--out", str(tmp_path / "one"), "--no-cache") == 0
    assert run(root, "build", "--out", str(tmp_path / "two"), "--no-cache") == 0
    one, two = read_tree(tmp_path / "one"), read_tree(tmp_path / "two")
    assert "images/town-hall.960w.webp" in one and "cards/articles/first-op-ed.png" in one
    assert one == two


def test_a_rebuild_after_one_edit_encodes_no_picture_and_draws_only_that_op_eds_card(
    illustrated_site: Path,
) -> None:
    root = illustrated_site
    first = build(root, root / "_site", RenderOptions())
    assert {"images/town-hall.960w.webp", "cards/articles/second-op-ed.png"} <= set(first.made)
    second_op_ed = root / "content/articles/second-op-ed.md"
    second_op_ed.write_text(
        second_op_ed.read_text().replace("title: A second voice", "title: A louder voice")
    )
    after_title = build(root, root / "_site", RenderOptions()).made
    assert [path for path in after_title if path.startswith(("cards/", "images/"))] == [
        "cards/articles/second-op-ed.png"
    ]
    second_op_ed.write_text(
        second_op_ed.read_text().replace("for fair funding.", "for fair funding, loudly.")
    )
    after_body = build(root, root / "_site", RenderOptions()).made
    assert "articles/second-op-ed/index.html" in after_body
    assert not [path for path in after_body if path.startswith(("cards/", "images/"))]


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        ("content/images/town-hall.jpg", None, None),  # another photo under the same name
        ("content/articles/first-op-ed.md", "photo: ann.png\n", ""),
        ("content/articles/first-op-ed.md", "image: town-hall.jpg", "image: ann.png"),
        ("content/chapters/fair-funding.md", "summary: Councils need", "summary: Councils want"),
    ],
)
def test_cached_builds_equal_clean_builds_after_picture_and_card_edits(
    illustrated_site: Path, tmp_path: Path, relative: str, old: str | None, new: str | None
) -> None:
    root = illustrated_site
    assert run(root) == 0
    path = root / relative
    if old is None:
        path.write_bytes(photo(1800, 1200))
    else:
        path.write_text(path.read_text().replace(old, new or "", 1))
    assert run(root) == 0
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_two_op_eds_have_two_different_share_cards_named_with_their_size_and_text(
    make_site: Callable[..., Path],
) -> None:
    from PIL import Image

    root = make_site()
    assert run(root) == 0
    site = root / "_site"
    first, second = (site / f"cards/articles/{slug}.png" for slug in ("first-op-ed", "second-op-ed"))
    assert first.read_bytes() != second.read_bytes()
    for card in (first, second):
        with Image.open(card) as image:
            assert (image.format, image.size) == ("PNG", (CARD_WIDTH, CARD_HEIGHT))
    html = (site / "articles/first-op-ed/index.html").read_text()
    url = "https://example.org/platform/cards/articles/first-op-ed.png"
    alt = "Op-ed: Councils are the last line of defence (Ann Example). Councils First"
    for tag in (
        f'<meta property="og:image" content="{url}">',
        '<meta property="og:image:width" content="1200">',
        '<meta property="og:image:height" content="630">',
        f'<meta property="og:image:alt" content="{alt}">',
        f'<meta name="twitter:image" content="{url}">',
        f'<meta name="twitter:image:alt" content="{alt}">',
    ):
        assert tag in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["image"] == {"@type": "ImageObject", "url": url, "width": 1200, "height": 630, "caption": alt}
    chapter = (site / "chapters/fair-funding/index.html").read_text()
    assert "https://example.org/platform/cards/chapters/fair-funding.png" in chapter
    # A proposal has its own address on its chapter's page, and its own card.
    assert '<li id="proposal-1">Fund councils' in chapter
    assert 'href="/cards/chapters/fair-funding-proposal-1.png"' in chapter
    assert (site / "cards/chapters/fair-funding-proposal-1.png").read_bytes() != first.read_bytes()


def test_a_card_keeps_any_title_inside_its_margins() -> None:
    from PIL import Image

    fonts = card_fonts()
    long_title = "Councils " + "supercalifragilisticexpialidocious " * 12 + "Unbreakable" * 30
    data = share_card(
        long_title, "A byline " * 40, "A site with a name far too long " * 5, fonts, kicker="Op-ed"
    )
    with Image.open(io.BytesIO(data)) as card:
        pixels = card.convert("RGB")
    background = pixels.getpixel((0, 0))
    # Nothing is drawn in the right margin (a few pixels of a glyph's overhang aside) nor in the bottom one.
    right = pixels.crop((CARD_WIDTH - MARGIN + 8, 0, CARD_WIDTH, CARD_HEIGHT))
    bottom = pixels.crop((0, CARD_HEIGHT - MARGIN // 2, CARD_WIDTH, CARD_HEIGHT))
    assert right.getcolors() == [(right.width * right.height, background)]
    assert bottom.getcolors() == [(bottom.width * bottom.height, background)]
    assert share_card(long_title, "x", "y", fonts) == share_card(long_title, "x", "y", fonts)


def test_a_palette_png_is_read_back_by_pillow_with_its_pixels_and_colours() -> None:
    from PIL import Image

    indices = Image.effect_noise((301, 7), 90).point(lambda value: value % 5)  # rows of an odd width
    palette = (0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 250)
    data = palette_png(indices, palette)
    with Image.open(io.BytesIO(data)) as checked:
        checked.verify()  # every chunk's CRC
    with Image.open(io.BytesIO(data)) as read:
        assert (read.format, read.mode, read.size) == ("PNG", "P", (301, 7))
        assert read.tobytes() == indices.tobytes()
        assert tuple(read.getpalette() or ()) == palette
        assert read.info == {}  # no time, text or other chunk
    assert palette_png(indices, palette) == data


def test_a_damaged_picture_that_a_page_shows_is_reported_and_the_last_site_kept(
    illustrated_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = illustrated_site
    assert run(root) == 0
    before = read_tree(root / "_site")
    whole = photo(1000, 800)
    (root / "content/images/town-hall.jpg").write_bytes(whole[: len(whole) // 2])
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert (
        "content/images/town-hall.jpg: this JPEG picture is damaged: its pixels cannot be read\n"
        "  hint: export it again from your photo or drawing program"
    ) in err
    assert "Traceback" not in err
    assert read_tree(root / "_site") == before


def test_a_card_shows_the_logo_it_is_given_in_its_own_colours() -> None:
    from PIL import Image

    logo = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 220, 0)).save(logo, "PNG")
    fonts = card_fonts()
    with Image.open(
        io.BytesIO(share_card("A title", "A byline", "A site", fonts, logo=logo.getvalue()))
    ) as card:
        colours = {colour for _, colour in card.convert("RGB").getcolors(256 * 256)}
    with Image.open(io.BytesIO(share_card("A title", "A byline", "A site", fonts))) as plain:
        plain_colours = {colour for _, colour in plain.convert("RGB").getcolors(256 * 256)}
    assert (255, 220, 0) in colours and (255, 220, 0) not in plain_colours
    assert (0x8B, 0x1A, 0x2B) in colours and (255, 255, 255) in plain_colours  # accent and ink by default


def test_a_photo_turned_by_its_exif_orientation_is_measured_and_resized_as_shown(
    make_site: Callable[..., Path],
) -> None:
    from PIL import Image

    body = "A second voice joins the argument for fair funding.\n\n![A tall photo](../images/tall.jpg)\n"
    root = make_site(
        {
            "content/articles/second-op-ed.md": SECOND_ARTICLE.replace(
                "A second voice joins the argument for fair funding.\n", body
            )
        }
    )
    (root / "content/images").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 1200 × 800, shown turned a quarter: 800 × 1200
    data = io.BytesIO()
    Image.effect_mandelbrot((1200, 800), (-2.0, -1.2, 1.0, 1.2), 64).convert("RGB").save(
        data, "JPEG", exif=exif.tobytes()
    )
    (root / "content/images/tall.jpg").write_bytes(data.getvalue())
    assert run(root) == 0
    html = (root / "_site/articles/second-op-ed/index.html").read_text()
    assert 'alt="A tall photo" width="800" height="1200"' in html
    assert size_of(root / "_site/images/tall.480w.webp") == (480, 720)
    assert size_of(root / "_site/images/tall.240w.jpg") == (240, 360)


def test_cards_are_drawn_in_the_brand_with_its_logo_and_card_name(make_site: Callable[..., Path]) -> None:
    from conftest import SITE_YAML
    from PIL import Image

    brand = 'brand:\n  accent: "#1d4d2b"\n  logo: logo.png\n  card_name: CF\n'
    root = make_site({"site.yaml": SITE_YAML + brand})
    (root / "content/images").mkdir()
    Image.new("RGB", (120, 60), (255, 220, 0)).save(root / "content/images/logo.png")
    assert run(root) == 0
    with Image.open(root / "_site/cards/articles/first-op-ed.png") as card:
        colours = {colour for _, colour in card.convert("RGB").getcolors(256 * 256)}
    assert {(0x1D, 0x4D, 0x2B), (255, 220, 0), (255, 255, 255)} <= colours
    assert (0x8B, 0x1A, 0x2B) not in colours  # the theme's accent is gone
    html = (root / "_site/articles/first-op-ed/index.html").read_text()
    assert 'content="Op-ed: Councils are the last line of defence (Ann Example). CF"' in html
