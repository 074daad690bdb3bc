"""Hostile and broken input, faults mid-build, and what the build guarantees about its output."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import read_tree, run
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from manifesto.body import (
    FULL_CONVERTER,
    INLINE_PATTERN_NEEDS,
    BodyNotes,
    BodyRenderer,
    Converter,
    LinkContext,
    converter_kind,
    make_converter,
)
from manifesto.errors import BuildError, flatten
from manifesto.frontmatter import check_fields, parse_yaml, split_front_matter
from manifesto.load import forbidden_position
from manifesto.parse import ARTICLE_FIELDS
from manifesto.slugs import is_slug, slugify

REPO = Path(__file__).resolve().parent.parent

ARTICLE = "---\ntitle: {title}\nauthor: Ann Example\nchapter: fair-funding\nsummary: S.\n---\n\n{body}\n"


def test_a_symlink_out_of_the_project_is_refused(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    secret = tmp_path / "secret.md"
    secret.write_text(ARTICLE.format(title="Secret", body="Private words."))
    (root / "content/articles/link.md").symlink_to(secret)
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/articles/link.md: this links to" in err and "outside the project folder" in err
    assert not (root / "_site").exists()


def test_a_content_folder_linked_out_of_the_project_is_refused(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files are resolved only when they or their folder are links: a linked folder is one of those."""
    root = make_site()
    elsewhere = tmp_path / "elsewhere"
    (root / "content/articles").rename(elsewhere)
    (root / "content/articles").symlink_to(elsewhere)
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/articles/" in err and "outside the project folder" in err
    assert not (root / "_site").exists()


def test_a_linked_folder_inside_the_content_is_not_entered(make_site: Callable[..., Path]) -> None:
    root = make_site()
    (root / "content/articles/more").symlink_to(root / "content/chapters")
    assert run(root) == 0
    assert not (root / "_site/articles/more").exists()


def test_a_five_megabyte_op_ed_builds(make_site: Callable[..., Path]) -> None:
    body = ("Councils need a fair settlement and the power to use it well. " * 40 + "\n\n") * 2100
    assert len(body) > 5_000_000
    root = make_site({"content/articles/long.md": ARTICLE.format(title="Long", body=body)})
    assert run(root) == 0
    assert (root / "_site/articles/long/index.html").stat().st_size > 5_000_000


