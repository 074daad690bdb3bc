"""The importer: pasted news-page text -> article file. Fixtures in tests/fixtures/importer are made up."""

from __future__ import annotations

import datetime
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    markdown_to_text,
    parse_raw_article,
    parse_saved_page,
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


# --- Layouts campaigners paste: header in any order, debris of every kind, any line spacing -----------------


@dataclass(frozen=True)
class Layout:
    """A made-up op-ed as copied from a news page, and what the import must make of it."""

    fixture: str
    title: str
    author: str
    bio: str
    date: str | None
    photo_credit: str
    body: tuple[str, ...]  # the opening words of every body paragraph, in order
    debris: tuple[str, ...]  # words that must not reach the article file
    without_blank_lines: bool = False  # the same page pasted with no blank line anywhere


BUSES = Layout(
    "headline_stop_role_date.txt",
    title="Buses are a lifeline. Eastbrook must run its own",
    author="Priya Natt",
    bio="Priya Natt, councillor for Eastbrook Central ward",
    date="2025-01-14",
    photo_credit="",
    body=(
        "Three years ago the number 12",
        "Private operators run the routes",
        "Franchising would let the council",
        "We asked residents to share their experience",
        "It will cost money to set up.",
    ),
    debris=(
        "Share",
        "Copy link",
        "WhatsApp",
        "Sign up",
        "inbox",
        "Comments (2)",
        "Dan Holt",
        "Spot on",
        "Reply",
        "Report",
        "Marion Ashe",
        "Related articles",
        "Council tax to rise",
        "cycle lane",
        "market to move",
    ),
)
LAYOUTS = [
    BUSES,
    replace(BUSES, without_blank_lines=True),
    Layout(
        "label_standfirst_two_authors.txt",
        title="Food banks should not be a permanent part of the welfare state",
        author="Owen Tarrant and Halima Oduya",
        bio="Owen Tarrant is the councillor for Tarrow Docks and Halima Oduya chairs the council's cost-of-living committee.",
        date="2025-06-03",
        photo_credit="Lee Marsh/Tarrow Echo",
        body=(
            "When the food bank opened",
            "That is a remarkable thing",
            "Most of the families",
            "The council can do three things now",
            "None of that ends the need",
        ),
        debris=(
            "Opinion",
            "Tue 3 Jun",
            "Volunteers sort tins",
            "Topics",
            "Cost of living",
            "©",
            "rights reserved",
        ),
    ),
    Layout(
        "date_first_role_organisation.txt",
        title="Wenbury needs homes its young people can afford to rent",
        author="Gareth Pell",
        bio="Gareth Pell, Leader, Wenbury Borough Council",
        date="2024-11-02",
        photo_credit="",
        body=("Every year about 400", "We have land.", "What we do not have", "Give us that"),
        debris=(
            "2024-11-03",
            "Image 1 of 3",
            "terraced houses",
            "Listen to this",
            "Print this page",
            "Follow",
            "cookies",
            "Accept all",
            "Manage preferences",
        ),
    ),
    Layout(
        "blog_post_with_replies.txt",
        title="Why our libraries stay open on Sundays",
        author="Ruth Amadi-Lowe",
        bio="Ruth Amadi-Lowe is the cabinet member for communities on Ashcombe Vale council. She tweets @RuthAmadiLowe",
        date="2023-03-05",
        photo_credit="",
        body=("When we took control", "Sunday is the day", "It cost less than"),
        debris=(
            "Posted on",
            "Share this",
            "Facebook",
            "Like this",
            "Loading",
            "Related",
            "budget: what we kept",
            "Seven things",
            "5 responses",
            "Sam Ode",
            "story hour",
            "Kit Barlow",
            "car park",
            "Leave a Reply",
            "Required fields",
        ),
    ),
    Layout(
        "compact_donation_most_read.txt",
        title="Selbridge's high street can come back if we let it",
        author="Lucy Fenwick",
        bio="Lucy Fenwick is deputy leader of Selbridge Town Council.",
        date="2024-02-21",
        photo_credit="",
        body=("Empty shops are not a sign", "We want the council to buy", "Shops are not the whole answer."),
        debris=(
            "17:45",
            "Before you go",
            "Independent local journalism",
            "Support us",
            "Maybe later",
            "Most read",
            "parking charges",
            "Bridge closure",
            "Tags",
        ),
    ),
    Layout(
        "time_first_comments_load_more.txt",
        title="Northmere will be carbon neutral by 2035, and it will be cheaper than doing nothing",
        author="Marek Dunne",
        bio="Marek Dunne is the cabinet member for climate on Northmere City Council.",
        date="2024-10-08",
        photo_credit="",
        body=("Insulating a council house", "That is the whole argument", "We will insulate 4,000"),
        debris=(
            "09:15",
            "min read",
            "Comments",
            "Jess Moran",
            "freezing",
            "Pete Lyle",
            "local firms",
            "Load more",
        ),
    ),
    Layout(
        "several_authors_credit_signup.txt",
        title="Kelby's councils should share one back office",
        author="Tom Kerrigan, Sian Bevis and Abena Marsh",
        bio="",
        date="2025-05-11",  # published, not updated
        photo_credit="Kelby County Council",
        body=("Kelby has four district councils", "Sharing those services", "We lead three of the four"),
        debris=(
            "Updated",
            "Picture",
            "newsletter",
            "inbox",
            "Enter your email",
            "Sign up",
            "privacy",
            "Recommended",
            "bin collections",
            "County hall",
        ),
    ),
    Layout(
        "body_only_with_footer.txt",
        title="",
        author="",
        bio="",
        date=None,
        photo_credit="",
        body=("Parking charges at the leisure centre", "The council should admit the mistake"),
        debris=("Related", "sauna", "Copyright", "Hollin Bridge Courier"),
    ),
]


