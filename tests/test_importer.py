"""The importer: pasted news-page text -> article file. Fixtures in tests/fixtures/importer are made up."""

from __future__ import annotations

import datetime
import re
import textwrap
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifesto.errors import BuildError, flatten
from manifesto.importer import (
    ImportedArticle,
    ImportNote,
    ImportReport,
    RemovedBlock,
    article_file_text,
    escape_markdown,
    format_report,
    import_files,
    parse_raw_article,
    scaffold_article,
    scaffold_chapter,
)
from manifesto.pipeline import render_all
from manifesto.render import RenderOptions

FIXTURES = Path(__file__).parent / "fixtures" / "importer"
SEEDS = Path("/work/shared/seeds")
ARTICLE_KEYS = [
    "title",
    "author",
    "bio",
    "social",
    "date",
    "chapter",
    "chapters",
    "summary",
    "photo_credit",
    "draft",
]
CHAPTER_KEYS = ["title", "order", "summary", "proposals", "draft"]


# --- Helpers: reading what the importer wrote, independently of the importer -----------------------------


class ParagraphText(HTMLParser):
    """The text of each top-level block of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            self.blocks.append((tag, ""))
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.blocks:
            tag, text = self.blocks[-1]
            self.blocks[-1] = (tag, text + data)


def rendered_paragraphs(body_markdown: str) -> list[str]:
    """Render as the site does (python-markdown with "extra"); every block must come out as a plain <p>."""
    parser = ParagraphText()
    parser.feed(markdown.markdown(body_markdown, extensions=["extra"]))
    assert [tag for tag, _ in parser.blocks] == ["p"] * len(parser.blocks), body_markdown
    return [squash(text) for _, text in parser.blocks]


def squash(text: str) -> str:
    return " ".join(text.split())


def split_file(text: str) -> tuple[dict, str]:
    lines = text.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1 :])


def fixture(name: str) -> ImportedArticle:
    return parse_raw_article((FIXTURES / name).read_text(encoding="utf-8"))


# --- Fixtures that mimic news pages: exact front matter and body ------------------------------------------


def test_byline_caption_and_lost_link_in_bio() -> None:
    article = fixture("byline_caption.txt")
    assert article_file_text(article, "housing") == textwrap.dedent(
        """\
        ---
        title: "Councils can fix the housing crisis if Whitehall lets them"
        author: "Maria Lopez"
        bio: "Maria Lopez is cabinet member for housing at Anytown council. She tweets @maria_lopez."
        social: ["@maria_lopez"]
        chapter: "housing"
        summary: "For ten years we have been told that councils cannot build homes. That was never true."
        ---

        For ten years we have been told that councils cannot build homes. That was never true.

        In Anytown we have started 300 council homes since 2019, paid for by borrowing against the rents they will bring in.

        Give us the powers and we will build the rest.
        """
    )
    assert article.removed == (
        RemovedBlock(1, 1, "headline, now the title", "Councils can fix the housing crisis if Whitehall…"),
        RemovedBlock(3, 3, "byline, now the author", "Maria Lopez"),
        RemovedBlock(5, 5, "lone caption", "the bus depot"),
        RemovedBlock(
            13, 13, "author bio, now in front matter", "Maria Lopez is cabinet member for housing at…"
        ),
        RemovedBlock(13, 13, "link text whose link was lost", "Read her full report here"),
    )
    assert article.notes == ()
    assert article.slug() == "councils-can-fix-the-housing-crisis-if-whitehall"


def test_a_bio_sentence_ending_in_here_that_was_no_link_stays() -> None:
    article = parse_raw_article(
        "A headline\n\nJo Bloggs\n\nThe op-ed begins with a sentence of prose here.\n\n"
        "Jo Bloggs is a councillor in Leeds. She was born and raised here.\n"
    )
    assert article.bio == "Jo Bloggs is a councillor in Leeds. She was born and raised here."


def test_comment_thread_is_removed_and_its_dates_are_not_the_publication_date() -> None:
    article = fixture("comment_thread.txt")
    front, body = split_file(article_file_text(article, "parks"))
    assert front == {
        "title": "Why parks matter more than ever",
        "author": "Tom Reed",
        "bio": "Tom Reed is a councillor in Northtown and chairs its parks committee.",
        "date": datetime.date(2021, 3, 5),
        "chapter": "parks",
        "summary": "Parks are the only free space left in many towns. When budgets are cut, they are the first to go, and they are the hardest to bring back.",
    }
    assert body == (
        "\nParks are the only free space left in many towns. When budgets are cut, they are the first to go, "
        "and they are the hardest to bring back.\n\nWe should protect them in law, as we protect libraries.\n"
    )
    assert article.removed[-1] == RemovedBlock(13, 26, "reader comments", "3 Comments")


def test_comment_dates_are_never_taken_as_the_date() -> None:
    text = (FIXTURES / "comment_thread.txt").read_text(encoding="utf-8")
    article = parse_raw_article(text.replace("Published on 5 March 2021\n", ""))
    assert article.date is None
    assert "Nonsense" not in article.body_markdown


def test_appeals_and_more_from_block_go_but_similar_body_sentences_stay() -> None:
    article = fixture("appeals_more_from.txt")
    assert (article.title, article.author, article.bio) == (
        "The case for a four-day week in the town hall",
        "Jo Bloggs",
        "Jo Bloggs is a researcher at the Institute for Local Work.",
    )
    assert rendered_paragraphs(article.body_markdown) == [
        "A council that trusts its staff gets more done. We tried it for six months, and sickness absence fell by a third.",
        "Some said donations from big firms paid for the trial. They did not; it cost nothing.",
        "If you can afford it, you should still take the full week off once a year, as any good employer would tell you.",
    ]
    assert [(entry.first_line, entry.last_line, entry.reason) for entry in article.removed] == [
        (1, 1, "headline, now the title"),
        (9, 9, "author bio, now in front matter"),
        (11, 15, "related articles"),
        (17, 21, "donation or subscription appeal"),
    ]


def test_separators_photo_credit_and_no_headline() -> None:
    article = fixture("separators_credit.txt")
    front, body = split_file(article_file_text(article, ""))
    assert front == {
        "title": "",
        "headline_by": "editors",
        "author": "Ann Example",
        "bio": "Ann Example is the leader of Anytown council. Follow her on Twitter: https://twitter.com/annexample",
        "social": ["https://twitter.com/annexample"],
        "chapter": "",
        "summary": "Councils are broke.",
        "photo_credit": "Jane Smith/Unsplash",
    }
    assert body == (
        "\nCouncils are broke.\n\nNot in the way a household is broke, but in the way a business with a good "
        "product and no working capital is: the demand is there and the money is not.\n"
    )
    assert article.notes == (
        ImportNote(
            None,
            'no headline found (the text opens with the article); title is "" — write one'
            " (it is marked as the editors': headline_by: editors)",
        ),
    )
    assert article.slug() == "ann-example-councils-are-broke"


def test_sentences_with_a_hidden_email_address_are_dropped_and_reported() -> None:
    article = fixture("email_placeholder.txt")
    assert article.body_markdown == (
        "We are collecting the best ideas from councils across the country. The deadline is 1 May.\n\n"
        "Every idea will be published in our booklet."
    )
    assert article.notes == (
        ImportNote(
            5,
            "left out a sentence whose e-mail address the page hid; restore the address by hand: "
            "“Send yours to [email protected] and we will credit you.”",
        ),
        ImportNote(
            7,
            "left out a sentence whose e-mail address the page hid; restore the address by hand: "
            "“[email&nbsp;protected]”",
        ),
    )
    assert "protected" not in article_file_text(article, "x")


def test_markdown_characters_are_escaped_and_render_as_written() -> None:
    article = fixture("markdown_specials.txt")
    assert article.body_markdown == textwrap.dedent(
        """\
        1\\. That is the number of buses an hour our town gets on a Sunday.

        \\# is what people type before our town's name when they complain online.

        Costs went up by \\*a lot\\* under the old\\_contract, and &lt;nobody> noticed; the \\`fare\\` code was \\[redacted\\] & AT&amp;amp;T style jargon hid it.

        \\- Not a list, just a dash of honesty: 5 > 3 and 2 + 2 = 4.

        &#58; a colon opener, \\{braces\\}, a \\| pipe and a back\\\\slash."""
    )
    source = (FIXTURES / "markdown_specials.txt").read_text(encoding="utf-8").split("\n\n")
    assert rendered_paragraphs(article.body_markdown) == [squash(p) for p in source[1:6]]


