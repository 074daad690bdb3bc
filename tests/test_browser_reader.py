"""The reader's experience of a small platform in a real browser (Chromium driven by Playwright).

axe-core on every page type in both colour schemes at phone and desktop width, a keyboard-only walk
through an op-ed, search from the box to the op-ed (also under a base path), and screenshots. Skipped
only when no Chromium is installed and CI is unset; in CI a missing browser fails.
"""

from __future__ import annotations

import base64
import gettext
import io
import json
import os
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHAPTER, FIRST_ARTICLE, SITE_YAML, write_sample_site
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from manifesto.load import load_sources
from manifesto.model import Site
from manifesto.parse import parse_site
from manifesto.pdf import CHROMIUM_ARGS, chromium_executable, serve_pages
from manifesto.search import documents_of, terms_of

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules/axe-core/axe.min.js"
WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")
SEARCH_LABEL = "Words to find in the op-eds, chapters and proposals"
# axe's default rules, plus WCAG 2.2 AA target size (2.5.8), which axe leaves off by default.
AXE_RUN = """async () => {
  const options = {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}};
  const result = await axe.run(document, options);
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""
# Where focus is and whether a sighted keyboard user can see it: an outline or a shadow, inside the
# viewport, and not covered by anything else (WCAG 2.4.7 and 2.4.11).
FOCUS_STATE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getClientRects()[0] ?? element.getBoundingClientRect();
  const onTop = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {
    text: element.textContent.trim().replace(/\\s+/g, " "),
    rel: element.getAttribute("rel"),
    indicated: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none",
    inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    uncovered: onTop !== null && (element === onTop || element.contains(onTop)),
  };
}"""
SHARE_LINKS = ["Share by email", "Share on X", "Share on Facebook", "Share on WhatsApp", "Share on LinkedIn"]


# The sample site of conftest.py, with two more op-eds: "austerity" in two op-eds and a chapter,
# "antisemitism" in one op-ed only, for the search tests; the first op-ed (the op-ed page checked) has a
# lead image, a picture in its body and its author's photo (the author page checked).
BROWSER_SITE = {
    "content/articles/first-op-ed.md": FIRST_ARTICLE.replace(
        "summary: Councils are",
        "image: rally.jpg\nimage_alt: Residents at a rally for their library\nphoto_credit: Jo Snap\n"
        "photo: ann.jpg\nsummary: Councils are",
    ).replace(
        "## What has changed",
        "![A chart of the core grant falling](../images/chart.png)\n\n## What has changed",
    ),
    # The campaign's own colour and logo (and the first call to action leads the home page).
    "site.yaml": SITE_YAML + 'brand:\n  accent: "#1d4d2b"\n  logo: logo.svg\n',
    "content/images/logo.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 40"><rect width="60" height="40" rx="6" '
        'fill="#1d4d2b"/><circle cx="30" cy="20" r="12" fill="#f2efe9"/></svg>\n'
    ),
    "content/chapters/fair-funding.md": CHAPTER.replace(
        "Councils have lost much of their funding.", "Councils have lost much of their funding to austerity."
    ),
    "content/articles/the-cost-of-cuts.md": """\
---
title: The cost of cuts
author: Cy Third
bio: Cy Third chairs a residents' association.
chapter: local-power
summary: Ten years of cuts have a price that communities pay.
---

Ten years of austerity left councils unable to plan beyond the next budget.

## Who pays

Antisemitism, like every other hatred, grows where shared services and meeting places vanish.

| Service | Spending | Change |
|:--|--:|:-:|
| Libraries | £1.2m | down |
""",
    "content/articles/budgets-that-last.md": """\
---
title: Budgets that last
author: Di Fourth
chapter: local-power
summary: Councils need budgets set for years, not months.
---

After austerity, councils need settlements that last long enough to plan for.
""",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    root = write_sample_site(tmp_path_factory.mktemp("browser") / "project", BROWSER_SITE)
    (root / "content/images").mkdir(exist_ok=True)
    view = (-2.0, -1.2, 1.0, 1.2)
    Image.effect_mandelbrot((2000, 1200), view, 64).convert("RGB").save(root / "content/images/rally.jpg")
    Image.effect_mandelbrot((900, 600), view, 32).convert("RGB").save(root / "content/images/chart.png")
    Image.effect_mandelbrot((400, 400), view, 16).convert("RGB").save(root / "content/images/ann.jpg")
    return root


@pytest.fixture(scope="module")
def site(project: Path) -> Site:
    return parse_site(load_sources(project))