def test_a_deeply_nested_list_is_a_clear_error(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    nested = "\n".join("    " * depth + "- item" for depth in range(500))
    root = make_site({"content/articles/deep.md": ARTICLE.format(title="Deep", body=nested)})
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "content/articles/deep.md:8: the Markdown is nested too deeply" in err
    assert "Traceback" not in err


def test_an_empty_file_is_a_clear_error(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site({"content/articles/empty.md": ""})
    assert run(root) == 1
    assert "content/articles/empty.md:1: the file does not start with front matter" in capsys.readouterr().err


def test_front_matter_that_is_a_scalar_is_a_clear_error(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site({"content/articles/scalar.md": "---\njust some text\n---\n\nBody.\n"})
    assert run(root) == 1
    err = capsys.readouterr().err
    assert (
        "content/articles/scalar.md:2: the op-ed's front matter must be a set of 'key: value' lines, not text"
        in err
    )


def test_two_titles_that_slugify_the_same_are_duplicates(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site(
        {
            "content/articles/Fair Funding.md": ARTICLE.format(title="One", body="One."),
            "content/articles/fair-funding.md": ARTICLE.format(title="Two", body="Two."),
        }
    )
    assert run(root) == 1
    assert "the address /articles/fair-funding/ is already used by" in capsys.readouterr().err


@pytest.mark.parametrize("slug", ["../../escape", "/etc", "a/b", "UPPER", "..", "spaces here"])
def test_a_front_matter_slug_can_never_leave_the_output_folder(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], slug: str
) -> None:
    text = ARTICLE.format(title="T", body="B.").replace("summary: S.\n", f"summary: S.\nslug: '{slug}'\n")
    root = make_site({"content/articles/escape.md": text})
    assert run(root) == 1
    assert "content/articles/escape.md:6: 'slug' must be lowercase letters, digits and hyphens" in (
        capsys.readouterr().err
    )
    assert not (root.parent / "escape").exists() and not (root / "_site").exists()


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {repo!r})
import manifesto.write as write
real = write.safe_parts
count = 0
def dying_safe_parts(relative):
    global count
    count += 1
    if count == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # killed while writing the new site (one file written)
    return real(relative)
write.safe_parts = dying_safe_parts
import build
build.main(["--root", {root!r}])
"""


def test_a_build_killed_while_writing_leaves_the_last_site_and_the_next_build_works(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    assert run(root) == 0
    before = read_tree(root / "_site")
    page = root / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
    killed = subprocess.run([sys.executable, "-c", KILL_SCRIPT.format(repo=str(REPO), root=str(root))])
    assert killed.returncode == -signal.SIGKILL
    assert list((root / "_site").glob(".staging-*"))  # the killed build's, inside the output folder
    assert without_staging(read_tree(root / "_site")) == before
    assert run(root) == 0
    assert "We are the councillors" in (root / "_site/about/index.html").read_text()
    assert not list((root / "_site").glob(".staging-*")) and not list(root.glob(".staging-*"))


def without_staging(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in tree.items() if not path.startswith(".staging-")}


KILL_WHILE_PUBLISHING = """
import os, signal, sys
sys.path.insert(0, {repo!r})
import manifesto.write as write
real = os.replace
moves = 0
def dying_replace(source, target):
    global moves
    if ".publishing-" in str(source):
        moves += 1
        if moves == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # killed with one new file moved into the output
    return real(source, target)
write.os.replace = dying_replace
import build
build.main(["--root", {root!r}])
"""


def test_a_build_killed_while_publishing_is_finished_by_the_next_even_a_failing_one(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"content/articles/third.md": ARTICLE.format(title="Third", body="Third words.")})
    assert run(root) == 0
    page = root / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
    (root / "content/articles/third.md").unlink()  # its page and folder must go
    clean = tmp_path / "clean"
    assert run(root, "build", "--no-cache", "--out", str(clean)) == 0  # the site the killed build made
    script = KILL_WHILE_PUBLISHING.format(repo=str(REPO), root=str(root))
    assert subprocess.run([sys.executable, "-c", script]).returncode == -signal.SIGKILL
    assert list((root / "_site").glob(".publishing-*"))  # half published
    (root / "content/articles/first-op-ed.md").write_text("---\nbroken: [\n---\n")
    assert run(root) == 1  # fails on its own input, but first finishes what the killed build began
    assert read_tree(root / "_site") == read_tree(clean)
    assert not list((root / "_site").glob(".publishing-*")) and not list((root / "_site").glob(".staging-*"))


def test_a_failure_while_publishing_is_said_plainly_and_the_next_build_finishes_it(
    make_site: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno
    import os

    import manifesto.write as write

    root = make_site()
    assert run(root) == 0
    page = root / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
    real_replace = os.replace

    def full_disk(source: str, target: str) -> None:
        if ".publishing-" in str(source):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real_replace(source, target)

    monkeypatch.setattr(write.os, "replace", full_disk)
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert "could not move the new site into place: No space left on device" in err and "Traceback" not in err
    assert "The previous site was left as it was" not in err  # it was not: it is half moved in
    monkeypatch.setattr(write.os, "replace", real_replace)
    assert run(root) == 0
    assert run(root, "build", "--no-cache", "--out", str(tmp_path / "clean")) == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")
    assert not list((root / "_site").glob(".publishing-*"))


def test_an_output_folder_that_is_a_file_is_refused(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    (root / "_site").write_text("not a folder")
    assert run(root) == 1
    assert "the output folder is a file" in capsys.readouterr().err
    assert (root / "_site").read_text() == "not a folder"


def test_a_rebuild_removes_only_files_it_wrote_and_never_writes_through_a_link(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"content/articles/third.md": ARTICLE.format(title="Third", body="Third words.")})
    assert run(root) == 0
    site = root / "_site"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(site / "articles", elsewhere / "articles")
    (site / "articles").symlink_to(elsewhere / "articles")  # the op-eds' folder replaced by a link
    (site / "own.html").write_text("put here by hand")
    (site / "own-folder/deeper").mkdir(parents=True)
    (site / "authors/own-note.txt").write_text("put here by hand")
    outside = read_tree(elsewhere)
    (root / "content/articles/third.md").unlink()  # its page, written by the build, must go
    assert run(root) == 0
    clean = tmp_path / "clean"
    assert run(root, "build", "--no-cache", "--out", str(clean)) == 0
    own = {"own.html": b"put here by hand", "authors/own-note.txt": b"put here by hand"}
    assert read_tree(site) == read_tree(clean) | own  # the files put there by hand are kept
    assert (site / "own-folder/deeper").is_dir() and not (site / "articles/third").exists()
    assert not (site / "articles").is_symlink()
    assert read_tree(elsewhere) == outside  # nothing written or deleted through the link


def test_an_output_folder_given_as_a_link_is_built_into_the_folder_it_links_to(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"content/articles/third.md": ARTICLE.format(title="Third", body="Third words.")})
    served = tmp_path / "served"  # as a web server's folder might be
    (root / "_site").symlink_to(served, target_is_directory=True)
    assert run(root) == 0
    assert (served / "articles/third/index.html").is_file()
    (root / "content/articles/third.md").unlink()
    assert run(root) == 0
    assert (root / "_site").is_symlink() and not (served / "articles/third").exists()
    assert run(root, "build", "--no-cache", "--out", str(tmp_path / "clean")) == 0
    assert read_tree(served) == read_tree(tmp_path / "clean")
    assert not list(tmp_path.glob(".staging-*")) and not list(served.glob(".staging-*"))


def test_every_page_forbids_inline_evaluated_and_third_party_script(make_site: Callable[..., Path]) -> None:
    root = make_site()
    run(root)
    for path, data in read_tree(root / "_site").items():
        if path.endswith(".html"):
            text = data.decode()
            policy = text.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
            # Scripts from the site itself only: no inline script, no eval, no WebAssembly.
            assert "script-src 'self';" in policy and "unsafe" not in policy, path
            assert "<script>" not in text and not re.search(r"<[^>]*\son[a-z]+=", text), path


# Property-based: no input makes these raise anything but the one user-error type.


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_front_matter_parser_raises_only_build_errors(text: str) -> None:
    try:
        split = split_front_matter(text, Path("x.md"))
        doc = parse_yaml(split.yaml_text, Path("x.md"), split.yaml_first_line)
        check_fields(doc, doc.root, ARTICLE_FIELDS, "front matter")
    except BuildError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(ARTICLE_FIELDS) + ["titel", "x"]),
        st.one_of(
            st.text(), st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=5), max_size=3)
        ),
    )
)
def test_any_yaml_front_matter_gives_values_or_build_errors(values: dict[str, object]) -> None:
    text = "---\n" + yaml.safe_dump(values, allow_unicode=True) + "---\nBody\n"
    try:
        split = split_front_matter(text, Path("x.md"))
        doc = parse_yaml(split.yaml_text, Path("x.md"), split.yaml_first_line)
        _, errors = check_fields(doc, doc.root, ARTICLE_FIELDS, "front matter")
    except BuildError:
        return
    assert all(isinstance(error, BuildError) and error.line for error in errors)


def split_front_matter_by_lines(text: str) -> tuple[str, int, str, int] | None:
    """The definition split_front_matter follows, on every line of the file."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    return None


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(["---", "...", "--- ", " ---", "a: b", "", "\r", "x", " "]), max_size=8).map(
        "\n".join
    )
)
def test_front_matter_splits_as_its_lines_say(text: str) -> None:
    try:
        split = split_front_matter(text, Path("x.md"))
    except BuildError:
        assert split_front_matter_by_lines(text) is None
    else:
        assert (split.yaml_text, split.yaml_first_line, split.body, split.body_first_line) == (
            split_front_matter_by_lines(text)
        )


