"""Pages patched after an edit (splice.py): when the templates allow it, and byte for byte as rendered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2
import pytest
from conftest import read_tree, run
from hypothesis import given
from hypothesis import strategies as st

from manifesto import render
from manifesto.splice import (
    BodySlot,
    joined_with_slots,
    patched,
    templates_keep_bodies_whole,
)

SHOWN = "<h1>{{ title }}</h1>{% for a in items %}<div>{{ manifesto_body(a) }}</div>{% endfor %}"

# (templates, whether a page's slots can be trusted)
TEMPLATE_CASES = [
    ({"page.html": SHOWN}, True),
    ({"page.html": SHOWN, "assets/app.js": "if (a {{ b"}, True),  # copied as it is, never a template
    ({"page.html": "{% for a in items %}{{ manifesto_body(a)|upper }}{% endfor %}"}, False),
    ({"page.html": "{{ manifesto_body(a) ~ '' }}"}, False),
    ({"page.html": "{{ manifesto_body(*items) }}"}, False),
    ({"page.html": "{% filter upper %}{{ manifesto_body(a) }}{% endfilter %}"}, False),
    ({"page.html": "{% set x %}{{ manifesto_body(a) }}{% endset %}{{ x|upper }}"}, False),
    ({"page.html": "{% set x = manifesto_body(a) %}{{ x }}"}, False),
    ({"page.html": "{% set shown = manifesto_body %}{{ shown(a)|upper }}"}, False),
    ({"page.html": "{% macro m(a) %}{{ manifesto_body(a) }}{% endmacro %}{{ m(a)|upper }}"}, False),
    ({"page.html": "{% call(x) lister() %}{{ manifesto_body(x) }}{% endcall %}"}, False),
    ({"page.html": "{% for a in items recursive %}{{ manifesto_body(a) }}{% endfor %}"}, False),
    ({"page.html": "{% block main %}{{ manifesto_body(a) }}{% endblock %}{{ self.main()|upper }}"}, False),
    ({"base.html": "{% block main %}{% endblock %}", "page.html": '{% extends "base.html" %}' + SHOWN}, True),
    (
        {
            "base.html": "{% filter upper %}{% block main %}{% endblock %}{% endfilter %}",
            "page.html": '{% extends "base.html" %}{% block main %}{{ manifesto_body(a) }}{% endblock %}',
        },
        False,
    ),
    ({"part.html": SHOWN, "page.html": '{% filter upper %}{% include "part.html" %}{% endfilter %}'}, False),
    ({"part.html": SHOWN, "page.html": '{% include "part.html" %}'}, False),  # included: could be caught
    (
        {
            "part.html": '{% extends "shown.html" %}',
            "shown.html": SHOWN,
            "page.html": '{% set x %}{% include "part.html" %}{% endset %}{{ x|upper }}',
        },
        False,
    ),
    ({"page.html": SHOWN, "other.html": "{% include name %}"}, False),  # could name any template
    ({"page.html": SHOWN, "broken.html": "{% if %}"}, False),
    ({"page.html": SHOWN, "other.html": '{% include "missing.html" %}'}, False),
]


@pytest.mark.parametrize(("templates", "trusted"), TEMPLATE_CASES)
def test_slots_are_trusted_only_when_no_template_can_change_a_body(
    templates: dict[str, str], trusted: bool
) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
    assert templates_keep_bodies_whole(env) is trusted


def test_the_projects_own_templates_let_the_manifesto_be_patched() -> None:
    templates = Path(__file__).resolve().parent.parent / "templates"
    assert templates_keep_bodies_whole(jinja2.Environment(loader=jinja2.FileSystemLoader(templates)))


def test_a_body_is_in_a_slot_only_if_the_very_next_piece_is_that_body() -> None:
    calls: list[tuple[str, str]] = []

    def pieces() -> Iterator[str]:
        yield "<main>"
        calls.append(("kept", "<p>A</p>"))
        yield "<p>A</p>"
        calls.append(("changed", "<p>B</p>"))
        yield "<P>B</P>"
        calls.append(("first", "<p>C</p>"))
        calls.append(("second", "<p>D</p>"))
        yield "<p>C</p><p>D</p>"
        calls.append(("unshown", "<p>E</p>"))
        yield "</main>"
        calls.append(("last", "<p>F</p>"))

    joined = joined_with_slots(pieces(), calls)
    assert joined == (
        b"<main><p>A</p><P>B</P><p>C</p><p>D</p></main>",
        (BodySlot("kept", 6, 14),),
        {"changed", "first", "second", "unshown", "last"},
    )
    assert not calls


texts = st.text(alphabet=st.sampled_from("ab<>é€😀\n"), max_size=12)


@given(pieces=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=6), data=st.data())
def test_a_patched_page_equals_the_page_made_with_the_new_bodies(
    pieces: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    """A page is text and bodies in turn; some bodies change. Patching the old page's bytes must give
    the new page's bytes and slots, as rendering the new page does."""
    slugs = [f"op-ed-{number}" for number in range(len(pieces))]
    new_bodies = {
        slug: new for slug, (_, _, new) in zip(slugs, pieces, strict=True) if data.draw(st.booleans())
    }

    def page(bodies: dict[str, str]) -> tuple[bytes, tuple[BodySlot, ...]]:
        """The page as its template would yield it, a piece at a time, the bodies from manifesto_body."""
        calls: list[tuple[str, str]] = []

        def yielded() -> Iterator[str]:
            for slug, (before, old, _) in zip(slugs, pieces, strict=True):
                yield before
                calls.append((slug, bodies.get(slug, old)))
                yield bodies.get(slug, old)
            yield "</html>"

        joined = joined_with_slots(yielded(), calls)
        assert joined is not None
        data, slots, elsewhere = joined
        assert data == "".join(yielded()).encode("utf-8") and not elsewhere
        assert [slot.slug for slot in slots] == slugs
        assert all(
            data[slot.start : slot.end] == bodies.get(slot.slug, old).encode("utf-8")
            for slot, (_, old, _) in zip(slots, pieces, strict=True)
        )
        return data, slots

    old_page, old_slots = page({})
    encoded = {slug: body.encode("utf-8") for slug, body in new_bodies.items()}
    assert patched(old_page, old_slots, encoded) == page(new_bodies)