def page_types(site: Site) -> dict[str, str]:
    """One address of every kind of page."""
    return {
        "home": "",
        "chapters index": "chapters/",
        "chapter": site.chapters[0].url_path[1:],
        "op-ed": site.articles[0].url_path[1:],
        "authors index": "authors/",
        "author": site.authors[0].url_path[1:],
        "manifesto": "manifesto/",
        "other formats": "formats/",
        "plain page": site.pages[0].url_path[1:],
        "404": "no-such-page/",
        "search results": "search/?q=councils",
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_executable()
    if executable is None or not executable.is_file():
        if os.environ.get("CI"):
            pytest.fail("no Chromium for the browser tests (install chromium or set CHROMIUM_PATH)")
        pytest.skip("no Chromium installed (install chromium or set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def served_build(
    tmp_path_factory: pytest.TempPathFactory, project: Path, base_path: str = ""
) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site") / "_site"
    # As published: with every format of the platform, and the page that lists them. In a process of its
    # own: its printing drives a browser too, which Playwright does not allow inside this module's.
    command = [
        "--root",
        str(project),
        "formats",
        "--out",
        str(out),
        "--base-path",
        base_path or "/",
        "--no-cache",
    ]
    subprocess.run([sys.executable, str(REPO / "build.py"), *command], check=True, capture_output=True)
    pages = {path.relative_to(out).as_posix(): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    with serve_pages(pages, base_path) as site_url:
        yield site_url


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Iterator[str]:
    yield from served_build(tmp_path_factory, project)


@pytest.fixture(scope="module")
def sub_path_site_url(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Iterator[str]:
    yield from served_build(tmp_path_factory, project, "/platform")


def new_page(context: BrowserContext, errors: list[str]) -> Page:
    """A tab that adds every script error and console error to ``errors``."""
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}")
    )
    return page


def wait_for_results(page: Page) -> None:
    page.wait_for_selector("#search-results li", timeout=10_000)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violations_on_any_page_type(
    browser: Browser, site_url: str, site: Site, width: int, scheme: str
) -> None:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run  npm ci")
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, bypass_csp=True
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems = []
    for name, path in page_types(site).items():
        page.goto(site_url + path, wait_until="load")
        if name == "search results":
            wait_for_results(page)
        problems += [f"{name} (/{path}): {violation}" for violation in page.evaluate(AXE_RUN)]
    context.close()
    assert problems == []


def test_every_page_type_has_lang_one_h1_a_skip_link_and_labelled_navigation(
    browser: Browser, site_url: str, site: Site
) -> None:
    context = browser.new_context()
    errors: list[str] = []
    page = new_page(context, errors)
    for name, path in page_types(site).items():
        response = page.goto(site_url + path, wait_until="load")
        assert response is not None and response.status == (404 if name == "404" else 200), name
        facts = page.evaluate("""() => ({
          lang: document.documentElement.lang,
          h1: document.querySelectorAll("h1").length,
          main: document.querySelectorAll("main#main").length,
          firstLink: [document.links[0].getAttribute("href"), document.links[0].textContent],
          unlabelledNav: [...document.querySelectorAll("nav")].filter(
            (nav) => !nav.getAttribute("aria-label") && !nav.getAttribute("aria-labelledby")).length,
        })""")
        assert facts == {
            "lang": "en-GB",
            "h1": 1,
            "main": 1,
            "firstLink": ["#main", "Skip to main content"],
            "unlabelledNav": 0,
        }, name
    page.goto(site_url + "manifesto/")
    assert page.locator("nav[aria-label=Contents] > ol > li").count() == len(site.chapters)
    context.close()
    assert [error for error in errors if "/no-such-page/" not in error] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_keyboard_alone_reaches_the_share_links_and_what_comes_next_with_focus_always_visible(
    browser: Browser, site_url: str, site: Site, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(site_url + site.articles[0].url_path[1:], wait_until="load")
    stops = []
    for _ in range(150):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STATE)
        stops.append(stop)
        assert stop["indicated"], f"no visible focus indicator on {stop}"
        assert stop["inView"] and stop["uncovered"], f"focused but hidden from view: {stop}"
        if stop["rel"] == "next":
            break
    context.close()
    texts = [stop["text"] for stop in stops]
    assert texts[0] == "Skip to main content"
    assert [text for text in texts if text.startswith("Share ")] == SHARE_LINKS
    assert stops[-1]["rel"] == "next", "the keyboard never reached the link to what comes next"
    assert texts.index("Share on LinkedIn") < len(texts) - 1


def test_the_skip_link_moves_focus_to_the_main_content(browser: Browser, site_url: str, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + site.articles[0].url_path[1:], wait_until="load")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()


def search_and_follow_first_result(browser: Browser, site_url: str, word: str) -> str:
    context = browser.new_context()
    errors: list[str] = []
    page = new_page(context, errors)
    page.goto(site_url + "search/", wait_until="load")
    page.get_by_label(SEARCH_LABEL).fill(word)
    page.get_by_role("button", name="Search").click()
    wait_for_results(page)
    assert page.inner_text("#search-status").startswith("1 result for")
    assert page.locator("#search-results mark").first.inner_text().lower().strip(string.punctuation) == word
    page.locator("#search-results a").first.click()
    page.wait_for_load_state("load")
    landed = page.url
    context.close()
    assert errors == []
    return landed


def only_op_ed_with(site: Site, word: str) -> str:
    """The one op-ed whose text has ``word``, which no chapter or page has: search must land there."""
    having = [article for article in site.articles if word in article.body_html.lower()]
    assert len(having) == 1
    assert not any(word in (chapter.intro_html + chapter.summary).lower() for chapter in site.chapters)
    assert not any(word in page.body_html.lower() for page in site.pages)
    return having[0].url_path[1:]


def test_search_finds_a_word_from_one_op_ed_and_lands_on_it(
    browser: Browser, site_url: str, site: Site
) -> None:
    target = only_op_ed_with(site, "antisemitism")
    assert search_and_follow_first_result(browser, site_url, "antisemitism") == site_url + target


def test_search_works_under_a_base_path(browser: Browser, sub_path_site_url: str, site: Site) -> None:
    target = only_op_ed_with(site, "antisemitism")
    assert sub_path_site_url.endswith("/platform/")
    assert (
        search_and_follow_first_result(browser, sub_path_site_url, "antisemitism")
        == sub_path_site_url + target
    )


def test_search_results_show_title_chapter_and_a_highlighted_excerpt(
    browser: Browser, site_url: str, site: Site
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "search/?q=austerity", wait_until="load")
    wait_for_results(page)
    items = page.locator("#search-results li")
    assert items.count() >= 2
    kinds = items.locator(".byline").all_inner_texts()
    chapter_titles = {chapter.title for chapter in site.chapters}
    op_eds = [kind for kind in kinds if kind.startswith("Op-ed by ")]
    assert op_eds and all(kind.split(" · chapter: ")[1] in chapter_titles for kind in op_eds)
    assert "Chapter and its proposals" in kinds
    assert items.locator("h2 a").count() == items.count()
    marked = {text.lower().strip(string.punctuation) for text in items.locator("mark").all_inner_texts()}
    assert marked == {"austerity"}
    assert items.locator("mark").count() >= items.count()
    context.close()


def expected_results(site: Site, words: list[str]) -> list[str]:
    """The pages whose title or text has a term starting with each of ``words``, by the Python side's
    own terms: the browser must split and fold text exactly as the index does."""
    found = []
    for document in documents_of(site, gettext.NullTranslations()):
        terms = terms_of(f"{document.title}\n{document.text}")
        if all(any(term.startswith(word) for term in terms) for word in words):
            found.append(document.url_path)
    return found


def test_search_folds_case_and_accents_matches_word_starts_and_needs_every_word(
    browser: Browser, site_url: str, site: Site
) -> None:
    context = browser.new_context()
    page = context.new_page()
    for query, words in [
        ("austerity", ["austerity"]),
        ("AUSTÉRITY", ["austerity"]),
        ("councillor", ["councillor"]),
        ("Austerity councils", ["austerity", "councils"]),
        ("fund", ["fund"]),
    ]:
        expected = expected_results(site, words)
        assert expected, query
        page.goto(site_url + "search/?q=" + query, wait_until="load")
        wait_for_results(page)
        links = page.locator("#search-results h2 a").evaluate_all("links => links.map(a => a.pathname)")
        assert len(expected) <= 20 and sorted(links) == sorted(expected), query
    # A page whose title has the word ranks first: title words weigh more than words of the text.
    page.goto(site_url + "search/?q=funding", wait_until="load")
    wait_for_results(page)
    first = page.locator("#search-results h2 a").first.inner_text()
    assert "funding" in first.lower(), first
    context.close()


def test_without_javascript_search_points_to_the_chapter_list(browser: Browser, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "search/?q=councils", wait_until="load")
    notice = page.locator("p.notice")
    assert notice.inner_text().startswith("Search needs JavaScript")
    assert notice.get_by_role("link", name="the list of chapters").get_attribute("href") == "/chapters/"
    assert page.get_by_label(SEARCH_LABEL).count() == 1  # the form still submits, to this page
    context.close()


def test_screenshots_at_phone_and_desktop_width_without_sideways_scrolling(
    browser: Browser, site_url: str, site: Site, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """PNGs of home, a chapter and an op-ed, kept in SCREENSHOT_DIR when it is set (CI keeps them)."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    shots = {"home": "", "chapter": site.chapters[0].url_path[1:], "oped": site.articles[0].url_path[1:]}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, path in shots.items():
            page.goto(site_url + path, wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
            target = folder / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
        context.close()


# --- The site in Welsh -------------------------------------------------------------------------------

WELSH_PAGES = {
    "home": "cy/",
    "chapters index": "cy/chapters/",
    "chapter": "cy/chapters/fair-funding/",
    "op-ed": "cy/articles/y-llinell-olaf/",
    "authors index": "cy/authors/",
    "author": "cy/authors/ann-example/",
    "manifesto": "cy/manifesto/",
    "plain page": "cy/about/",
    "404": "cy/404.html",
    "search results": "cy/search/?q=cynghorau",
    "an English page pointing to Welsh": "articles/second-op-ed/",
}


@pytest.fixture(scope="module")
def welsh_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from test_languages import BILINGUAL

    project = write_sample_site(tmp_path_factory.mktemp("welsh") / "project", BILINGUAL)
    yield from served_build(tmp_path_factory, project)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violations_on_the_welsh_pages(
    browser: Browser, welsh_site_url: str, width: int, scheme: str
) -> None:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run  npm ci")
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, bypass_csp=True
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems = []
    for name, path in WELSH_PAGES.items():
        page.goto(welsh_site_url + path, wait_until="load")
        if name == "search results":
            wait_for_results(page)
        expected = "en-GB" if path.startswith("articles/") else "cy"
        assert page.evaluate("document.documentElement.lang") == expected, path
        problems += [f"{name} (/{path}): {violation}" for violation in page.evaluate(AXE_RUN)]
    context.close()
    assert problems == []


def test_a_welsh_search_finds_the_welsh_op_ed(browser: Browser, welsh_site_url: str) -> None:
    context = browser.new_context()
    errors: list[str] = []
    page = new_page(context, errors)
    page.goto(welsh_site_url + "cy/search/", wait_until="load")
    page.get_by_label("Geiriau i’w canfod yn yr erthyglau barn, y penodau a’r cynigion").fill("teneuo")
    page.get_by_role("button", name="Chwilio").click()
    wait_for_results(page)
    assert page.inner_text("#search-status") == "1 canlyniad ar gyfer “teneuo”."
    page.locator("#search-results a").first.click()
    page.wait_for_load_state("load")
    assert page.url == welsh_site_url + "cy/articles/y-llinell-olaf/"
    context.close()
    assert errors == []


def test_table_columns_are_aligned_as_the_markdown_says(browser: Browser, site_url: str, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    with_table = next(article for article in site.articles if "<table>" in article.body_html)
    page.goto(site_url + with_table.url_path[1:], wait_until="load")
    aligned = page.eval_on_selector_all(
        ".prose tr", "rows => rows.map(row => [...row.cells].map(cell => getComputedStyle(cell).textAlign))"
    )
    context.close()
    assert aligned == [["left", "right", "center"], ["left", "right", "center"]]


# How far down a phone's screen the page's first heading may start: the header must not push it away.
FIRST_HEADING_TOP_PX = 150


def test_on_a_phone_the_header_is_compact_and_the_home_page_leads_with_its_call_to_action(
    browser: Browser, site_url: str, site: Site
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    tops = {}
    for name, path in {
        "home": "",
        "chapter": site.chapters[0].url_path[1:],
        "op-ed": site.articles[0].url_path[1:],
    }.items():
        page.goto(site_url + path, wait_until="load")
        tops[name] = page.evaluate("document.querySelector('h1').getBoundingClientRect().top")
        logo = page.evaluate(
            "(() => { const r = document.querySelector('.site-header img.logo').getBoundingClientRect(); return [r.width, r.height]; })()"
        )
        assert logo[1] > 0 and abs(logo[0] / logo[1] - 1.5) < 0.05, (name, logo)  # the drawing's own shape
    assert all(top < FIRST_HEADING_TOP_PX for top in tops.values()), tops
    page.goto(site_url, wait_until="load")
    action = page.get_by_role("link", name="Join us").first
    box = action.bounding_box()
    assert box is not None and box["y"] + box["height"] < 844  # on the first screen, without scrolling
    assert "button" in (action.get_attribute("class") or "")
    cards = page.locator(".chapter-card")
    assert cards.count() == len(site.chapters)
    argued = cards.first.locator(".key-proposals a.source")
    proposal = site.chapters[0].proposals[0]
    assert argued.first.get_attribute("href") == f"/articles/{proposal.article_slug}/#{proposal.anchor}"
    context.close()


def test_the_accent_colour_of_site_yaml_is_the_pages_in_light_and_dark_mode(
    browser: Browser, site_url: str
) -> None:
    colours = {}
    for scheme in SCHEMES:
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site_url, wait_until="load")
        colours[scheme] = page.evaluate(
            "getComputedStyle(document.querySelector('.hero-actions .button')).backgroundColor"
        )
        context.close()
    assert colours["light"] == "rgb(29, 77, 43)"  # #1d4d2b
    assert colours["dark"] != colours["light"]


LIGHTHOUSE = REPO / "node_modules/.bin/lighthouse"
# The scores each audited page must reach; performance is simulated (a point or two of noise).
LIGHTHOUSE_MINIMUM = {"accessibility": 100, "best-practices": 100, "seo": 100, "performance": 95}
LIGHTHOUSE_SCREENS = {
    375: [
        "--screenEmulation.width=375",
        "--screenEmulation.height=812",
        "--screenEmulation.deviceScaleFactor=2",
    ],
    1280: ["--preset=desktop", "--screenEmulation.width=1280", "--screenEmulation.height=800"],
}
# One run a page and width (about 13 s each), the scheme alternating, so that every page and every width
# is audited in both schemes; axe checks every combination (test_axe_finds_no_violations_on_any_page_type).
LIGHTHOUSE_RUNS = [
    ("home", 375, "light"),
    ("home", 1280, "dark"),
    ("chapter", 375, "dark"),
    ("chapter", 1280, "light"),
    ("op-ed", 375, "light"),
    ("op-ed", 1280, "dark"),
]


@pytest.mark.parametrize(("name", "width", "scheme"), LIGHTHOUSE_RUNS)
def test_lighthouse_scores_home_a_chapter_and_an_op_ed_full_marks_and_fast(
    site_url: str, site: Site, tmp_path: Path, name: str, width: int, scheme: str
) -> None:
    executable = chromium_executable()
    if executable is None or not executable.is_file():
        if os.environ.get("CI"):
            pytest.fail("no Chromium for Lighthouse (install chromium or set CHROMIUM_PATH)")
        pytest.skip("no Chromium installed (install chromium or set CHROMIUM_PATH)")
    if not LIGHTHOUSE.is_file():
        pytest.fail("lighthouse is not installed: run  npm ci")
    path = {"home": "", "chapter": site.chapters[0].url_path[1:], "op-ed": site.articles[0].url_path[1:]}[
        name
    ]
    # --force-dark-mode makes the page's prefers-color-scheme dark.
    flags = " ".join([*CHROMIUM_ARGS, "--headless", *(["--force-dark-mode"] if scheme == "dark" else [])])
    report_path = tmp_path / "report.json"
    command = [
        str(LIGHTHOUSE),
        site_url + path,
        "--quiet",
        "--output=json",
        f"--output-path={report_path}",
        f"--only-categories={','.join(LIGHTHOUSE_MINIMUM)}",
        f"--chrome-flags={flags}",
        *LIGHTHOUSE_SCREENS[width],
    ]
    subprocess.run(
        command, check=True, capture_output=True, env={**os.environ, "CHROME_PATH": str(executable)}
    )
    report = json.loads(report_path.read_text())
    scores = {
        category: round(100 * report["categories"][category]["score"]) for category in LIGHTHOUSE_MINIMUM
    }
    failing = [
        audit_id
        for category in ("accessibility", "best-practices", "seo")
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] and report["audits"][(audit_id := ref["id"])]["score"] not in (1, None)
    ]
    assert all(scores[category] >= minimum for category, minimum in LIGHTHOUSE_MINIMUM.items()), (
        scores,
        failing,
    )
    # The page was seen in the scheme asked for: its background, at the foot of the final screenshot.
    from PIL import Image

    shot = report["audits"]["final-screenshot"]["details"]["data"].split(",", 1)[1]
    with Image.open(io.BytesIO(base64.b64decode(shot))) as image:
        background = image.convert("RGB").getpixel((2, image.height - 2))
    assert (sum(background) < 150) == (scheme == "dark"), background