def test_crlf_bom_and_non_breaking_spaces() -> None:
    text = (
        "\ufeffA headline\u00a0with a non-breaking space\r\n\r\nBy Lee Chan\r\n\r\n"
        "The first\u00a0paragraph has  a “curly” quote and costs £5.  \r\n\r\n\r\n\r\n"
        "The second\u00a0one\u00a0follows.\u00a0\r\n\r\nLee Chan is a writer in Leeds and a parent.\r\n"
    )
    article = parse_raw_article(text.encode("utf-8").decode("utf-8"))
    assert article.title == "A headline with a non-breaking space"
    assert article.author == "Lee Chan"
    assert article.body_markdown == (
        "The first paragraph has a “curly” quote and costs £5.\n\nThe second one follows."
    )
    assert [(entry.first_line, entry.reason) for entry in article.removed] == [
        (1, "headline, now the title"),
        (3, "byline, now the author"),
        (11, "author bio, now in front matter"),
    ]


def test_paste_without_blank_lines_is_read_one_paragraph_per_line() -> None:
    article = parse_raw_article(
        "Town halls need a pay rise\nBy Ann Example\nThe first paragraph is a sentence.\n"
        "The second paragraph is another.\nAnn Example is a councillor in Anytown and writes often.\n"
    )
    assert (article.title, article.author) == ("Town halls need a pay rise", "Ann Example")
    assert article.body_markdown == "The first paragraph is a sentence.\n\nThe second paragraph is another."