def test_slots_that_do_not_fit_the_page_are_refused() -> None:
    with pytest.raises(ValueError):
        patched(b"<p>short</p>", [BodySlot("a", 3, 40)], {"a": b"x"})
    with pytest.raises(ValueError):
        patched(b"<p>overlapping</p>", [BodySlot("a", 3, 9), BodySlot("b", 5, 12)], {"b": b"x"})


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output paths of the pages rendered from here on (in this process: the sample site is far
    too small for worker processes)."""
    seen: list[str] = []
    real_render_page = render.render_page

    def noted(env: render.RecordingEnvironment, job: render.PageJob, *args: Path) -> render.RenderedPage:
        seen.append(job.output_path)
        return real_render_page(env, job, *args)

    monkeypatch.setattr(render, "render_page", noted)
    return seen


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_edited_op_ed_is_patched_into_the_manifesto_and_pages_showing_its_reading_time_stand(
    make_site: Callable[..., Path], tmp_path: Path, rendered: list[str]
) -> None:
    root = make_site()
    assert run(root) == 0
    articles = root / "content/articles"
    edit(articles / "second-op-ed.md", "for fair funding.", "for fair funding, and for <em>now</em> &amp; é.")
    edit(articles / "first-op-ed.md", "that line is thinning.", "that line is thinning.\n\n## A new heading")
    rendered.clear()
    assert run(root) == 0
    assert "manifesto/index.html" not in rendered  # patched
    assert "chapters/fair-funding/index.html" not in rendered  # shows reading times, which stand
    assert {"articles/first-op-ed/index.html", "articles/second-op-ed/index.html"} <= set(rendered)
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")
    manifesto = (root / "_site/manifesto/index.html").read_text()
    assert 'id="first-op-ed--a-new-heading"' in manifesto and "<h4" in manifesto

    # A longer op-ed takes longer to read: the pages that say how long are rendered again.
    edit(articles / "second-op-ed.md", "for fair funding", "for fair funding " + "and more " * 300)
    rendered.clear()
    assert run(root) == 0
    assert {"manifesto/index.html", "chapters/fair-funding/index.html"} <= set(rendered)
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_a_template_that_changes_the_bodies_it_shows_has_its_page_rendered_again(
    make_site: Callable[..., Path], tmp_path: Path, rendered: list[str]
) -> None:
    """The change leaves every body as it was when first rendered (no op-ed says "fairly"), so only the
    templates can tell that the page's slots are not to be trusted."""
    root = make_site()
    edit(
        root / "templates/manifesto.html",
        "{{ manifesto_body(article) }}",
        "{{ manifesto_body(article)|replace('fairly', 'FAIRLY') }}",
    )
    assert run(root) == 0
    edit(root / "content/articles/second-op-ed.md", "for fair funding.", "for fair funding, fairly.")
    rendered.clear()
    assert run(root) == 0
    assert "manifesto/index.html" in rendered
    assert "fair funding, FAIRLY." in (root / "_site/manifesto/index.html").read_text()
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_a_manifesto_changed_by_hand_is_rendered_again(
    make_site: Callable[..., Path], rendered: list[str]
) -> None:
    root = make_site()
    assert run(root) == 0
    manifesto = root / "_site/manifesto/index.html"
    manifesto.write_bytes(manifesto.read_bytes().replace(b"fair funding", b"FAIR FUNDING"))
    edit(root / "content/articles/second-op-ed.md", "for fair funding.", "for fair funding, now.")
    rendered.clear()
    assert run(root) == 0
    assert "manifesto/index.html" in rendered
    assert b"FAIR FUNDING" not in manifesto.read_bytes()
