"""The live preview in a real browser: saves show in the open tab without a manual reload, a broken file
shows the error page and a fix brings the page back, quick saves are not lost, a stylesheet edit restyles
the page in place. Playwright with Debian's Chromium (see BROWSER.md); CHROMIUM_PATH overrides."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from test_serve import Running, server, wait_for

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
TIMEOUT_MS = 10_000


def chromium_path() -> str:
    path = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    if path.is_file():
        return str(path)
    if os.environ.get("CI"):
        pytest.fail(f"no Chromium at {path}: CI must run the browser tests (set CHROMIUM_PATH)")
    pytest.skip(f"no Chromium at {path} (set CHROMIUM_PATH to run the browser tests)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def open_page(browser: Browser, url: str, console: list[str]) -> Page:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("console", lambda message: console.append(console_line(message)))
    page.goto(url)
    return page


def console_line(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"


def wait_for_line(running: Running, start: str) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not any(line.startswith(start) for line in running.output):
        assert time.monotonic() < deadline, f"no line starting {start!r} in {running.output}"
        time.sleep(0.02)  # polling the server's output, with a deadline


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_saves_show_in_the_open_tab_and_errors_come_and_go(
    make_site: Callable[..., Path], browser: Browser
) -> None:
    root = make_site()
    article = root / "content/articles/second-op-ed.md"
    console: list[str] = []
    with server(root) as running:
        page = open_page(browser, running.url + "articles/second-op-ed/", console)
        heading = page.locator("h1#article-title")
        expect(heading).to_have_text("A second voice")
        about = open_page(browser, running.url + "about/", console)  # a page no op-ed edit changes
        about.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol")
        about.evaluate("() => { window.notReloaded = true }")

        replace_in(article, "title: A second voice", "title: A louder voice")
        expect(heading).to_have_text("A louder voice", timeout=TIMEOUT_MS)
        wait_for_line(running, "Then rebuilt")  # the pages not open, after the open one is back
        assert about.evaluate("() => window.notReloaded") is True
        wait_for(running, "/manifesto/", lambda status, body: status == 200 and "A louder voice" in body)
        about.close()

        replace_in(article, "title: A louder voice", "titel: A louder voice")
        alert = page.locator("main[role=alert]")
        expect(alert).to_contain_text("content/articles/second-op-ed.md:2", timeout=TIMEOUT_MS)
        expect(alert).to_contain_text("hint: did you mean 'title'?")

        replace_in(article, "titel: A louder voice", "title: A fixed voice")
        expect(heading).to_have_text("A fixed voice", timeout=TIMEOUT_MS)

        # Two saves 50 ms apart: the second lands while the first is being debounced or built.
        replace_in(article, "title: A fixed voice", "title: First of two")
        time.sleep(0.05)  # the scenario's input, not a wait for a result
        replace_in(article, "title: First of two", "title: Second of two")
        expect(heading).to_have_text("Second of two", timeout=TIMEOUT_MS)
        expect(page.locator("body")).to_contain_text("Preview: drafts are shown")
        page.close()
    assert not [line for line in console if "Content Security Policy" in line], console


def test_a_stylesheet_edit_restyles_the_page_without_reloading_it(
    make_site: Callable[..., Path], browser: Browser
) -> None:
    root = make_site()
    console: list[str] = []
    with server(root) as running:
        page = open_page(browser, running.url + "articles/first-op-ed/", console)
        # Wait for the live-reload socket, then mark this document: a full reload would lose the mark.
        page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol")
        page.evaluate("() => { window.notReloaded = true }")
        colour = "getComputedStyle(document.querySelector('h1')).color"
        assert page.evaluate(colour) != "rgb(1, 2, 3)"
        with (root / "templates/assets/style.css").open("a", encoding="utf-8") as stylesheet:
            stylesheet.write("\nh1 { color: rgb(1, 2, 3) !important; }\n")
        page.wait_for_function(f"() => {colour} === 'rgb(1, 2, 3)'", timeout=TIMEOUT_MS)
        assert page.evaluate("() => window.notReloaded") is True
        page.close()
    assert not [line for line in console if "Content Security Policy" in line], console


def test_a_passage_shows_its_id_on_hover_or_focus_and_copies_its_source(
    make_site: Callable[..., Path], browser: Browser
) -> None:
    root = make_site()
    console: list[str] = []
    with server(root) as running:
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda message: console.append(console_line(message)))
        page.goto(running.url + "articles/first-op-ed/")
        passage = page.locator("p#councils-are-the-last-line-of")
        tool = passage.locator(".passage-id")
        expect(tool).to_have_count(1)
        assert tool.bounding_box()["width"] <= 1  # hidden until asked for
        passage.hover()
        expect(tool.locator("code")).to_have_text("#councils-are-the-last-line-of")
        assert tool.bounding_box()["width"] > 1
        page.mouse.move(0, 0)
        button = tool.get_by_role("button")
        button.focus()  # as Tab reaches it: shown while it has the focus
        assert tool.bounding_box()["width"] > 1
        page.keyboard.press("Enter")
        expect(tool.locator("[role=status]")).to_have_text("Copied first-op-ed#councils-are-the-last-line-of")
        assert (
            page.evaluate("() => navigator.clipboard.readText()")
            == "first-op-ed#councils-are-the-last-line-of"
        )
        # Footnotes keep their own ids, without the tool; pages other than op-eds have none.
        assert page.locator("[id^='fn'] .passage-id").count() == 0
        page.goto(running.url + "chapters/fair-funding/")
        assert page.locator(".passage-id").count() == 0
        context.close()
    assert not [line for line in console if "Content Security Policy" in line], console