def test_headline_byline_and_date_on_consecutive_lines_and_an_about_the_author_heading() -> None:
    article = parse_raw_article(
        "Town halls need a pay rise\nBy Ann Example\n24 January 2020\n\n"
        "The first paragraph is a sentence of prose here.\n\nAbout the author\n\n"
        "Ann Example, a councillor in Leeds, is standing again. She tweets @ann_example\n"
    )
    assert (article.title, article.author, article.date, article.social) == (
        "Town halls need a pay rise",
        "Ann Example",
        "2020-01-24",
        ("@ann_example",),
    )
    assert article.bio == "Ann Example, a councillor in Leeds, is standing again. She tweets @ann_example"
    assert article.body_markdown == "The first paragraph is a sentence of prose here."
    assert [(entry.first_line, entry.reason) for entry in article.removed] == [
        (1, "headline, now the title"),
        (2, "byline, now the author"),
        (3, "publication date, now in front matter"),
        (7, "page furniture"),
        (9, "author bio, now in front matter"),
    ]


@pytest.mark.parametrize(
    ("first_line", "is_title"),
    [
        ("Why councils matter", True),
        ("Is Labour finished?", True),
        ("Councils matter.", False),  # a sentence: the opening paragraph
        ("Labour lost. Badly", False),  # two sentences
        ("councils are where the work gets done", False),  # lower case: a paragraph's continuation
        (" ".join(["word"] * 25), False),  # a long opening that lost its full stop
        ("Councils are where the work gets done:", False),
    ],
)
def test_headline_or_one_line_opening(first_line: str, is_title: bool) -> None:
    text = f"{first_line}\n\nThe op-ed continues with a paragraph of running text that is clearly prose.\n"
    article = parse_raw_article(text)
    assert article.title == (first_line if is_title else "")
    assert (first_line in article.body_markdown) != is_title


def test_dated_byline_is_not_a_comment() -> None:
    article = parse_raw_article(
        "A headline\n\nBy Jane Doe on 24 January 2020 at 10:00 am\n\n"
        "The op-ed begins here with a sentence long enough to be prose, as op-eds do.\n"
    )
    assert (article.author, article.date) == ("Jane Doe", "2020-01-24")
    assert article.body_markdown.startswith("The op-ed begins")