@given(st.text())
def test_slugify_gives_a_slug_or_nothing(text: str) -> None:
    slug = slugify(text)
    assert slug == "" or is_slug(slug)
    assert "/" not in slug and ".." not in slug


@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from("ab9 -'’éﬁ①\u0301Σ\n"), min_size=100, max_size=160),
    st.integers(min_value=1, max_value=40),
)
def test_a_slug_of_a_few_words_is_the_slug_of_the_whole_text_cut_short(text: str, words: int) -> None:
    from manifesto.slugs import slug_words

    assert slugify(text, max_words=words) == "-".join(slug_words(text)[:words])


def test_flatten_keeps_our_bugs_apart() -> None:
    group = ExceptionGroup("x", [BuildError("a.md", 1, "p"), KeyError("bug")])
    assert flatten(group) is None
    assert flatten(ExceptionGroup("x", [BuildError("a.md", 1, "p")])) is not None


def test_bad_site_yaml_and_template_never_show_a_traceback(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": "title: [\n", "templates/page.html": "{% if %}"})
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "site.yaml:" in result.stderr and "Traceback" not in result.stderr


def test_an_output_folder_that_cannot_be_created_is_a_clear_error(
    make_site: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert run(root, "build", "--out", str(blocker / "_site")) == 1
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and "Traceback" not in err


# Markdown syntax, words, the characters the smarty pass looks at (quotes, dashes, full stops), and what
# each inline pattern needs or Markdown rewrites first (tabs, line ends, its own marker characters).
MARKDOWN_PIECES = st.sampled_from(
    [
        "word",
        "Council",
        " ",
        "\n",
        "\n\n",
        "*",
        "_",
        "`",
        "[",
        "]",
        "(",
        ")",
        "#",
        "\n## ",
        " {#own-id}",
        ' {: data-toc-label="Short" }',
        "\n===",
        "[TOC]",
        "> ",
        "- ",
        "1. ",
        "|",
        ":",
        "[^1]",
        "\n[^1]: note",
        "&",
        "&amp;",
        "<",
        ">",
        "\\",
        "'",
        '"',
        "-",
        "--",
        ".",
        "...",
        "é",
        "£5",
        "!",
        "![",
        "](x.md)",
        "]: /x/",
        "<http://a.b>",
        "<a@b.c>",
        "  ",
        "\t",
        "\r\n",
        "\x02",
        "&#8617;",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(MARKDOWN_PIECES, max_size=40).map("".join))
@example("..\x02.")  # Markdown deletes its marker characters first: "..." makes an ellipsis
@example("[\x03TOC]\n\n# Heading")
def test_a_body_converts_the_same_with_only_the_passes_it_needs(text: str) -> None:
    """The renderer leaves out smart punctuation and the inline patterns a body cannot use: only safe if
    they could not have changed it. Compared with the converter that has every pass."""
    context = LinkContext("", "/articles/x/", PurePosixPath("content/articles"), {})

    def convert(converter: Converter) -> str:
        converter.md.reset()
        converter.processor.notes = BodyNotes()
        converter.processor.context = context
        return converter.md.convert(text)

    assert BodyRenderer().render(text, context).html == convert(make_converter(FULL_CONVERTER))


def test_the_inline_pass_still_has_the_method_that_tries_each_pattern() -> None:
    from markdown.treeprocessors import InlineProcessor

    from manifesto.body import InlineByNeeds

    # InlineByNeeds overrides it: were it renamed in a Markdown release, the override would go unused.
    assert "_InlineProcessor__applyPattern" in vars(InlineProcessor)
    for kind in (converter_kind("Text."), FULL_CONVERTER):
        assert isinstance(make_converter(kind).md.treeprocessors["inline"], InlineByNeeds)
    assert not make_converter(FULL_CONVERTER).md.treeprocessors["inline"].needs  # it tries every pattern


def test_the_converter_has_every_pass_of_markdown_extra_by_name() -> None:
    import markdown
    from markdown.treeprocessors import InlineProcessor

    from manifesto.body import AnchorsAndLinks, InlineByNeeds

    # The extensions are given as objects (no entry point search); the passes must be "extra"'s.
    by_name = markdown.Markdown(extensions=["extra", "toc", "smarty"])
    ours = make_converter(FULL_CONVERTER).md
    by_name.preprocessors.deregister("html_block")
    by_name.inlinePatterns.deregister("html")
    for registry in ("preprocessors", "parser.blockprocessors", "inlinePatterns", "treeprocessors"):
        owner_by_name, owner = by_name, ours
        for attribute in registry.split("."):
            owner_by_name, owner = getattr(owner_by_name, attribute), getattr(owner, attribute)
        # InlineByNeeds is Markdown's inline pass, counting its work.
        ours_types = [
            InlineProcessor if isinstance(item, InlineByNeeds) else type(item)
            for item in owner
            if not isinstance(item, AnchorsAndLinks)
        ]
        assert ours_types == [type(item) for item in owner_by_name], registry
    assert [type(item) for item in ours.postprocessors] == [type(item) for item in by_name.postprocessors]


def test_a_body_needs_only_the_passes_its_text_can_use() -> None:
    plain = converter_kind("Councils *must* act. See [the plan](plan.md).")
    assert not plain.smart_punctuation
    assert {"backtick", "escape", "entity", "autolink", "image_link", "linebreak"} <= plain.skipped_patterns
    assert not {"link", "em_strong"} & plain.skipped_patterns
    assert converter_kind("Councils can't wait.").smart_punctuation
    # Markdown turns tabs into spaces before the inline patterns run, so a tab keeps every pattern.
    assert converter_kind("a\tb") == FULL_CONVERTER
    assert converter_kind("word").skipped_patterns == frozenset(INLINE_PATTERN_NEEDS)
    assert not converter_kind("## Heading").table_of_contents
    assert converter_kind("[TOC]\n\n## Heading").table_of_contents


CONVERT_SCRIPT = """
import sys
import time
from pathlib import PurePosixPath
sys.path.insert(0, {repo!r})
from manifesto.body import BodyRenderer, LinkContext
text = sys.stdin.read()
body = BodyRenderer().render(text, LinkContext("", "/x/", PurePosixPath("content/pages"), {{}}))
print(len(body.anchors), *body.problems)
"""


def converted_within(text: str, seconds: float) -> str:
    """What converting ``text`` says (its number of ids, its problems), in a process that may take at most
    ``seconds``; a conversion whose time grows with the square of the text's length takes minutes."""
    script = CONVERT_SCRIPT.format(repo=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", script], input=text, capture_output=True, text=True, timeout=seconds
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_many_equal_paragraphs_get_their_numbered_ids_in_linear_time() -> None:
    # Each repeat used to try every number before its own: 40,000 paragraphs took about two minutes.
    assert converted_within("Same words.\n\n" * 40_000, seconds=60) == "40000\n"
    context = LinkContext("", "/x/", PurePosixPath("content/pages"), {})
    ids = BodyRenderer().render("A.\n\nA.\n\n# A 2 {#a-3}\n\nA.\n\nA.\n\nA-2.\n", context).anchors
    assert ids == {"a", "a-2", "a-3", "a-4", "a-5", "a-2-2"}


def test_many_references_to_one_footnote_are_numbered_in_linear_time_as_markdown_numbers_them() -> None:
    import markdown

    # Each reference used to try every number from 2: 8,000 took minutes.
    said = converted_within("A point.[^1]\n\n" * 8_000 + "[^1]: The source.", seconds=60)
    assert said == "16001\n"  # 8,000 paragraph ids, 8,000 reference ids, the note
    text = "A[^1] b[^2] c[^1][^1] d[^a:b] e[^a:b]\n\nf[^1]\n\n[^1]: one\n[^2]: two\n[^a:b]: three"
    ours = BodyRenderer().render(text, LinkContext("", "/x/", PurePosixPath("content/pages"), {})).html
    plain = markdown.markdown(text, extensions=["footnotes"])
    footnote_ids = re.compile(r'(?:id|href)="(#?fn[^"]*)"')
    assert footnote_ids.findall(ours) == footnote_ids.findall(plain)
    assert "fnref4:1" in ours


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000,
        "![" * 25_000,
        "[^" * 25_000,
        "[a][" * 12_500,
        "[a](" * 12_500,
        " ".join(f"[a](https://e.org/{n})" for n in range(200_000)),
        "'" * 100_000,
    ],
    ids=["brackets", "images", "footnotes", "references", "addresses", "links", "quotes"],
)
def test_markdown_that_would_take_minutes_is_refused_within_seconds(text: str) -> None:
    said = converted_within(text, seconds=60)
    assert "this paragraph is too long, or has too many unclosed" in said


def test_fenced_code_is_a_block_of_its_own_never_inside_a_paragraph(make_site: Callable[..., Path]) -> None:
    body = "Before the code:\n```\nlet x = 1;\n```\n\n```python\n<b>not bold</b>\n```\n"
    root = make_site({"content/pages/about.md": f"---\ntitle: About\n---\n\n{body}"})
    assert run(root) == 0
    page = (root / "_site/about/index.html").read_text()
    assert '<p id="before-the-code">Before the code:</p>\n<pre><code>let x = 1;\n</code></pre>' in page
    assert '<pre><code class="language-python">&lt;b&gt;not bold&lt;/b&gt;\n</code></pre>' in page
    assert not re.search(r"<p[^>]*>\s*<pre", page)


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended, and waits to be reaped


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the workers")
def test_a_build_killed_with_sigkill_leaves_no_worker_running(make_site: Callable[..., Path]) -> None:
    from manifesto.pool import worker_count

    if worker_count(1_000) == 1:
        pytest.skip("this machine builds in one process")
    body = "Councils need a fair settlement and the power to use it well. " * 300
    root = make_site(
        {f"content/articles/op-ed-{n}.md": ARTICLE.format(title=f"Op-ed {n}", body=body) for n in range(300)}
    )
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root)])
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and build.poll() is None and time.monotonic() < deadline:
        workers |= children_of(build.pid)
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert len(workers) >= 2, "the build ended before its workers were seen"
    deadline = time.monotonic() + 10
    while any(map(is_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(is_running, workers))


def test_e_mail_autolinks_build_and_attribute_lists_keep_only_known_attributes(
    make_site: Callable[..., Path],
) -> None:
    body = (
        "Write to <jo@example.org>.\n\n"
        '[Our plan](https://example.org/plan){: lang="fr" title="Plan" srcset="x.png 2x" '
        'ping="https://tracker.example/" xlink:href="javascript:alert(1)" onclick="x()" style="color:red" }\n'
    )
    root = make_site({"content/pages/about.md": f"---\ntitle: About\n---\n\n{body}"})
    assert run(root) == 0
    page = (root / "_site/about/index.html").read_text()
    mailto = "".join(f"&#{ord(c)};" for c in "mailto:jo@example.org")
    assert f'<a href="{mailto}">' in page
    assert '<a href="https://example.org/plan" lang="fr" title="Plan">Our plan</a>' in page
    assert not re.search("srcset|ping=|xlink|onclick|color:red|tracker", page)


def test_a_proposal_source_when_there_are_no_op_eds_says_so(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site({"content/articles/first-op-ed.md": None, "content/articles/second-op-ed.md": None})
    assert run(root) == 1
    assert (
        "content/chapters/fair-funding.md:6: proposal source: no op-ed 'first-op-ed'\n"
        "  hint: there are no op-eds yet: add one in content/articles/"
    ) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda path: path.symlink_to("gone.md"),
            "content/articles/third.md: this links to gone.md, which does not exist",
        ),
        (os.mkfifo, "content/articles/third.md: this is not a file that can be read (a named pipe"),
        (
            lambda path: path.symlink_to("/dev/null"),
            "content/articles/third.md: this is not a file that can be read",
        ),
    ],
    ids=["link-to-nothing", "named-pipe", "link-to-a-device"],
)
def test_a_markdown_name_that_is_no_file_is_reported_not_skipped(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], None],
    expected: str,
) -> None:
    root = make_site()
    make(root / "content/articles/third.md")
    assert run(root) == 1
    assert expected in capsys.readouterr().err


