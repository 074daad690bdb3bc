"""Raw op-ed text pasted from a news page -> an article file: YAML front matter and a clean Markdown body.

How a page is read, top to bottom (each step is a small function below):

1. ``normalise_lines``: BOM dropped; CRLF, CR and other line separators become LF; non-breaking and other
   odd spaces become plain spaces; zero-width and control characters go; runs of spaces collapse; lines are
   trimmed. Line numbers stay those of the pasted file, so reports point at the source.
2. ``split_blocks``: lines are grouped into blocks (paragraphs) at blank lines; a paste without any blank
   line (some browsers copy paragraphs as single lines) is read one block per line. A separator rule is
   always a block of its own.
3. ``mark_debris``: blocks that are debris by their own look: separator rules, comment-form lines, donation
   and subscription appeals, "More from …" headings and the headline lists under them, "Read more: …" links,
   sharing and tag furniture, photo credits and "Published on …" lines. ``mark_comment_thread``: from the
   first reader-comment header ("2. Jo on January 24, 2020 at 4:48 am") met after the op-ed has started,
   every block that is not already debris belongs to the comment thread.
4. ``read_header``: a headline (see ``is_headline``), then a byline, a date and lone captions, up to the
   first block that is none of these.
5. ``read_closing``: the author's bio is the last remaining block when it opens "<Name> is/was/…".
6. What is left is the op-ed, kept word for word and escaped so that Markdown shows it as written.

Every block that leaves the body is reported (``RemovedBlock``), including those moved into front matter,
so an editor can check the importer's reading against the source in one pass. Things the editor must act on
(no headline, no chapter, a hidden e-mail address) are ``ImportNote`` warnings.

The rules describe how news pages are built, not any one site: no site, author or newspaper name appears here.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from .errors import BuildError, raise_if_any
from .slugs import is_slug, slugify

TEXT_SOURCE = "<text>"  # the path parse_raw_article's errors carry; import_files puts the file name in
STDIN_SOURCE = "-"
SUMMARY_LIMIT = 200  # characters: about what a search result or link preview shows
MAX_HEADLINE_WORDS = 20
MAX_CAPTION_WORDS = 8
FIRST_WORDS = 8  # words quoted from a removed block in the report

# Why a block left the body: the words an editor reads in the report.
HEADLINE = "headline, now the title"
BYLINE = "byline, now the author"
PUBLICATION_DATE = "publication date, now in front matter"
CAPTION = "lone caption"
SEPARATOR = "separator rule"
PHOTO_CREDIT = "photo credit, now in front matter"
BIO = "author bio, now in front matter"
COMMENTS = "reader comments"
APPEAL = "donation or subscription appeal"
RELATED = "related articles"
FURNITURE = "page furniture"
AFTER_BIO = "after the author's bio"
LOST_LINK = "link text whose link was lost"


# --- What the importer hands back -------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovedBlock:
    first_line: int
    last_line: int
    reason: str
    first_words: str


@dataclass(frozen=True)
class ImportNote:
    """A warning for the editor: something the importer could not do and a person must."""

    line: int | None
    message: str


@dataclass(frozen=True)
class ImportedArticle:
    title: str
    author: str
    bio: str
    social: tuple[str, ...]
    date: str | None  # ISO YYYY-MM-DD, only when the text states it
    summary: str
    photo_credit: str
    body_markdown: str
    removed: tuple[RemovedBlock, ...]
    notes: tuple[ImportNote, ...]

    def slug(self) -> str:
        """The file name: the headline's first 8 words; with no headline, the author and the opening words.

        Without a headline, "Jim McMahon" and a body opening "The challenges Labour in local government…"
        give ``jim-mcmahon-the-challenges-labour-in-local``: unique enough to tell imports apart, and the
        editor renames the file once they have written a title.
        """
        from_title = slugify(self.title, max_words=8)
        if from_title:
            return from_title
        opening = markdown_to_text(self.body_markdown.split("\n\n", 1)[0])
        words = [slugify(self.author), slugify(opening, max_words=5)]
        return "-".join(word for word in words if word) or "untitled"


@dataclass(frozen=True)
class ImportReport:
    source: str
    written: Path
    article: ImportedArticle


# --- Step 1 and 2: text to blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One paragraph of the pasted page: its lines, whitespace-normalised, and where they were."""

    first_line: int
    last_line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def line_at(self, offset: int) -> int:
        """The source line holding character ``offset`` of ``text``."""
        end = -1
        for number, line in enumerate(self.lines):
            end += len(line) + 1
            if offset <= end:
                return self.first_line + number
        return self.last_line


LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
# Invisible characters that pages leave in copied text; they carry no words.
INVISIBLE = frozenset("\u200b\u2060\ufeff\ufffe\uffff")
SEPARATOR_LINE = re.compile(r"[\-\u2010-\u2015_*=~•·#+.\u2500-\u257f ]+")


def normalise_line(line: str) -> str:
    kept: list[str] = []
    for char in line:
        category = unicodedata.category(char)
        if char == "\t" or category == "Zs":
            kept.append(" ")
        elif char not in INVISIBLE and category not in ("Cc", "Cs"):
            kept.append(char)
    return re.sub(r" {2,}", " ", "".join(kept)).strip(" ")