def test_closing_paragraph_about_someone_else_stays_in_the_body() -> None:
    article = parse_raw_article(
        "A headline\n\nJane Doe\n\nThe op-ed begins here with a sentence long enough to be prose.\n\n"
        "Boris Johnson is wrong about councils and the public knows it.\n"
    )
    assert article.bio == ""
    assert article.body_markdown.endswith("Boris Johnson is wrong about councils and the public knows it.")
    assert article.notes == (
        ImportNote(
            7,
            "the closing paragraph reads like a bio of Boris Johnson, but the byline names Jane Doe; it was kept in the body",
        ),
    )


def test_an_impossible_stated_date_is_left_out_with_a_note() -> None:
    article = parse_raw_article(
        "A headline\n\nPublished on 31 February 2021\n\nThe op-ed begins with a sentence of prose here.\n"
    )
    assert article.date is None
    assert ImportNote(3, "“Published on 31 February 2021” is not a real date; date left out") in article.notes


# --- The five real pastes ---------------------------------------------------------------------------------

SEED_FACTS = {
    # file prefix: (title, author, social, photo credit)
    "000": (
        "Why it’s time for Labour to take local government seriously",
        "Joanne Harding",
        ["@Joanne13Harding"],
        "",
    ),
    "001": (
        "Labour councils are reinventing municipal socialism and trying to hold back austerity",
        "Adam Allnut",
        [],
        "",
    ),
    "002": (
        "Labour Together will rebuild the historic link between our party and the communities we aim to serve",
        "Sharon Taylor",
        [],
        "",
    ),
    "003": ("", "Jim McMahon", ["@CllrJimMcMahon"], "purplemattfish"),
    "004": ("", "Doug James", ["@darlodoug"], ""),
}
# What news pages put around an op-ed, as it appears in these pastes; a paragraph opening so is not body.
DEBRIS_OPENINGS = (
    "Leave a Comment",
    "More from",
    "We provide our content free",
    "If you can afford it",
    "And if you’re not already reading",
    "DONATE HERE",
    "SUBSCRIBE TO OUR DAILY EMAIL",
    "Photo:",
    "town hall",
)
COMMENT_HEADER = re.compile(r"^\d+\. .+ on \w+ \d+, \d{4} at \d+:\d+ [ap]m$")


def seed_paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8").replace("\u00a0", " ")
    return [squash(part) for part in re.split(r"\n\s*\n", text) if part.strip()]


def expected_body(paragraphs: list[str], title: str, author: str) -> list[str]:
    """The op-ed: the seed less its title and byline, debris, the comment thread and the author's bio."""
    body = []
    for paragraph in paragraphs:
        if COMMENT_HEADER.match(paragraph):
            break  # the rest of the page is the thread
        if paragraph in (title, author) or paragraph.startswith(DEBRIS_OPENINGS):
            continue
        if set(paragraph) <= set("—-_* ") or paragraph.startswith(f"{author} is") or "[email" in paragraph:
            continue
        body.append(paragraph)
    return body


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the real seed pastes are not on this machine")
@pytest.mark.parametrize("prefix", sorted(SEED_FACTS))
def test_real_seed_keeps_every_body_paragraph_and_drops_the_debris(prefix: str) -> None:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    title, author, social, credit = SEED_FACTS[prefix]
    article = parse_raw_article(path.read_text(encoding="utf-8"))
    assert (article.title, article.author, list(article.social), article.photo_credit, article.date) == (
        title,
        author,
        social,
        credit,
        None,
    )
    assert article.bio.startswith(f"{author} is ")
    paragraphs = seed_paragraphs(path)
    body = expected_body(paragraphs, title, author)
    assert len(body) >= 8
    assert rendered_paragraphs(article.body_markdown) == body

    file_text = article_file_text(article, "councils")
    _, written_body = split_file(file_text)
    for debris in (
        "Leave a Comment",
        "More from",
        "DONATE",
        "SUBSCRIBE",
        "[email",
        "Paula H K",
        "Glad to have you",
    ):
        assert debris not in file_text
    assert "——" not in file_text and "Photo:" not in file_text
    assert f"{author} is " not in written_body
    summary = article.summary.removesuffix("…")
    assert body[0].startswith(summary) and 20 <= len(summary) <= 200


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the real seed pastes are not on this machine")
def test_real_seeds_report_what_they_lost() -> None:
    articles = {
        p.name[:3]: parse_raw_article(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))
    }
    assert any(entry.reason == "reader comments" for entry in articles["000"].removed)
    assert articles["001"].notes[0].line == 28 and "[email protected]" in articles["001"].notes[0].message
    assert articles["002"].bio.endswith("deputy leader of the LGA Labour Group.")
    assert any(entry.reason == "link text whose link was lost" for entry in articles["002"].removed)
    assert articles["003"].slug() == "jim-mcmahon-the-challenges-labour-in-local"
    for prefix in ("003", "004"):
        assert any("no headline" in note.message for note in articles[prefix].notes)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the real seed pastes are not on this machine")