def layout_text(layout: Layout) -> str:
    text = (FIXTURES / "layouts" / layout.fixture).read_text(encoding="utf-8")
    return re.sub(r"\n\n+", "\n", text) if layout.without_blank_lines else text


@pytest.mark.parametrize(
    "layout",
    LAYOUTS,
    ids=[f"{one.fixture[:-4]}{'-no-blank-lines' if one.without_blank_lines else ''}" for one in LAYOUTS],
)
def test_pasted_layouts_keep_the_op_ed_and_drop_the_debris(layout: Layout) -> None:
    text = layout_text(layout)
    article = parse_raw_article(text)
    assert (article.title, article.author, article.bio, article.date, article.photo_credit) == (
        layout.title,
        layout.author,
        layout.bio,
        layout.date,
        layout.photo_credit,
    )
    paragraphs = rendered_paragraphs(article.body_markdown)
    assert len(paragraphs) == len(layout.body), paragraphs
    for paragraph, opening in zip(paragraphs, layout.body, strict=True):
        assert paragraph.startswith(opening)
        assert paragraph in text.split("\n")  # every paragraph whole, word for word
    file_text = article_file_text(article, "buses")
    for debris in layout.debris:
        assert debris not in file_text, debris
    statuses = {source.field: source.status for source in article.sources}
    assert statuses == {
        "title": "found" if layout.title else "missing",
        "author": "found" if layout.author else "missing",
        "bio": "found" if layout.bio else "missing",
        "date": "found" if layout.date else "missing",
    }
    assert "# The importer guessed" not in file_text  # nothing here is a guess


def test_every_kind_of_debris_is_reported_under_its_own_name() -> None:
    reasons = {entry.reason for layout in LAYOUTS for entry in parse_raw_article(layout_text(layout)).removed}
    assert reasons >= {
        "section label",
        "standfirst, now the summary",
        "byline, now the author",
        "publication date, now in front matter",
        "photo credit, now in front matter",
        "lone caption",
        "share and follow buttons",
        "donation or subscription appeal",
        "reader comments",
        "related articles",
        "tag list",
        "copyright or cookie notice",
        "page furniture",
        "image residue",
    }


def test_a_standfirst_becomes_the_summary() -> None:
    article = parse_raw_article(layout_text(LAYOUTS[2]))
    assert article.summary == (
        "Tarrow's food bank handed out 11,000 parcels last year. Two councillors say the town can do better than charity."
    )
    assert "11,000 parcels" not in article.body_markdown


def test_the_report_says_where_each_field_came_from() -> None:
    article = parse_raw_article(layout_text(BUSES))
    lines = format_report(ImportReport("buses.txt", Path("x.md"), article)).split("\n")
    assert lines[1:5] == [
        "  title: found (the headline, line 1)",
        "  author: found (the byline, line 3)",
        "  bio: found (the role in the byline, line 3)",
        "  date: found (stated on line 5)",
    ]
    assert "  removed lines 7-15 (share and follow buttons): “Share this article”" in lines