def normalise_lines(text: str) -> tuple[str, ...]:
    """The text's lines, cleaned; index 0 is line 1 of the source."""
    return tuple(normalise_line(line) for line in LINE_BREAK.split(text.removeprefix("\ufeff")))


def is_separator_line(line: str) -> bool:
    return bool(line) and SEPARATOR_LINE.fullmatch(line) is not None


def split_blocks(lines: tuple[str, ...]) -> tuple[Block, ...]:
    filled = [number for number, line in enumerate(lines) if line]
    blank_inside = filled and any(not line for line in lines[filled[0] : filled[-1]])
    blocks: list[Block] = []
    current: list[int] = []

    def close() -> None:
        if current:
            blocks.append(Block(current[0] + 1, current[-1] + 1, tuple(lines[n] for n in current)))
            current.clear()

    for number, line in enumerate(lines):
        if not line:
            close()
        elif is_separator_line(line) or not blank_inside:
            close()
            current.append(number)
            close()
        else:
            current.append(number)
    close()
    return tuple(blocks)


def split_run_in_header(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """Headline and byline on consecutive lines, as browsers copy a heading, become blocks of their own."""
    if not blocks or len(blocks[0].lines) < 2:
        return blocks
    first = blocks[0]
    headline, byline, rest = (
        Block(first.first_line + n, first.first_line + n, first.lines[n : n + 1]) for n in range(3)
    )
    if not is_headline(headline) or byline_of(byline, after_headline=True, bio_name="") is None:
        return blocks
    rest = replace(rest, last_line=first.last_line, lines=first.lines[2:])
    return (headline, byline, *([rest] if rest.lines else []), *blocks[1:])


# --- Words and sentences ----------------------------------------------------------------------------------

ABBREVIATION = re.compile(
    r"(?:mr|mrs|ms|dr|st|prof|rev|cllr|sir|no|vs|etc|e\.g|i\.e|cf|approx|gen|col|lt|sgt)\.?"
)
SENTENCE_GAP = re.compile(r"[.!?…]+[”’\"')\]]*\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a new sentence opens with a capital, a digit or an opening quote."""
    spans: list[tuple[int, int]] = []
    start = 0
    for gap in SENTENCE_GAP.finditer(text):
        following = text[gap.end() : gap.end() + 2].lstrip("“‘\"'([")
        previous_word = text[start : gap.start()].rsplit(" ", 1)[-1].lower()
        opens_sentence = following[:1].isupper() or following[:1].isdigit()
        # "Mr. Smith" and "J. Smith" do not end a sentence.
        if opens_sentence and not ABBREVIATION.fullmatch(previous_word) and len(previous_word) > 1:
            spans.append((start, gap.end()))
            start = gap.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in sentence_spans(text)]


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


NAME_PARTICLE = re.compile(r"de|van|von|der|den|la|le|du|da|di|del|dos|das|ter|ten|bin|ibn|al|y")


def looks_like_name(text: str) -> bool:
    """Two to five capitalised words, as a byline or a bio's opening gives a person's name."""
    tokens = text.split()
    if not 2 <= len(tokens) <= 5 or len(text) > 50:
        return False
    for position, token in enumerate(tokens):
        inner = 0 < position < len(tokens) - 1
        if inner and NAME_PARTICLE.fullmatch(token):
            continue
        if not token[0].isupper() or not all(c.isalpha() or c in "'’.-" for c in token):
            return False
    return True


def same_name(first: str, second: str) -> bool:
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


def is_prose(block: Block) -> bool:
    """A paragraph of running text, the sign that the op-ed has begun."""
    return block.word_count >= 20 or (block.word_count >= 8 and block.text.endswith(tuple('.!?…”’"')))


# --- Dates ------------------------------------------------------------------------------------------------

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
# Day-month-year, month-day-year and ISO; never 01/02/2020, which means two different days in the UK and US.
DATE = (
    rf"{WEEKDAY}(?:(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m1>{MONTH})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{MONTH})\.?\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2}))"
)
TIME = r"(?:\s*(?:,|at|@|[|·•–—-])?\s*[0-2]?\d[:.][0-5]\d\s*(?:[ap]\.?m\.?)?(?:\s*(?:gmt|bst|utc|cet|cest|est|edt|pst|pdt))?)"
DATE_LINE = re.compile(rf"^{DATE}(?P<time>{TIME})?$", re.IGNORECASE)
DATE_IN_TEXT = re.compile(rf"\b{DATE}(?P<time>{TIME})?", re.IGNORECASE)
PUBLISHED_LINE = re.compile(
    rf"^(?:(?:first\s+)?published|posted|dated?)(?:\s+on)?\s*:?\s*{DATE}(?P<time>{TIME})?$", re.IGNORECASE
)
UPDATED_LINE = re.compile(rf"^(?:last\s+)?(?:updated|modified)(?:\s+on)?\s*:?\s*{DATE}(?:{TIME})?$", re.I)
COMMENT_HEADER = re.compile(
    rf"^(?P<number>\d{{1,4}}[.)]\s+)?(?P<name>\S.{{0,60}}?)\s*(?P<verb>\b(?:says|said|wrote)\b:?)?"
    rf"\s*(?:\bon\b|[|·•–—,-])?\s*{DATE}(?P<time>{TIME})?\s*(?P<after>\b(?:says|said|wrote)\b:?)?$",
    re.IGNORECASE,
)


def iso_date(match: re.Match[str]) -> str | None:
    """The match's date as YYYY-MM-DD, or None when it names no real day (31 February)."""
    year = match["y1"] or match["y2"] or match["y3"]
    day = match["d1"] or match["d2"] or match["d3"]
    month_text = match["m1"] or match["m2"]
    month = MONTHS.index(month_text[:3].lower()) + 1 if month_text else int(match["m3"])
    try:
        return datetime.date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


def is_comment_header(block: Block) -> bool:
    match = COMMENT_HEADER.match(block.lines[0])
    if not match or re.match(r"(?:by|posted|published|updated|first)\b", match["name"], re.IGNORECASE):
        return False
    return bool(match["number"] or match["time"] or match["verb"] or match["after"])


# --- Step 3: debris ---------------------------------------------------------------------------------------

APPEAL_PHRASES = re.compile(
    r"\breaders like you\b"
    r"|\b(?:already|monthly|regular|one-off|small)\s+donat"
    r"|\bdonat(?:e|ing)\s+(?:here|now|today|to us)\b"
    r"|\bour (?:content|journalism|reporting|articles|site|website)\s+(?:is\s+)?(?:free|independent|reader-funded)\b"
    r"|\bjoin our (?:supporters|subscribers|readers|donors)\b"
    r"|\bif you can afford it\b.*(?:\b(?:give|giving|donat\w*|support us)\b|[£$€]\d)"
    r"|\bkeeps? us (?:going|independent|online|free)\b"
    r"|\bsupport (?:us|our work|our journalism|independent journalism)\b"
    r"|\bbecome a (?:supporter|subscriber|patron|donor)\b"
    r"|\b(?:subscribe|sign up)\s+(?:to|for)\s+(?:our|the)\b[^.]*\b(?:e-?mail|newsletter|bulletin|briefing|updates|round-?up)\b"
    r"|\bround-?up of\b[^.]*\bnews\b"
    r"|\bnot already (?:reading|subscribed|signed up|a subscriber|a supporter|a member)\b",
    re.IGNORECASE,
)
# Short calls to action standing alone: "DONATE HERE", "Subscribe to our daily email".
APPEAL_CALL = re.compile(
    r"^(?:donate|subscribe|sign up|support us|give now|make a donation|join our mailing list|newsletter)\b",
    re.IGNORECASE,
)
RELATED_HEADING = re.compile(
    r"^(?:more (?:from|on|by|stories|articles|news)|related(?: articles| stories| posts| content| reading)?"
    r"|you (?:may|might) also like|read next|most (?:read|popular)|recommended(?: for you)?|also on)\b",
    re.IGNORECASE,
)
READ_MORE = re.compile(
    r"^(?:read more|read next|see also|related|also read)\s*:\s*\S|^read more(?: here)?\.?$", re.I
)
COMMENT_FURNITURE = re.compile(
    r"^(?:leave a (?:comment|reply)|post a comment|add a comment|join the (?:discussion|conversation)"
    r"|\d+ (?:comments?|responses?|replies)|comments?(?: \(\d+\))?|reply|cancel reply|comments are closed\.?"
    r"|log in to (?:comment|reply)|you must be logged in to post a comment\.?)$",
    re.IGNORECASE,
)
PAGE_FURNITURE = re.compile(
    r"^(?:share(?: this| on \w+| via \w+)?(?: article| story| post| page)?:?|tweet|print(?: this)?|email this"
    r"|follow us(?: on \w+)?|about the (?:author|writer)s?:?|advertisement|sponsored(?: content)?|(?:tags?|filed under|topics?|categories|posted in):.*)$",
    re.IGNORECASE,
)
PHOTO_CREDIT_LINE = re.compile(
    r"^(?:(?:main|top|header|featured|lead)\s+)?(?:photo(?:graph)?|picture|pic|image|illustration|credit)s?"
    r"(?:\s+credit)?\s*(?::|\bby\b|©)\s*(?P<credit>\S.*)$",
    re.IGNORECASE,
)
EMAIL_PLACEHOLDER = re.compile(
    r"\[\s*email(?:\s|&nbsp;|&#160;)*protected\s*\]|\S*/cdn-cgi/l/email-protection\S*", re.I
)


def is_appeal(block: Block) -> bool:
    text = block.text
    if block.word_count <= MAX_CAPTION_WORDS and APPEAL_CALL.match(text):
        return True
    return block.word_count <= 120 and APPEAL_PHRASES.search(text) is not None


def photo_credit_of(block: Block) -> str | None:
    match = PHOTO_CREDIT_LINE.match(block.text)
    return match["credit"] if match and len(block.lines) == 1 and block.word_count <= 15 else None


def debris_reason(block: Block) -> str | None:
    """Why this block is not part of the op-ed, judged by its own look, or None."""
    text = block.text
    short = block.word_count <= MAX_CAPTION_WORDS
    if all(is_separator_line(line) for line in block.lines):
        return SEPARATOR
    if short and COMMENT_FURNITURE.match(text):
        return COMMENTS
    if is_appeal(block):
        return APPEAL
    if short and RELATED_HEADING.match(text) and not text.endswith(tuple(".!?")):
        return RELATED
    if block.word_count <= 25 and READ_MORE.match(text):
        return RELATED
    if short and (PAGE_FURNITURE.match(text) or UPDATED_LINE.match(text)):
        return FURNITURE
    if photo_credit_of(block) is not None:
        return PHOTO_CREDIT
    if PUBLISHED_LINE.match(text):
        return PUBLICATION_DATE
    return None


def mark_debris(blocks: tuple[Block, ...]) -> dict[int, str]:
    return {i: reason for i, block in enumerate(blocks) if (reason := debris_reason(block))}


def is_headline_list(block: Block) -> bool:
    return all(
        len(line.split()) <= MAX_HEADLINE_WORDS and not line.endswith(tuple(".,;:")) for line in block.lines
    )


def mark_related_lists(blocks: tuple[Block, ...], removed: Mapping[int, str]) -> dict[int, str]:
    """The headlines listed under a "More from …" heading, up to the first block that is not one."""
    marked: dict[int, str] = {}
    for start, block in enumerate(blocks):
        if removed.get(start) != RELATED or not RELATED_HEADING.match(block.text):
            continue
        for i in range(start + 1, len(blocks)):
            if i in removed:
                continue
            if not is_headline_list(blocks[i]):
                break
            marked[i] = RELATED
    return marked


def mark_comment_thread(blocks: tuple[Block, ...], removed: Mapping[int, str]) -> dict[int, str]:
    """A comment thread ends the article: from its first header on, what is not other debris is comments.

    Comment text copied from a page often loses the indentation that set it apart, so the thread is taken
    whole. A header only counts once the op-ed has begun, so a dated byline is never read as a comment.
    """
    op_ed_begun = False
    for i, block in enumerate(blocks):
        if i in removed:
            continue
        if op_ed_begun and is_comment_header(block):
            return {j: COMMENTS for j in range(i, len(blocks)) if j not in removed}
        op_ed_begun = op_ed_begun or is_prose(block)
    return {}


# --- Step 4: the header -----------------------------------------------------------------------------------

BY_PREFIX = re.compile(r"^(?:(?:words|written|posted|story|report)\s+)?by\s+(?P<rest>\S.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    reasons: Mapping[int, str]
    title: str
    author: str
    date: str | None
    byline: str  # the byline's text, where social handles may sit


def is_headline(block: Block) -> bool:
    """A headline is one short line with no sentence-final full stop, standing alone.

    What tells it from a one-line opening paragraph: an opening paragraph is a sentence, so it ends with a
    full stop (or runs on past 20 words, as an opening that lost its stop does), while a headline stops
    without one. It is also one sentence, and does not open in lower case.
    """
    text = block.text
    return (
        len(block.lines) == 1
        and block.word_count <= MAX_HEADLINE_WORDS
        and len(text) <= 160
        and not text.endswith(tuple(".,;:"))
        and not text[0].islower()
        and len(sentence_spans(text)) == 1
    )


def is_caption(block: Block) -> bool:
    """A few words with no sentence punctuation: the caption of a picture the paste left behind."""
    return (
        len(block.lines) == 1
        and block.word_count <= MAX_CAPTION_WORDS
        and len(block.text) <= 60
        and not block.text.endswith(tuple(".!?:;,"))
    )


def byline_of(block: Block, *, after_headline: bool, bio_name: str) -> tuple[str, str | None] | None:
    """(author, ISO date or None) when the block is a byline.

    "By Jane Doe", "Jane Doe | 24 January 2020" and "Jane Doe, councillor" are bylines. A bare name counts
    right under a headline, or when the closing bio names the same person; anywhere else it could be a
    title-case headline.
    """
    if len(block.lines) > 2 or block.word_count > 12:
        return None
    prefixed = BY_PREFIX.match(block.text)
    rest = prefixed["rest"] if prefixed else block.text
    date = None
    dated = DATE_IN_TEXT.search(rest)
    if dated and not rest[dated.end() :].strip():
        date = iso_date(dated)
        rest = re.sub(r"\s+(?:on|at)$", "", rest[: dated.start()].strip(" ,|·•–—-"))
    name = re.split(r"\s*[,|·•]\s*|\s+[–—-]\s+", rest)[0].strip()
    if not looks_like_name(name):
        return None
    if prefixed or after_headline or (bio_name and same_name(name, bio_name)):
        return name, date
    return None


def read_header(blocks: tuple[Block, ...], removed: Mapping[int, str], bio_name: str) -> Header:
    remaining = [i for i in range(len(blocks)) if i not in removed]
    reasons: dict[int, str] = {}
    title = author = byline = ""
    date: str | None = None
    if not remaining:
        return Header(reasons, title, author, date, byline)
    first = blocks[remaining[0]]
    opens_with_byline = BY_PREFIX.match(first.text) or (bio_name and same_name(first.text, bio_name))
    if len(remaining) > 1 and is_headline(first) and not opens_with_byline:
        title = first.text
        reasons[remaining[0]] = HEADLINE
        remaining = remaining[1:]
    for i in remaining[:-1]:  # the last block is the op-ed's, whatever it looks like
        block = blocks[i]
        found = None if author else byline_of(block, after_headline=bool(title), bio_name=bio_name)
        if found:
            author, byline_date = found
            date = date or byline_date
            byline = block.text
            reasons[i] = BYLINE
        elif date is None and (dated := DATE_LINE.match(block.text)) and (date := iso_date(dated)):
            reasons[i] = PUBLICATION_DATE
        elif (title or author) and is_caption(block):
            reasons[i] = CAPTION
        else:
            break
    return Header(reasons, title, author, date, byline)


# --- Step 5: the closing bio ------------------------------------------------------------------------------

BIO_OPENING = re.compile(
    r"^(?P<name>\S.{1,58}?)(?:, [^,]{1,80},)?\s+(?:is|was|has been|works|writes|serves|leads|chairs|represents|sits)\b"
)  # "Jo Bloggs is …", "Jo Bloggs, a councillor in Leeds, is …"
HANDLE = re.compile(
    r"(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?"
)
HTTPS_LINK = re.compile(r"https://[^\s<>\"“”‘’()]+")
DANGLING_LINK_TEXT = re.compile(r"\b(?:here|this link|the link below)\W*$", re.IGNORECASE)
# What such a sentence asks of the reader: "She was born here." is no link, "Read her report here" was.
LINK_CALL = re.compile(
    r"\b(?:find|read|learn|apply|click|sign|donate|visit|see|download|join|register|watch|listen|more|details|follow)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Closing:
    bio_index: int | None
    name: str
    reasons: Mapping[int, str]
    notes: tuple[ImportNote, ...]


def bio_name_of(block: Block) -> str:
    """The person a bio paragraph is about ("Jo Bloggs is a councillor in …"), or ''."""
    match = BIO_OPENING.match(block.text)
    if not match or not looks_like_name(match["name"]) or block.word_count > 100:
        return ""
    sentences = split_sentences(block.text)
    return match["name"] if len(sentences) <= 4 and len(sentences[0].split()) >= 6 else ""


def read_closing(blocks: tuple[Block, ...], removed: Mapping[int, str], author: str) -> Closing:
    """The author's bio: the last block of the op-ed when it reads "<Name> is …".

    With a byline, the bio must name the same person, otherwise a closing line such as "Boris Johnson is
    wrong about councils and the public knows it." would leave the body. A bio followed by something the
    page-furniture rules did not know is still found when it names the byline's author or gives a handle.
    """
    content = [i for i in range(len(blocks)) if i not in removed]
    if len(content) < 2:  # a bio alone is not an op-ed
        return Closing(None, "", {}, ())
    last = content[-1]
    name = bio_name_of(blocks[last])
    if name and (not author or same_name(name, author)):
        return Closing(last, name, {}, ())
    for i in reversed(content[-4:-1]):
        candidate = bio_name_of(blocks[i])
        vouched = (author and same_name(candidate, author)) or HANDLE.search(blocks[i].text)
        if candidate and vouched and i != content[0]:
            after = {j: AFTER_BIO for j in content if j > i}
            return Closing(i, candidate, after, ())
    notes = ()
    if name:
        message = f"the closing paragraph reads like a bio of {name}, but the byline names {author}; it was kept in the body"
        notes = (ImportNote(blocks[last].first_line, message),)
    return Closing(None, "", {}, notes)


def is_lost_link_text(sentence: str) -> bool:
    return DANGLING_LINK_TEXT.search(sentence) is not None and LINK_CALL.search(sentence) is not None


def split_bio(block: Block) -> tuple[str, tuple[RemovedBlock, ...]]:
    """The bio verbatim, less a closing sentence that is the text of a lost link.

    Pages end bios with calls such as "You can find out more about the fund here", where "here" was a link.
    Copied as text the link is gone, and the sentence would point nowhere on our site, so it is taken off
    the end of the bio and reported: an editor who wants it back restores it with its address. The bio's
    other sentences stay as written; a bio that is one such sentence is kept whole.
    """
    spans = sentence_spans(block.text)
    lost: list[RemovedBlock] = []
    while len(spans) > 1 and is_lost_link_text(block.text[slice(*spans[-1])]):
        start, end = spans.pop()
        line = block.line_at(start)
        lost.insert(
            0, RemovedBlock(line, block.line_at(end - 1), LOST_LINK, first_words(block.text[start:end]))
        )
    return block.text[: spans[-1][1]].strip(), tuple(lost)


def social_links(text: str) -> tuple[str, ...]:
    found = HANDLE.findall(text) + [link.rstrip(".,;:!?") for link in HTTPS_LINK.findall(text)]
    return tuple(dict.fromkeys(found))


# --- Step 6: the body -------------------------------------------------------------------------------------

ENTITY = re.compile(r"&(?=#|[a-zA-Z0-9]+;)")  # python-markdown reads "&#38" as "&#38;" too
INLINE_MARKUP = re.compile(r"[\\`*_\[\]{}|]")
LINE_START_MARKUP = re.compile(r"^[#>+\-]")
ORDERED_ITEM = re.compile(r"^(\d+)([.)])(?=\s|$)")


def escape_markdown(line: str) -> str:
    """One line of text as Markdown that renders to exactly that text.

    Written for python-markdown with the "extra" extensions the generator uses: emphasis, code, links,
    footnotes, attribute lists and table pipes are escaped anywhere; headings, quotes, list items,
    definition lists and fences at the start of a line. ``<`` becomes ``&lt;`` because raw HTML is not
    escapable with a backslash, and an ``&`` that would read as an entity is written ``&amp;``. Straight
    quotes and dashes are left to the site's typography (smarty), which changes glyphs, not words.
    """
    escaped = ENTITY.sub("&amp;", line)
    escaped = INLINE_MARKUP.sub(lambda match: "\\" + match[0], escaped).replace("<", "&lt;")
    escaped = ORDERED_ITEM.sub(r"\1\\\2", escaped)
    escaped = LINE_START_MARKUP.sub(lambda match: "\\" + match[0], escaped)
    if escaped.startswith(":"):  # a definition, under the paragraph before it
        escaped = "&#58;" + escaped[1:]
    if escaped.startswith("~"):  # a code fence
        escaped = "&#126;" + escaped[1:]
    return escaped


def markdown_to_text(markdown_text: str) -> str:
    """Undo escape_markdown: the plain words of an escaped paragraph."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown_text))


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def markdown(self) -> str:
        return "\n".join(escape_markdown(line) for line in self.lines)


def without_hidden_addresses(block: Block) -> tuple[Paragraph | None, tuple[ImportNote, ...]]:
    """The block less every sentence whose e-mail address the news page replaced by a placeholder.

    Publishing "email me on" with a hole would read as a mistake, so the sentence is left out and the
    editor is told where it was and what it said, to restore the address by hand.
    """
    text = block.text
    if not EMAIL_PLACEHOLDER.search(text):
        return Paragraph(block.lines), ()
    kept: list[str] = []
    notes: list[ImportNote] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end].strip()
        if EMAIL_PLACEHOLDER.search(sentence):
            message = f"left out a sentence whose e-mail address the page hid; restore the address by hand: “{sentence}”"
            notes.append(ImportNote(block.line_at(start), message))
        else:
            kept.append(sentence)
    return (Paragraph((" ".join(kept),)) if kept else None), tuple(notes)


def summarise(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The opening sentences that fit in ``limit`` characters; a long first sentence is cut between words."""
    sentences = split_sentences(text)
    summary = sentences[0]
    for sentence in sentences[1:]:
        if len(summary) + 1 + len(sentence) > limit:
            break
        summary += " " + sentence
    if len(summary) <= limit:
        return summary
    cut = summary[: limit + 1].rsplit(" ", 1)[0] if " " in summary[:limit] else summary.split(" ", 1)[0]
    return cut.rstrip(" ,;:–—-") + "…"


# --- The whole reading ------------------------------------------------------------------------------------


def removed_blocks(blocks: tuple[Block, ...], reasons: Mapping[int, str]) -> list[RemovedBlock]:
    """One entry per run of neighbouring blocks removed for the same reason."""
    runs: list[tuple[int, RemovedBlock]] = []
    for i in sorted(reasons):
        block = blocks[i]
        previous_index, previous = runs[-1] if runs else (-2, None)
        if previous and previous_index == i - 1 and previous.reason == reasons[i]:
            runs[-1] = (i, replace(previous, last_line=block.last_line))
        else:
            runs.append(
                (i, RemovedBlock(block.first_line, block.last_line, reasons[i], first_words(block.text)))
            )
    return [entry for _, entry in runs]


def read_bio(block: Block) -> tuple[str, tuple[RemovedBlock, ...], tuple[ImportNote, ...]]:
    """The bio for front matter, the lost-link sentences taken off it, and notes on hidden addresses."""
    paragraph, notes = without_hidden_addresses(block)
    if paragraph is None:
        return "", (), notes
    bio, lost_links = split_bio(replace(block, lines=paragraph.lines))
    return bio, lost_links, notes


def read_body(
    blocks: tuple[Block, ...], reasons: Mapping[int, str]
) -> tuple[list[Paragraph], tuple[ImportNote, ...]]:
    paragraphs: list[Paragraph] = []
    notes: list[ImportNote] = []
    for i, block in enumerate(blocks):
        if i not in reasons:
            paragraph, hidden = without_hidden_addresses(block)
            notes.extend(hidden)
            paragraphs.extend([paragraph] if paragraph else [])
    return paragraphs, tuple(notes)


def read_stated_date(
    blocks: tuple[Block, ...], reasons: Mapping[int, str], header: Header
) -> tuple[str | None, tuple[ImportNote, ...]]:
    """The byline's or header's date, else the first "Published on …" line's; never a guess."""
    found: list[str] = []
    notes: list[ImportNote] = []
    for i in sorted(reasons):
        match = DATE_IN_TEXT.search(blocks[i].text) if reasons[i] == PUBLICATION_DATE else None
        if match and (day := iso_date(match)):
            found.append(day)
        elif match:
            message = f"“{blocks[i].text}” is not a real date; date left out"
            notes.append(ImportNote(blocks[i].first_line, message))
    return header.date or next(iter(found), None), tuple(notes)


def read_photo_credit(
    blocks: tuple[Block, ...], reasons: Mapping[int, str]
) -> tuple[str, tuple[ImportNote, ...]]:
    credits = [photo_credit_of(blocks[i]) or "" for i in sorted(reasons) if reasons[i] == PHOTO_CREDIT]
    if len(set(credits)) > 1:
        return credits[0], (
            ImportNote(None, f"several photo credits found; kept the first: {', '.join(credits)}"),
        )
    return (credits[0] if credits else ""), ()


def parse_raw_article(text: str) -> ImportedArticle:
    """Read pasted page text. Raises BuildError (path "<text>") when no op-ed is left to import."""
    blocks = split_run_in_header(split_blocks(normalise_lines(text)))
    if not blocks:
        raise BuildError(TEXT_SOURCE, None, "the text is empty", "paste the article's text into the file")
    reasons = mark_debris(blocks)
    reasons |= mark_related_lists(blocks, reasons)
    reasons |= mark_comment_thread(blocks, reasons)
    content = [i for i in range(len(blocks)) if i not in reasons]
    bio_hint = bio_name_of(blocks[content[-1]]) if len(content) > 1 else ""
    header = read_header(blocks, reasons, bio_hint)
    reasons |= header.reasons
    closing = read_closing(blocks, reasons, header.author)
    reasons |= closing.reasons
    bio, lost_links, bio_notes = "", (), ()
    if closing.bio_index is not None:
        reasons[closing.bio_index] = BIO
        bio, lost_links, bio_notes = read_bio(blocks[closing.bio_index])
    paragraphs, body_notes = read_body(blocks, reasons)
    if not paragraphs:
        raise BuildError(
            TEXT_SOURCE,
            None,
            "nothing left after removing debris",
            "the text held only headlines, bylines, comments, appeals or similar; paste the op-ed itself",
        )
    date, date_notes = read_stated_date(blocks, reasons, header)
    photo_credit, credit_notes = read_photo_credit(blocks, reasons)
    author = header.author or closing.name
    notes = [*closing.notes, *bio_notes, *body_notes, *date_notes, *credit_notes]
    if not header.title:
        notes.append(
            ImportNote(
                None,
                'no headline found (the text opens with the article); title is "" — write one'
                " (it is marked as the editors': headline_by: editors)",
            )
        )
    if not author:
        notes.append(ImportNote(None, 'no byline or bio names the author; author is "" — fill it in'))
    removed = removed_blocks(blocks, reasons) + list(lost_links)  # a bio is listed before its lost link
    return ImportedArticle(
        title=header.title,
        author=author,
        bio=bio,
        social=social_links(f"{header.byline} {bio}"),
        date=date,
        summary=summarise(paragraphs[0].text),
        photo_credit=photo_credit,
        body_markdown="\n\n".join(paragraph.markdown() for paragraph in paragraphs),
        removed=tuple(sorted(removed, key=lambda entry: (entry.first_line, entry.last_line))),
        notes=tuple(sorted(notes, key=lambda note: (note.line or 0, note.message))),
    )


# --- Front matter -----------------------------------------------------------------------------------------


class QuotedText(str):
    """A front-matter value written in double quotes, the form the documentation shows editors."""


class FrontMatterDumper(yaml.SafeDumper):
    """Safe YAML with quoted text values and one-line lists, so front matter reads like the docs."""


FrontMatterDumper.add_representer(
    QuotedText, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
)
FrontMatterDumper.add_representer(
    list, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)
)


def dump_front_matter(values: Mapping[str, object]) -> str:
    return yaml.dump(
        dict(values),
        Dumper=FrontMatterDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,  # never fold a long summary or bio across lines
    )


def yaml_text(value: str) -> str:
    """One text value as it would appear after 'key: '."""
    return dump_front_matter({"v": QuotedText(value)}).removeprefix("v: ").rstrip("\n")


def article_file_text(article: ImportedArticle, chapter: str) -> str:
    """The article file: front matter in the generator's key order, optional keys only when set."""
    values: dict[str, object] = {"title": QuotedText(article.title), "author": QuotedText(article.author)}
    if not article.title:  # the op-ed ran without a headline: the one an editor writes is marked as theirs
        values["headline_by"] = "editors"
    if article.bio:
        values["bio"] = QuotedText(article.bio)
    if article.social:
        values["social"] = [QuotedText(link) for link in article.social]
    if article.date:
        values["date"] = datetime.date.fromisoformat(article.date)
    values["chapter"] = QuotedText(chapter)
    values["summary"] = QuotedText(article.summary)
    if article.photo_credit:
        values["photo_credit"] = QuotedText(article.photo_credit)
    return f"---\n{dump_front_matter(values)}---\n\n{article.body_markdown}\n"


# --- Files ------------------------------------------------------------------------------------------------


def decode_source(data: bytes, source: str) -> str:
    hint = "save the article as plain text (UTF-8), e.g. by pasting it into a text editor"
    if b"\x00" in data:
        raise BuildError(source, None, "this is a binary file, not text", hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BuildError(
            source, line, f"this is not UTF-8 text (byte 0x{data[error.start]:02x})", hint
        ) from None


def read_source(source: str, read_stdin: Callable[[], bytes]) -> str:
    name = display_name(source)
    if source == STDIN_SOURCE:
        return decode_source(read_stdin(), name)
    try:
        data = Path(source).read_bytes()
    except OSError as error:
        raise BuildError(name, None, f"cannot read this file: {error.strerror or error}") from None
    return decode_source(data, name)


def display_name(source: str) -> str:
    return "<stdin>" if source == STDIN_SOURCE else source


def write_atomically(target: Path, text: str) -> None:
    """Write beside the target, then rename over it: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def import_files(
    sources: list[str],
    articles_dir: Path,
    *,
    chapter: str | None,
    force: bool,
    read_stdin: Callable[[], bytes],
) -> list[ImportReport]:
    """Import every source into ``articles_dir``; "-" reads standard input.

    All sources are read and checked before anything is written, and any problem stops the whole run with
    every problem listed: a rerun after fixing them then starts from the same state, with no half-imported
    batch whose written files would now count as "already exists".
    """
    errors: list[BuildError] = []
    if chapter is not None and not is_slug(chapter):
        errors.append(
            BuildError(
                "--chapter",
                None,
                f"{chapter!r} is not a chapter slug",
                "use the chapter file's name without .md, e.g. --chapter fair-funding",
            )
        )
    planned: dict[Path, tuple[str, ImportedArticle]] = {}
    for source in sources:
        name = display_name(source)
        try:
            article = parse_raw_article(read_source(source, read_stdin))
        except BuildError as error:
            path = name if error.path == Path(TEXT_SOURCE) else error.path
            errors.append(BuildError(path, error.line, error.problem, error.hint))
            continue
        if not chapter:
            note = ImportNote(None, 'no --chapter given; chapter is "" — set it to the slug of a chapter')
            article = replace(article, notes=(*article.notes, note))
        slug = article.slug()
        target = articles_dir / f"{slug}.md"
        if not is_slug(slug) or not target.resolve().is_relative_to(articles_dir.resolve()):
            errors.append(BuildError(name, None, f"cannot make a safe file name from {slug!r}"))
        elif target in planned:
            errors.append(
                BuildError(
                    name,
                    None,
                    f"{planned[target][0]} and this file would both become {target.as_posix()}",
                    "import them one at a time and retitle the first",
                )
            )
        elif target.exists() and not force:
            errors.append(
                BuildError(
                    target,
                    None,
                    f"already exists; not overwritten with the import of {name}",
                    "pass --force to replace it, or rename the existing file first",
                )
            )
        else:
            planned[target] = (name, article)
    raise_if_any(errors)
    articles_dir.mkdir(parents=True, exist_ok=True)
    reports = []
    for target, (name, article) in planned.items():
        write_atomically(target, article_file_text(article, chapter or ""))
        reports.append(ImportReport(name, target, article))
    return reports


def format_report(report: ImportReport) -> str:
    lines = [f"{report.source} -> {report.written.as_posix()}"]
    for entry in report.article.removed:
        span = (
            f"line {entry.first_line}"
            if entry.first_line == entry.last_line
            else f"lines {entry.first_line}-{entry.last_line}"
        )
        lines.append(f"  removed {span} ({entry.reason}): “{entry.first_words}”")
    for note in report.article.notes:
        where = f"line {note.line}: " if note.line else ""
        lines.append(f"  note: {where}{note.message}")
    return "\n".join(lines)


# --- Scaffolds for writing from scratch -------------------------------------------------------------------


def scaffold_article(title: str, chapter: str) -> str:
    """A new article file with every field present; optional ones commented out, each one explained."""
    if not is_slug(chapter):
        raise BuildError(
            "--chapter", None, f"{chapter!r} is not a chapter slug", "e.g. --chapter fair-funding"
        )
    return f"""\
---
# Lines starting with "#" are comments. To use an optional field, delete the "# " in front of it.
title: {yaml_text(title)}  # required: the headline
author: ""  # required: the writer's name as it should be shown, e.g. "Jo Bloggs"
# bio: ""  # optional: a sentence or two about the writer, shown under the op-ed
# social: ["@handle"]  # optional: the writer's handles ("@name") or full https:// addresses
# date: 2020-01-24  # optional: when the op-ed was first published (year-month-day); leave out if unknown
chapter: {yaml_text(chapter)}  # required: the slug of the chapter this op-ed belongs to (its file name without .md)
# chapters: ["another-chapter"]  # optional: slugs of further chapters this op-ed speaks to
summary: ""  # required: a sentence or two for lists and link previews
# photo_credit: ""  # optional: who took the photo; the page shows "Photo: " before it
# draft: true  # optional: true keeps the op-ed off the published site until it is ready
---

Write the op-ed here in Markdown: paragraphs separated by a blank line, *italics*, **bold**,
[a link](https://example.org).
"""


def scaffold_chapter(title: str, order: int) -> str:
    """A new chapter file with every field present; optional ones commented out, each one explained."""
    return f"""\
---
# Lines starting with "#" are comments. To use an optional field, delete the "# " in front of it.
title: {yaml_text(title)}  # required: the chapter's name
order: {int(order)}  # required: a whole number; chapters are listed from the lowest up
summary: ""  # required: a sentence or two on what this chapter asks for
# proposals:  # optional: what the chapter proposes, each point drawn from an op-ed; one entry per proposal
#   - text: "Fund councils for the services the law requires of them."  # the proposal, in a sentence
#     source: "article-slug#paragraph-anchor"  # the op-ed's slug, "#", the id of its paragraph making the case
# draft: true  # optional: true keeps the chapter off the published site until it is ready
---

Introduce the chapter here in Markdown: why it matters and what the op-eds in it argue.
"""