def test_cache_files_that_are_pipes_or_links_to_devices_are_ignored(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site()
    assert run(root) == 0
    cache_files = sorted((root / ".cache").glob("*.bin"))
    assert len(cache_files) >= 2
    cache_files[0].unlink()
    os.mkfifo(cache_files[0])  # reading it would wait for a writer for ever
    cache_files[1].unlink()
    cache_files[1].symlink_to("/dev/zero")  # reading it would fill the memory
    page = root / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root)]
    assert subprocess.run(command, timeout=120).returncode == 0
    assert run(root, "build", "--no-cache", "--out", str(tmp_path / "clean")) == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def home_folder(folder: Path) -> None:
    """A folder of someone's own files, as ``--out ~`` would find."""
    (folder / "Documents").mkdir(parents=True)
    (folder / "Documents/letter.txt").write_text("Dear councillor")
    (folder / ".ssh").mkdir()
    (folder / ".ssh/id_ed25519").write_text("secret key")
    (folder / ".bashrc").write_text("export PATH")


def earlier_site_and_a_letter(folder: Path) -> None:
    """A site built before output folders were marked, with a file of someone's beside it."""
    earlier_site(folder)
    (folder / "letter.txt").write_text("Dear councillor")


def earlier_site(folder: Path) -> None:
    from manifesto.write import EVERY_SITE_FILE

    for relative in (*EVERY_SITE_FILE, "articles/x/index.html", "assets/style.css", "images/a.png"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text("from an earlier build")


def a_mark_that_is_a_link(folder: Path) -> None:
    home_folder(folder)
    (folder / ".manifesto-site").symlink_to(folder / ".bashrc")


def a_page_of_ones_own(folder: Path) -> None:
    (folder / "index.html").write_text("<p>my own home page</p>")


# (what the output folder holds before the build, whether it is given as a link to that folder)
FOREIGN_OUTPUT_FOLDERS = [
    pytest.param(home_folder, False, id="home-folder"),
    pytest.param(home_folder, True, id="home-folder-through-a-link"),
    pytest.param(earlier_site_and_a_letter, False, id="earlier-site-with-another-file"),
    pytest.param(a_mark_that_is_a_link, False, id="mark-that-is-a-link"),
    pytest.param(a_page_of_ones_own, False, id="one-own-page"),
]


@pytest.mark.parametrize(("fill", "linked"), FOREIGN_OUTPUT_FOLDERS)
def test_an_output_folder_not_made_by_the_build_is_refused_and_left_as_it_was(
    make_site: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fill: Callable[[Path], None],
    linked: bool,
) -> None:
    root = make_site()
    folder = tmp_path / "home"
    folder.mkdir()
    fill(folder)
    before = read_tree(folder)
    links = sorted(path for path in folder.rglob("*") if path.is_symlink())
    out = folder
    if linked:
        out = root / "_site"
        out.symlink_to(folder, target_is_directory=True)
    assert run(root, "build", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "this folder already holds files that were not built here" in err
    assert "hint: build into a new or empty folder" in err and "Traceback" not in err
    assert "Nothing in that folder was changed." in err
    assert read_tree(folder) == before
    assert sorted(path for path in folder.rglob("*") if path.is_symlink()) == links
    assert not [path for path in folder.iterdir() if path.name.startswith((".staging-", ".publishing-"))]


def test_an_empty_folder_and_a_site_built_before_folders_were_marked_are_built_into(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(root, "build", "--out", str(empty)) == 0
    assert (empty / "index.html").is_file() and (empty / ".manifesto-site").is_file()
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    earlier_site(earlier)
    assert run(root, "build", "--out", str(earlier)) == 0
    assert read_tree(earlier) == read_tree(empty)  # its stale pages (articles/x/) removed
    assert not (earlier / "articles/x").exists()


def test_the_mark_lists_the_files_the_build_wrote(make_site: Callable[..., Path]) -> None:
    from manifesto.write import read_mark

    root = make_site()
    assert run(root) == 0
    site = root / "_site"
    files = {path for path in read_tree(site) if path != ".manifesto-site"}
    assert read_mark(site) == files
    assert (site / ".manifesto-site").read_text().startswith("# Built by python build.py")


@pytest.mark.parametrize(
    ("own", "shown"),
    [
        ("extra/index.html", "extra/index.html"),  # where the new page goes
        ("extra", "extra"),  # a file where the new page's folder goes
        ("feed.xml/notes.txt", "feed.xml"),  # a folder where the site has a file
    ],
)
def test_a_file_of_ones_own_where_the_new_site_has_one_is_refused_and_kept(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], own: str, shown: str
) -> None:
    root = make_site()
    assert run(root) == 0
    (root / "_site/feed.xml").unlink()
    (root / "_site" / own).parent.mkdir(parents=True, exist_ok=True)
    (root / "_site" / own).write_text("my own")
    before = read_tree(root / "_site")
    (root / "content/pages/extra.md").write_text("---\ntitle: Extra\n---\n\nA new page.\n")
    capsys.readouterr()
    assert run(root) == 1
    err = capsys.readouterr().err
    assert f"_site/{shown}: the new site has a file or folder here, and what is here was not written" in err
    assert read_tree(root / "_site") == before


@contextmanager
def mounted_tmpfs(folder: Path) -> Iterator[Callable[[str], None]]:
    """A tmpfs mounted on ``folder`` (as a Docker volume would be), unmounted on the way out; the test is
    skipped where mounting needs rights the tests lack. Yields a way to remount it with options ("ro")."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a file system needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)

    try:
        yield remount
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_an_output_folder_that_is_a_mount_point_is_built_into_and_rebuilt(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"content/articles/third.md": ARTICLE.format(title="Third", body="Third words.")})
    with mounted_tmpfs(root / "_site"):
        assert os.stat(root / "_site").st_dev != os.stat(root).st_dev
        assert run(root) == 0
        (root / "content/articles/third.md").unlink()
        assert run(root) == 0
        assert run(root, "build", "--no-cache", "--out", str(tmp_path / "clean")) == 0
        assert read_tree(root / "_site") == read_tree(tmp_path / "clean")
        assert not [path for path in (root / "_site").iterdir() if path.name.startswith(".staging-")]


def test_a_read_only_output_folder_is_said_to_be_read_only(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    with mounted_tmpfs(root / "_site") as remount:
        assert run(root) == 0
        before = read_tree(root / "_site")
        remount("ro")
        page = root / "content/pages/about.md"
        page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
        capsys.readouterr()
        assert run(root) == 1
        err = capsys.readouterr().err
        assert "_site: cannot write into the output folder: Read-only file system" in err
        assert "cross-device" not in err and "Traceback" not in err
        assert "The previous site was left as it was" in err
        assert read_tree(root / "_site") == before


def test_a_build_waits_for_another_into_the_same_folder_and_says_so_when_it_takes_too_long(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from manifesto import write

    root = make_site()
    assert run(root) == 0
    before = read_tree(root / "_site")
    monkeypatch.setattr(write, "LOCK_WAIT_SECONDS", 0.3)
    held = os.open(root / "_site", os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another build holds it
        capsys.readouterr()
        assert run(root) == 1
        err = capsys.readouterr().err
        assert "_site: another build has been writing into this folder for over 0 s" in err
        assert read_tree(root / "_site") == before
    finally:
        os.close(held)
    assert run(root) == 0


def test_two_builds_at_once_into_the_same_folder_both_succeed(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"content/articles/third.md": ARTICLE.format(title="Third", body="Third words.")})
    assert run(root) == 0
    page = root / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are councillors", "We are the councillors"))
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root)]
    for _ in range(3):
        builds = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        results = [build.communicate() + (build.returncode,) for build in builds]
        assert [code for _, _, code in results] == [0, 0], results
    assert run(root, "build", "--no-cache", "--out", str(tmp_path / "clean")) == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")
    assert not [
        path for path in (root / "_site").iterdir() if path.name.startswith((".staging-", ".publishing-"))
    ]


def refuse_to_open(monkeypatch: pytest.MonkeyPatch, refused: Path) -> None:
    """Opening ``refused`` (a folder to list or a file to read) fails as it does without permission.

    The tests run as root, whom permissions do not stop, so the system calls are made to fail."""
    from manifesto import load

    def denied(path: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    real_scandir, real_open = os.scandir, open

    def scandir(path: object) -> object:
        return denied(path) if Path(str(path)) == refused else real_scandir(path)  # type: ignore[arg-type]

    def open_file(path: object, *args: object, **kwargs: object) -> object:
        return denied(path) if Path(str(path)) == refused else real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(load.os, "scandir", scandir)
    monkeypatch.setattr(load, "open", open_file, raising=False)


@pytest.mark.parametrize(
    ("refused", "expected"),
    [
        ("content/articles", "content/articles: cannot read this folder: Permission denied"),
        ("templates", "templates: cannot read this folder: Permission denied"),
        ("content/images", "content/images: cannot read this folder: Permission denied"),
        ("templates/page.html", "templates/page.html: cannot read this file: Permission denied"),
    ],
)
def test_an_unreadable_folder_or_template_is_a_clear_error(
    make_site: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    refused: str,
    expected: str,
) -> None:
    root = make_site()
    (root / "content/images").mkdir()
    refuse_to_open(monkeypatch, root / refused)
    assert run(root) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root may read any file: the test above fails the calls instead"
)
def test_an_unreadable_folder_is_a_clear_error_when_not_root(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_site()
    (root / "content/articles").chmod(0)
    try:
        assert run(root) == 1
    finally:
        (root / "content/articles").chmod(0o755)
    assert "content/articles: cannot read this folder: Permission denied" in capsys.readouterr().err


def is_forbidden(character: str) -> bool:
    """The characters no page may hold, by definition: controls other than tab and line ends, and
    Unicode's noncharacters."""
    code = ord(character)
    control = code < 0x20 and character not in "\t\n\r" or 0x7F <= code <= 0x9F
    return control or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=["Cs"]), max_size=40))
@example("A smile 🙂 then \U0001fffe")
@example("🙂\ufdd0")
@example("\U0010ffff")
def test_the_first_forbidden_character_is_found_among_any_others(text: str) -> None:
    expected = next((index for index, character in enumerate(text) if is_forbidden(character)), None)
    assert forbidden_position(text) == expected