def test_generator_builds_imported_seeds_with_the_paragraphs_intact(make_site: Callable[..., Path]) -> None:
    root = make_site()
    seeds = [
        next(SEEDS.glob(f"{prefix}_*.txt")) for prefix in ("000", "001", "002")
    ]  # the ones with a headline
    reports = import_files(
        [str(p) for p in seeds],
        root / "content" / "articles",
        chapter="fair-funding",
        force=False,
        read_stdin=no_stdin,
    )
    site = render_all(root, RenderOptions()).site
    for seed, report in zip(seeds, reports, strict=True):
        title, author, _, _ = SEED_FACTS[seed.name[:3]]
        built = site.article(report.article.slug())
        assert (built.title, built.author, built.chapter) == (title, author, "fair-funding")
        parser = ParagraphText()
        parser.feed(str(built.body_html))
        assert [squash(text) for _, text in parser.blocks] == expected_body(
            seed_paragraphs(seed), title, author
        )


# --- Files: import_files, reports, errors -----------------------------------------------------------------


def no_stdin() -> bytes:
    raise AssertionError("stdin was read")


def test_import_writes_the_article_and_reports_it(tmp_path: Path) -> None:
    articles = tmp_path / "content" / "articles"
    source = FIXTURES / "byline_caption.txt"
    [report] = import_files([str(source)], articles, chapter="housing", force=False, read_stdin=no_stdin)
    written = articles / "councils-can-fix-the-housing-crisis-if-whitehall.md"
    assert report.written == written
    assert written.read_text(encoding="utf-8") == article_file_text(report.article, "housing")
    assert [p.name for p in articles.iterdir()] == [written.name]  # no temporary file left behind
    assert format_report(report) == textwrap.dedent(
        f"""\
        {source} -> {written.as_posix()}
          title: found (the headline, line 1)
          author: found (the byline, line 3)
          bio: found (the author's bio, line 13)
          date: missing (the text states no publication date; none was guessed)
          removed line 1 (headline, now the title): “Councils can fix the housing crisis if Whitehall…”
          removed line 3 (byline, now the author): “Maria Lopez”
          removed line 5 (lone caption): “the bus depot”
          removed line 13 (author bio, now in front matter): “Maria Lopez is cabinet member for housing at…”
          removed line 13 (link text whose link was lost): “Read her full report here”"""
    )


def test_import_from_stdin_without_a_chapter_warns(tmp_path: Path) -> None:
    data = (FIXTURES / "comment_thread.txt").read_bytes()
    [report] = import_files(["-"], tmp_path, chapter=None, force=False, read_stdin=lambda: data)
    assert report.source == "<stdin>"
    assert split_file(report.written.read_text(encoding="utf-8"))[0]["chapter"] == ""
    assert format_report(report).endswith(
        '  note: no --chapter given; chapter is "" — set it to the slug of a chapter'
    )


def test_format_report_shows_note_lines() -> None:
    article = fixture("email_placeholder.txt")
    lines = format_report(ImportReport("a.txt", Path("content/articles/x.md"), article)).split("\n")
    assert lines[0] == "a.txt -> content/articles/x.md"
    assert lines[-1].startswith("  note: line 7: left out a sentence")