def test_a_bare_name_under_a_headline_is_a_guess_the_file_points_out() -> None:
    article = parse_raw_article(
        "Councils need a fair deal\n\nSam Oduya\n\nThe op-ed begins here, with a sentence long enough to be prose.\n"
    )
    assert article.author == "Sam Oduya"
    assert [(s.field, s.status) for s in article.guessed] == [("author", "guessed")]
    text = article_file_text(article, "fair-funding")
    assert text.startswith(
        "---\n# The importer guessed author: a name alone under the headline, line 3; is it the author?\n"
        "# Check these against the original, then delete these comment lines.\ntitle: "
    )
    front, _ = split_file(text)
    assert front["author"] == "Sam Oduya"


def test_the_bio_confirms_a_bare_name_and_nothing_is_guessed() -> None:
    article = fixture("byline_caption.txt")
    assert article.guessed == ()
    assert not article_file_text(article, "housing").startswith("---\n#")


@pytest.mark.parametrize(
    ("date_line", "date", "note"),
    [
        ("14 January 2025", "2025-01-14", ""),
        ("Tuesday 14th January 2025", "2025-01-14", ""),
        ("Tue 3 Jun 2025 09.30 BST", "2025-06-03", ""),
        ("January 14, 2025 at 9:12 pm", "2025-01-14", ""),
        ("09:15, 8 October 2024", "2024-10-08", ""),
        ("2025-01-14", "2025-01-14", ""),
        ("2025-01-14T09:30:00Z", "2025-01-14", ""),
        ("2025-01-14T09:30:00+00:00", "2025-01-14", ""),
        ("21/02/2024 17:45", "2024-02-21", ""),
        ("14.01.2025", "2025-01-14", ""),
        ("05/05/2025", "2025-05-05", ""),
        (
            "03/04/2024",
            None,
            "“03/04/2024” could be either of two days (day/month or month/day); date left out",
        ),
        ("31 February 2021", None, "“31 February 2021” is not a real date; date left out"),
    ],
)
def test_date_lines_in_british_and_iso_forms(date_line: str, date: str | None, note: str) -> None:
    article = parse_raw_article(
        f"A headline\n\nBy Jo Bloggs\n\n{date_line}\n\nThe op-ed begins with a sentence of prose here.\n"
    )
    assert article.date == date
    assert [n.message for n in article.notes] == ([note] if note else [])
    assert date_line not in article.body_markdown


@pytest.mark.parametrize(
    ("byline", "author", "bio"),
    [
        ("By Jo Bloggs", "Jo Bloggs", ""),
        ("BY JO BLOGGS", "JO BLOGGS", ""),
        ("Words: Jo Bloggs", "Jo Bloggs", ""),
        (
            "By Cllr Jo Bloggs, leader of Anytown Council",
            "Cllr Jo Bloggs",
            "Cllr Jo Bloggs, leader of Anytown Council",
        ),
        ("Jo Bloggs | Councillor for Mill ward", "Jo Bloggs", "Jo Bloggs, Councillor for Mill ward"),
        ("By Jo Bloggs and Sam Oduya", "Jo Bloggs and Sam Oduya", ""),
        (
            "By Jo Bloggs & Sam Oduya, Anytown councillors",
            "Jo Bloggs & Sam Oduya",
            "Jo Bloggs & Sam Oduya, Anytown councillors",
        ),
        ("By Jo Bloggs, Sam Oduya and Kim Lee", "Jo Bloggs, Sam Oduya and Kim Lee", ""),
        ("Jo Bloggs, Anytown Council", "Jo Bloggs", "Jo Bloggs, Anytown Council"),
        ("Posted on 5 March 2023 by Jo Bloggs", "Jo Bloggs", ""),
    ],
)
def test_byline_forms(byline: str, author: str, bio: str) -> None:
    article = parse_raw_article(
        f"A headline\n\n{byline}\n\nThe op-ed begins with a sentence of prose here, as op-eds do.\n"
    )
    assert (article.title, article.author, article.bio) == ("A headline", author, bio)
    assert article.body_markdown == "The op-ed begins with a sentence of prose here, as op-eds do."


def test_the_closing_bio_wins_over_the_byline_role() -> None:
    article = parse_raw_article(
        "A headline\n\nBy Jo Bloggs, councillor for Mill ward\n\nThe op-ed begins with a sentence of prose.\n\n"
        "Jo Bloggs is the councillor for Mill ward on Anytown council.\n"
    )
    assert article.bio == "Jo Bloggs is the councillor for Mill ward on Anytown council."