def problems_of(error: pytest.ExceptionInfo[BaseException]) -> list[str]:
    found = flatten(error.value)
    assert found is not None, error.value
    return [str(problem) for problem in found]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the text is empty"),
        (b"  \n\xc2\xa0\n\t\n", "the text is empty"),
        (b"\xef\xbb\xbf", "the text is empty"),
        (b"PK\x03\x04\x00\x00binary", "this is a binary file, not text"),
        (b"A headline\n\nCosts \xa35 a week.\n", "this is not UTF-8 text (byte 0xa3)"),
        (
            b"More from The Post\n\nDONATE HERE\n\n---\n\nLeave a Comment\n",
            "nothing left after removing debris",
        ),
    ],
)
def test_bad_sources_are_errors_naming_the_file(tmp_path: Path, data: bytes, problem: str) -> None:
    source = tmp_path / "pasted.txt"
    source.write_bytes(data)
    with pytest.raises(BuildError) as error:
        import_files([str(source)], tmp_path / "articles", chapter="x", force=False, read_stdin=no_stdin)
    assert error.value.path == source
    assert error.value.problem == problem
    assert not (tmp_path / "articles").exists()


def test_non_utf8_error_gives_the_line(tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes("A headline\n\nCosts £5 a week.\n".encode("latin-1"))
    with pytest.raises(BuildError) as error:
        import_files([str(source)], tmp_path, chapter="x", force=False, read_stdin=no_stdin)
    assert str(error.value).startswith(f"{source.as_posix()}:3: this is not UTF-8 text")


def test_unreadable_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as error:
        import_files([str(tmp_path / "missing.txt")], tmp_path, chapter="x", force=False, read_stdin=no_stdin)
    assert error.value.problem.startswith("cannot read this file: No such file")


def test_existing_article_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    source = str(FIXTURES / "comment_thread.txt")
    target = tmp_path / "why-parks-matter-more-than-ever.md"
    target.write_text("hand-edited\n", encoding="utf-8")
    with pytest.raises(BuildError) as error:
        import_files([source], tmp_path, chapter="parks", force=False, read_stdin=no_stdin)
    assert error.value.path == target
    assert error.value.hint == "pass --force to replace it, or rename the existing file first"
    assert target.read_text(encoding="utf-8") == "hand-edited\n"
    import_files([source], tmp_path, chapter="parks", force=True, read_stdin=no_stdin)
    assert target.read_text(encoding="utf-8").startswith('---\ntitle: "Why parks matter more than ever"')


def test_all_problems_are_reported_together_and_nothing_is_written(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    good = str(FIXTURES / "comment_thread.txt")
    articles = tmp_path / "articles"
    with pytest.raises(ExceptionGroup) as error:
        import_files([good, str(empty), good], articles, chapter="Bad Slug", force=False, read_stdin=no_stdin)
    assert problems_of(error) == [
        "--chapter: 'Bad Slug' is not a chapter slug\n  hint: use the chapter file's name without .md, e.g. --chapter fair-funding",
        f"{empty.as_posix()}: the text is empty\n  hint: paste the article's text into the file",
        f"{good}: {good} and this file would both become {(articles / 'why-parks-matter-more-than-ever.md').as_posix()}\n"
        "  hint: import them one at a time and retitle the first",
    ]
    assert not articles.exists()


# --- Scaffolds --------------------------------------------------------------------------------------------


def uncommented(text: str) -> str:
    """The scaffold with every optional field switched on, as an editor would by deleting '# '."""
    return re.sub(r"^# (?=[ a-z_-]*:)|^#(?=   )", "", text, flags=re.MULTILINE)


def test_article_scaffold_has_every_field_explained() -> None:
    text = scaffold_article("Fair funding: what “fair” means", "fair-funding")
    front, body = split_file(text)
    assert front == {
        "title": "Fair funding: what “fair” means",
        "author": "",
        "chapter": "fair-funding",
        "summary": "",
    }
    everything, _ = split_file(uncommented(text))
    assert list(everything) == ARTICLE_KEYS
    field_lines = [line for line in text.split("\n") if re.match(r"^(# )?[a-z_]+:", line)]
    assert all("  # " in line for line in field_lines)
    assert body.strip()


def test_article_scaffold_rejects_a_bad_chapter() -> None:
    with pytest.raises(BuildError):
        scaffold_article("Title", "../outside")


def test_chapter_scaffold_has_every_field_explained() -> None:
    text = scaffold_chapter('Local "power"', 3)
    front, _ = split_file(text)
    assert front == {"title": 'Local "power"', "order": 3, "summary": ""}
    everything, _ = split_file(uncommented(text))
    assert list(everything) == CHAPTER_KEYS
    assert everything["proposals"] == [
        {
            "text": "Fund councils for the services the law requires of them.",
            "source": "article-slug#paragraph-anchor",
        }
    ]


# --- Properties -------------------------------------------------------------------------------------------

PAGE_LINES = st.sampled_from(
    [
        "",
        "",
        "A headline for the page",
        "By Jane Doe",
        "Jane Doe",
        "town hall",
        "Photo: someone",
        "———",
        "More from The Post",
        "DONATE HERE",
        "Leave a Comment",
        "  1. Sam on January 24, 2020 at 11:55 pm",
        "Published on 2 May 2019",
        "Jane Doe is a councillor. She tweets @jane_doe",
        "Write to me at [email protected] please.",
        "The op-ed has a sentence here that runs on for quite a few words, as prose does.",
        "1. # * _ ` [ ] < > & &amp; | : ~ \\ { } — “quoted” £5",
    ]
)
PASTES = st.one_of(
    st.text(), st.lists(st.one_of(PAGE_LINES, st.text(max_size=40)), max_size=25).map("\n".join)
)
# Characters the importer keeps as they are (it drops control and zero-width ones by design).
KEPT_CHARACTERS = st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))
MARKDOWN_LINE = st.text(
    alphabet=st.one_of(st.sampled_from(list("#*_`[]<>&;|:~\\{}()!-+=.1 aZ#x")), KEPT_CHARACTERS), min_size=1
)