@pytest.mark.parametrize(
    "paragraph",
    [
        "Share your views with the council before Friday, and bring a friend to the meeting.",
        "Comments from residents were clear: they want the library to stay open.",
        "We will never sign up to a deal that closes the library, whatever the newsletter from Whitehall says.",
        "Print.",
        "Copyright law is not why the council cannot publish the contracts; politics is.",
        "Most read the report. Few acted on it.",
    ],
)
def test_body_sentences_that_sound_like_debris_stay(paragraph: str) -> None:
    article = parse_raw_article(
        f"A headline\n\nBy Jo Bloggs\n\nThe op-ed begins with a sentence of prose here.\n\n{paragraph}\n\n"
        "It ends with another sentence of prose.\n"
    )
    assert paragraph in markdown_to_text(article.body_markdown)


# --- Saved web pages --------------------------------------------------------------------------------------

PAGE = FIXTURES / "saved_news_page.html"


def test_saved_news_page_imports_like_a_paste(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    [report] = import_files([str(PAGE)], articles, chapter="buses", force=False, read_stdin=no_stdin)
    assert report.written == articles / "councils-need-the-power-to-fix-the-buses.md"
    assert report.written.read_text(encoding="utf-8") == textwrap.dedent(
        """\
        ---
        title: "Councils need the power to fix the buses"
        author: "Nadia Okafor"
        bio: "Nadia Okafor is cabinet member for transport on Wenbury Borough Council."
        date: 2025-03-18
        chapter: "buses"
        summary: "Franchising gave one city its buses back. A councillor asks why every town cannot do the same."
        photo_credit: "Ken Adeyemi/Wenbury Chronicle"
        ---

        On a wet Tuesday in February I waited fifty minutes for the number 7 at Wenbury bus station. The timetable promised one every twenty. Nobody could tell me where the bus was, because nobody at the council is allowed to know.

        That is the heart of the problem. Since 1986 the buses outside London have been run by whoever chooses to run them, on the routes that pay. The council can subsidise a route, but it cannot plan a network.

        ## What franchising changes

        Under franchising the council decides the routes, the fares and the timetable, and operators bid for contracts to run them. [The first year's figures](https://www.example.org/reports/franchising-first-year) from the city that tried it show more passengers and fewer cancelled journeys.

        For Wenbury it would mean three things:

        - one ticket for every bus in the borough;
        - evening services on the routes that serve the hospital;
        - a bus every fifteen minutes on the four busiest corridors.

        > We cannot run a bus company, but we can decide what the buses are for.

        The law already allows it. What councils like ours lack is the money to set it up, and that is a choice the government can make in its next spending review.
        """
    )
    report_lines = format_report(report).split("\n")
    assert report_lines[1:5] == [
        "  title: found (the page's metadata and headline)",
        "  author: found (the page's metadata)",
        "  bio: found (the author's bio at the end of the article, line 89)",
        "  date: found (the page's metadata)",
    ]
    reasons = {entry.reason for entry in report.article.removed}
    assert reasons >= {
        "copyright or cookie notice",
        "headline, now the title",
        "standfirst, now the summary",
        "byline, now the author",
        "publication date, now in front matter",
        "photo credit, now in front matter",
        "donation or subscription appeal",
        "author bio, now in front matter",
        "tag list",
        "related articles",
        "reader comments",
        "outside the article (menus, asides, comments and the like)",
    }
    assert RemovedBlock(106, 123, "reader comments", "Comments (3)") in report.article.removed


def test_saved_page_builds_with_its_headings_lists_quotes_and_links(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    [report] = import_files(
        [str(PAGE)], root / "content" / "articles", chapter="fair-funding", force=False, read_stdin=no_stdin
    )
    built = render_all(root, RenderOptions()).site.article(report.article.slug())
    body = str(built.body_html)
    assert '<a href="https://www.example.org/reports/franchising-first-year">' in body
    assert "<h2" in body and "<ul>" in body and "<blockquote>" in body
    for debris in ("Share this article", "Sign up", "Brian Toller", "Most read", "Market hall", "cookies"):
        assert debris not in body


def test_a_page_on_standard_input_is_recognised_by_its_opening(tmp_path: Path) -> None:
    data = PAGE.read_bytes()
    [report] = import_files(["-"], tmp_path, chapter="buses", force=False, read_stdin=lambda: data)
    assert report.article.title == "Councils need the power to fix the buses"
    assert "<" not in report.article.body_markdown


def page(head: str, article: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body><main><article>{article}</article></main></body></html>"


PROSE = (
    "<p>The council has run out of money for the buses, and the buses have run out of passengers as a result.</p>"
    * 4
)


def test_page_metadata_never_invents_what_is_not_there() -> None:
    article = parse_saved_page(page("", f"<h1>Buses now</h1>{PROSE}"))
    assert (article.author, article.date) == ("", None)
    statuses = {source.field: source.status for source in article.sources}
    assert statuses["author"] == statuses["date"] == "missing"


def test_a_page_date_taken_from_its_address_is_a_guess_the_file_points_out() -> None:
    canonical = (
        '<title>Buses now</title><link rel="canonical" href="https://news.example/2025/01/14/buses-now">'
    )
    article = parse_saved_page(page(canonical, f"<h1>Buses now</h1>{PROSE}"))
    assert article.date == "2025-01-14"
    assert [(source.field, source.status) for source in article.guessed] == [("date", "guessed")]
    assert article_file_text(article, "x").startswith(
        "---\n# The importer guessed date: read from the page's address or layout, not stated on it\n"
    )


def test_a_byline_and_date_shown_on_the_page_are_found() -> None:
    article = parse_saved_page(
        page(
            "<title>Buses now</title>",
            f"<h1>Buses now</h1><p class='byline'>By Sam Oduya</p><time>14 January 2025</time>{PROSE}",
        )
    )
    assert (article.author, article.date, article.guessed) == ("Sam Oduya", "2025-01-14", ())


def test_unsafe_links_and_raw_html_in_a_page_become_text() -> None:
    article = parse_saved_page(
        page(
            "<title>Links</title>",
            "<p>Read <a href='javascript:alert(1)'>this</a> and <a href='/local'>that</a>; "
            "the &lt;script&gt; tag and *stars* stay as written, as does a [bracket].</p>" + PROSE,
        )
    )
    first = article.body_markdown.split("\n\n")[0]
    assert "javascript" not in first and "](/local)" not in first
    assert rendered_paragraphs(first) == [
        "Read this and that; the <script> tag and *stars* stay as written, as does a [bracket]."
    ]


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
        (
            b"<!DOCTYPE html><html><body><nav><a href='/'>Home</a></nav></body></html>",
            "found no article in this web page",
        ),
        (b"<!doctype html>", "found no article in this web page"),
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
        "Opinion",
        "Buses are a lifeline. Eastbrook must run its own",
        "By Priya Natt, councillor for Eastbrook Central ward",
        "By Tom Kerrigan, Sian Bevis and Abena Marsh",
        "Lucy Fenwick | 21/02/2024 17:45",
        "14 January 2025",
        "03/04/2024",
        "09:15, 8 October 2024",
        "Share this article",
        "Share on Facebook",
        "Copy link",
        "Comments (2)",
        "Dan Holt - 14 January 2025 at 10:12",
        "Sam Ode says:",
        "Reply",
        "Load more comments",
        "Related articles",
        "Topics",
        "© 2025 Tarrow Echo. All rights reserved.",
        "Accept all cookies",
        "Image 1 of 3",
        "Volunteers sort tins. Photograph: Lee Marsh/Tarrow Echo",
        "Sign up to our newsletter and the day's news lands in your inbox.",
        "Maybe later",
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


HTML_PARTS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<h1>Buses now</h1>",
        "<h2>",
        "</h2>",
        "<ul><li>one</li><li>two",
        "</ul>",
        "<ol>",
        "<blockquote>",
        "<a href='https://example.org/x'>",
        "<a href='javascript:alert(1)'>",
        "</a>",
        "<em>",
        "<strong>",
        "<table><tr><td>a</td><td>b|c</td></tr>",
        "<script type='application/ld+json'>{\"author\": ",
        "</script>",
        "<meta property='article:published_time' content='2025-13-45'>",
        "<meta name='author' content=''>",
        "<br>",
        "<!-- -->",
        "By Jo Bloggs",
        "Share this article",
        "The council has run out of money for the buses, and the buses have run out of passengers.",
        "* _ ` [ ] < > & &amp; | # 1. — £5",
    ]
)
PAGES = st.lists(st.one_of(HTML_PARTS, st.text(max_size=30)), max_size=30).map(
    lambda parts: "<!DOCTYPE html><html><body><article>" + "".join(parts)
)


@settings(max_examples=150, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAGES)
def test_any_page_gives_a_valid_article_or_a_build_error(html_text: str) -> None:
    try:
        article = parse_saved_page(html_text)
    except BuildError as error:
        assert error.problem in ("found no article in this web page", "nothing left after removing debris")
        return
    front, body = split_file(article_file_text(article, "x"))
    assert front["title"] == article.title and front["author"] == article.author
    assert body.strip() and article.slug()
    assert "javascript:" not in body
    assert all(status in ("found", "guessed", "missing") for status in (s.status for s in article.sources))


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