@settings(max_examples=300, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PASTES, st.sampled_from(["", "fair-funding"]))
def test_any_text_gives_a_valid_article_or_a_build_error(text: str, chapter: str) -> None:
    try:
        article = parse_raw_article(text)
    except BuildError as error:
        assert error.problem in ("the text is empty", "nothing left after removing debris")
        return
    front, body = split_file(article_file_text(article, chapter))
    expected: dict[str, object] = {"title": article.title, "author": article.author}
    expected |= {} if article.title else {"headline_by": "editors"}
    expected |= {"bio": article.bio} if article.bio else {}
    expected |= {"social": list(article.social)} if article.social else {}
    expected |= {"date": datetime.date.fromisoformat(article.date)} if article.date else {}
    expected |= {"chapter": chapter, "summary": article.summary}
    expected |= {"photo_credit": article.photo_credit} if article.photo_credit else {}
    assert front == expected and list(front) == list(expected)
    assert article.summary and body.strip()
    assert article.slug() and "/" not in article.slug()


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(MARKDOWN_LINE.map(squash).filter(bool), min_size=1, max_size=3))
def test_escaped_text_renders_as_itself(lines: list[str]) -> None:
    if any(set(line) <= set("-—–_*=~•·#+. ") for line in lines):
        return  # separator rules never reach the body: the importer removes them
    paragraph = "\n".join(escape_markdown(line) for line in lines)
    assert rendered_paragraphs(paragraph) == [squash(" ".join(lines))]


@settings(max_examples=200, database=None, deadline=None)
@given(
    st.lists(st.text(alphabet=KEPT_CHARACTERS, min_size=1).map(squash).filter(bool), min_size=1, max_size=8)
)
def test_body_words_come_from_the_text(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    try:
        article = parse_raw_article(text)
    except BuildError:
        return
    source = squash(text)
    for paragraph in rendered_paragraphs(article.body_markdown):
        assert paragraph in source
