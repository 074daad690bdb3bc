"""Raw op-ed text pasted from a news page, or a saved web page -> an article file: YAML front matter and a
clean Markdown body.

How pasted text is read, top to bottom (each step is a small function below):

1. ``normalise_lines``: BOM dropped; CRLF, CR and other line separators become LF; non-breaking and other
   odd spaces become plain spaces; zero-width and control characters go; runs of spaces collapse; lines are
   trimmed. Line numbers stay those of the pasted file, so reports point at the source.
2. ``split_blocks``: lines are grouped into blocks (paragraphs) at blank lines; a paste without any blank
   line (some browsers copy paragraphs as single lines) is read one block per line. A separator rule is
   always a block of its own. ``split_run_in_header``: headline, byline and date lines run together become
   blocks of their own.
3. ``mark_debris``: the table ``DEBRIS_RULES``, one named rule per kind of debris (share buttons, sign-up and
   donation appeals, comment furniture, related lists, tags, notices, image residue, …), each judging a
   block by its shape and taking the short neighbouring blocks that belong to the same widget.
   ``mark_comment_thread``: from a comment section's heading, or the first reader-comment header met after
   the op-ed has started, every block that is not already debris belongs to the comment thread.
4. ``read_header``: section label, headline, standfirst, byline (with a role, or several authors), date and
   captions, in any order, up to the first block that is none of these.
5. ``read_closing``: the author's bio is the last remaining block when it opens "<Name> is/was/…".
6. What is left is the op-ed, kept word for word and escaped so that Markdown shows it as written.

A saved web page (``parse_saved_page``) is read by ``webpage.py`` with trafilatura; its article's blocks go
through the same debris, header and bio rules, and every text of the page left out is reported.

Every block that leaves the body is reported (``RemovedBlock``), including those moved into front matter,
so an editor can check the importer's reading against the source in one pass. Where each field came from
is a ``FieldSource``: found, guessed (the file then opens with a comment saying so) or missing; nothing is
ever invented. Things the editor must act on (no headline, no chapter, a hidden e-mail address) are
``ImportNote`` warnings.

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
from .webpage import Inline, PageBlock, PageText, SavedPage, decode_page, looks_like_html, read_saved_page

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
SHARE = "share and follow buttons"
NOTICE = "copyright or cookie notice"
TAGS = "tag list"
IMAGE = "image residue"
STANDFIRST = "standfirst, now the summary"
SECTION_LABEL = "section label"
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


FOUND = "found"
GUESSED = "guessed"
MISSING = "missing"


@dataclass(frozen=True)
class FieldSource:
    """Where the importer took a front-matter field from: found (stated), guessed, or missing."""

    field: str
    status: str  # FOUND, GUESSED or MISSING
    detail: str


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
    sources: tuple[FieldSource, ...] = ()

    @property
    def guessed(self) -> tuple[FieldSource, ...]:
        return tuple(source for source in self.sources if source.status == GUESSED)

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
    """Header lines run together, as browsers copy a heading, become blocks of their own.

    In one of the first blocks, a headline (or date) line followed by byline and date lines is split into
    one block per line, up to the last of them; the rest of the block stays one paragraph.
    """
    split: list[Block] = []
    for position, block in enumerate(blocks):
        singles = [
            Block(block.first_line + n, block.first_line + n, (line,)) for n, line in enumerate(block.lines)
        ]
        opening = singles[0]
        run = 0
        if (
            position < 3
            and len(singles) > 1
            and (is_headline(opening, confirmed=True) or is_date_line(opening))
        ):
            while run + 1 < min(len(singles), 6) and announces_header(singles[run + 1]):
                run += 1
        if run == 0:
            split.append(block)
            continue
        split.extend(singles[: run + 1])
        if run + 1 < len(singles):
            split.append(Block(block.first_line + run + 1, block.last_line, block.lines[run + 1 :]))
    return tuple(split)


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
# Day-month-year, month-day-year, ISO (with or without its time) and the British day/month/year. A numeric
# date such as 01/02/2020 means two different days in the UK and the US, so it only counts when the day is
# above 12 or equals the month (``iso_date``).
DATE = (
    rf"{WEEKDAY}(?:(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m1>{MONTH})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{MONTH})\.?\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})(?:T[0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?"
    r"|(?P<d4>[0-3]?\d)[/.](?P<m4>[01]?\d)[/.](?P<y4>\d{4}))"
)
CLOCK = r"[0-2]?\d[:.][0-5]\d\s*(?:[ap]\.?m\.?)?(?:\s*(?:gmt|bst|utc|cet|cest|est|edt|pst|pdt))?"
TIME = rf"(?:\s*(?:,|at|@|[|·•–—-])?\s*{CLOCK})"
# "09:15, 8 October 2024": the time before the date, as some pages print it.
TIME_FIRST = rf"(?:{CLOCK}\s*(?:,|on|[|·•–—-])?\s*)"
DATE_LINE = re.compile(rf"^{TIME_FIRST}?{DATE}(?P<time>{TIME})?$", re.IGNORECASE)
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
    year = match["y1"] or match["y2"] or match["y3"] or match["y4"]
    day = match["d1"] or match["d2"] or match["d3"] or match["d4"]
    month_text = match["m1"] or match["m2"]
    month = MONTHS.index(month_text[:3].lower()) + 1 if month_text else int(match["m3"] or match["m4"])
    if match["d4"] and int(day) <= 12 and int(day) != month:
        return None  # 01/02/2020: which day is meant depends on where the page was written
    try:
        return datetime.date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


SAYS_HEADER = re.compile(r"^(?P<name>\S.{0,40}?)\s+(?:says|said|wrote|commented)\s*:$", re.IGNORECASE)


def comment_header_strength(block: Block) -> int:
    """How much prose a comment header needs before it to count: 1, 2, or 0 when it is none.

    "2. Jo on January 24, 2020 at 4:48 am", "Jo says:" and "Jo - 14 January 2025 at 10:12" are sure
    headers; "Jo Bloggs on 8 October 2024" could also be a byline, so it needs more of the op-ed before it.
    """
    line = block.lines[0]
    if DATE_LINE.match(line):
        return 0  # a date alone: the article's, or under a header already counted
    says = SAYS_HEADER.match(line)
    if says and len(block.lines) == 1:
        name = says["name"]
        return 1 if looks_like_name(name) or re.fullmatch(r"@?[A-Z][\w.-]*", name) else 0
    match = COMMENT_HEADER.match(line)
    if not match or re.match(r"(?:by|posted|published|updated|first)\b", match["name"], re.IGNORECASE):
        return 0
    if match["number"] or match["time"] or match["verb"] or match["after"]:
        return 1
    return 2 if looks_like_name(match["name"]) and len(block.lines) == 1 else 0


# --- Step 3: debris ---------------------------------------------------------------------------------------
#
# Each kind of debris is one named rule (``DEBRIS_RULES``): a test of a block on its own, and looser tests
# for the short blocks just before and after one, which belong to the same widget. "Copy link" or "Maybe
# later" means nothing alone, but beside "Share this article" or a donation appeal it is a button. A rule
# decides by the shape of a block (short, a call to action, a run of headlines) and by its neighbours, never
# by one site's wording.

# Words that only a newsletter sign-up or a donation appeal uses; two in one short block make an appeal.
SIGN_UP_SIGNALS = re.compile(
    r"\bnewsletters?\b|\binbox\b|\bsign(?:ing|ed)?[ -]up\b|\bsubscri(?:be|bing|ption)\b|\be-?mail address\b"
    r"|\bprivacy (?:policy|notice)\b|\bunsubscribe\b|\bbriefing\b|\bbulletin\b|\bround-?up\b",
    re.IGNORECASE,
)
DONATION_SIGNALS = re.compile(
    r"\bdonat\w*|\bsupport (?:us|our|the)\b|\bcontribut(?:e|ion)\b|\bjournalism\b|\breader-funded\b"
    r"|\bindependent\b|[£$€]\s?\d|\ba month\b|\bfrom (?:just|as little as)\b|\bfund (?:it|us|our)\b"
    r"|\bcosts? money\b|\bpaywall\b|\bsupporters?\b",
    re.IGNORECASE,
)
READER_ADDRESS = re.compile(r"\b(?:our|your|you|us)\b", re.IGNORECASE)
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
# The buttons and asides of a sign-up form or an appeal, which only count beside one.
APPEAL_BUTTON = re.compile(
    r"^(?:before you go|maybe later|no,? thanks?|not now|remind me later|close|continue reading|sign me up"
    r"|thank you for (?:subscribing|signing up|your support))\W*$",
    re.IGNORECASE,
)
SHARE_LINE = re.compile(
    r"^(?:share(?: this| on \w+| via \w+| to \w+)?(?: article| story| post| page)?|tweet(?: this)?"
    r"|follow us(?: on \w+)?|follow (?:@\w+|\w+ on \w+)|email this(?: article| story| page)?)\s*:?$",
    re.IGNORECASE,
)
SHARE_BUTTON = re.compile(
    r"^(?:facebook|x|twitter|whatsapp|linkedin|e-?mail|print|copy(?: the)? link|link copied|pinterest|reddit"
    r"|messenger|telegram|bluesky|threads|mastodon|instagram|youtube|tiktok|flipboard|pocket|like this:?"
    r"|like|loading\W*|like loading\W*|more|\d+ shares?|share)$",
    re.IGNORECASE,
)
NOTICE_LINE = re.compile(
    r"^(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4}))|\ball rights reserved\b|\bregistered in england\b|\bcompany (?:no|number)\b",
    re.IGNORECASE,
)
COOKIE_SIGNALS = re.compile(
    r"\bcookies?\b.*\b(?:accept|consent|agree|preferences|settings|browsing|experience|privacy|policy)\b",
    re.I,
)
NOTICE_BUTTON = re.compile(
    r"^(?:accept(?: all)?(?: cookies)?|reject(?: all)?(?: cookies)?|allow(?: all)?(?: cookies)?|decline"
    r"|(?:manage|customi[sz]e|cookie) (?:preferences|settings|options|cookies)|ok|okay|got it|i agree|agree)\W*$",
    re.IGNORECASE,
)
RELATED_HEADING = re.compile(
    r"^(?:more (?:from|on|by|stories|articles|news|like this)|related(?: articles| stories| posts| content| reading| news)?"
    r"|you (?:may|might) also like|read next|most (?:read|popular|viewed|shared|commented)|recommended(?: for you| reading)?"
    r"|also on|popular(?: now| stories)?|trending(?: now)?|top stories|latest(?: news| stories)?|in other news|editor'?s picks)\b",
    re.IGNORECASE,
)
READ_MORE = re.compile(
    r"^(?:read more|read next|see also|related|also read)\s*:\s*\S|^read more(?: here)?\.?$", re.I
)
TAGS_LINE = re.compile(r"^(?:tags?|filed under|topics?|categories|posted in|more on)\s*:\s*\S", re.IGNORECASE)
TAGS_HEADING = re.compile(
    r"^(?:tags?|topics?|categories|filed under|related topics|more on (?:this|these) topics?)\s*:?$", re.I
)
COMMENT_FURNITURE = re.compile(
    r"^(?:leave a (?:comment|reply)(?: cancel reply)?|post a comment|add (?:a|your) comment|join the (?:discussion|conversation|debate)"
    r"|have your say|\d+ (?:comments?|responses?|replies)(?: to .*)?|comments?(?: \(\d+\))?|reply|cancel reply|report|like"
    r"|comments are closed\.?|(?:load|show|view|see) (?:more|all|\d+)(?: comments| replies)?|sort by \w+|newest|oldest"
    r"|log in to (?:comment|reply)|you must be logged in to post a comment\.?"
    r"|your email address will not be published\..*|required fields are marked \*)$",
    re.IGNORECASE,
)
# A comment section's opening, from which the rest of the page is the thread.
COMMENT_SECTION = re.compile(
    r"^(?:comments?(?: \(\d+\))?|\d+ (?:comments?|responses?|replies)(?: to .*)?"
    r"|join the (?:discussion|conversation|debate)|have your say|reader comments)$",
    re.IGNORECASE,
)
PAGE_FURNITURE = re.compile(
    r"^(?:print this(?: article| page| story)?|save(?: for later| article)?|bookmark|listen(?: to this article)?"
    r"|\d+\s*min(?:ute)?s?\s+read|reading time:.*|text size.*|about the (?:author|writer)s?:?|advertisement|advert"
    r"|sponsored(?: content)?|skip to (?:main )?content|back to top)$",
    re.IGNORECASE,
)
IMAGE_RESIDUE = re.compile(
    r"^(?:\[?(?:image|photo|picture|video|gallery)\]?|image \d+ of \d+|\d+ of \d+|enlarge(?: this image)?"
    r"|(?:open|view|see) (?:image|gallery|(?:all )?\d* ?(?:photos|images))(?: in gallery)?|expand|play video"
    r"|[\w.-]+\.(?:jpe?g|png|gif|webp|avif|svg))$",
    re.IGNORECASE,
)
PHOTO_CREDIT_LINE = re.compile(
    r"^(?:(?:main|top|header|featured|lead)\s+)?(?:photo(?:graph)?|picture|pic|image|illustration|credit)s?"
    r"(?:\s+credit)?\s*(?::|\bby\b|©)\s*(?P<credit>\S.*)$",
    re.IGNORECASE,
)
# "Volunteers at the food bank. Photograph: Lee Marsh/Tarrow Echo": a caption that ends with its credit.
CAPTION_CREDIT = re.compile(
    r"^(?P<caption>.*\S)\s+[(\[]?(?:photo(?:graph)?|picture|pic|image|credit)\s*(?::|©)\s*(?P<credit>[^()\[\].]{2,80})[)\]]?\.?$",
    re.IGNORECASE,
)
EMAIL_PLACEHOLDER = re.compile(
    r"\[\s*email(?:\s|&nbsp;|&#160;)*protected\s*\]|\S*/cdn-cgi/l/email-protection\S*", re.I
)


def is_short(block: Block, words: int = MAX_CAPTION_WORDS) -> bool:
    return block.word_count <= words


def is_appeal(block: Block) -> bool:
    text = block.text
    if is_short(block) and APPEAL_CALL.match(text):
        return True
    if block.word_count <= 120 and APPEAL_PHRASES.search(text) is not None:
        return True
    sign_up = {match.lower() for match in SIGN_UP_SIGNALS.findall(text)}
    donation = {match.lower() for match in DONATION_SIGNALS.findall(text)}
    speaks_to_reader = READER_ADDRESS.search(text) is not None  # "our newsletter", "your inbox"
    return block.word_count <= 60 and speaks_to_reader and (len(sign_up) >= 2 or len(donation) >= 3)


def is_appeal_button(block: Block) -> bool:
    return is_short(block, 20) and bool(APPEAL_BUTTON.match(block.text) or SIGN_UP_SIGNALS.search(block.text))


def is_share_line(block: Block) -> bool:
    return is_short(block) and SHARE_LINE.match(block.text) is not None


def is_share_button(block: Block) -> bool:
    return is_short(block, 4) and (SHARE_BUTTON.match(block.text) is not None or is_share_line(block))


def is_notice(block: Block) -> bool:
    """A copyright line or a cookie banner."""
    text = block.text
    return (block.word_count <= 30 and NOTICE_LINE.search(text) is not None) or (
        block.word_count <= 80 and COOKIE_SIGNALS.search(text) is not None
    )


def is_notice_button(block: Block) -> bool:
    return is_short(block, 4) and NOTICE_BUTTON.match(block.text) is not None


def is_comment_furniture(block: Block) -> bool:
    return is_short(block, 20) and COMMENT_FURNITURE.match(block.text) is not None


def is_related_heading(block: Block) -> bool:
    text = block.text
    return is_short(block) and RELATED_HEADING.match(text) is not None and not text.endswith(tuple(".!?"))


def is_read_more_link(block: Block) -> bool:
    return block.word_count <= 25 and READ_MORE.match(block.text) is not None


def is_headline_list(block: Block) -> bool:
    return all(
        len(line.split()) <= MAX_HEADLINE_WORDS and not line.endswith(tuple(".,;:")) for line in block.lines
    )


def is_tag_line(block: Block) -> bool:
    return block.word_count <= 30 and TAGS_LINE.match(block.text) is not None


def is_tag_heading(block: Block) -> bool:
    return is_short(block, 5) and TAGS_HEADING.match(block.text) is not None


def is_tag(block: Block) -> bool:
    """One entry of a tag list: a few words with no sentence punctuation."""
    return len(block.lines) == 1 and is_short(block, 5) and not block.text.endswith(tuple(".!?:;,"))


def is_page_furniture(block: Block) -> bool:
    text = block.text
    return is_short(block) and (PAGE_FURNITURE.match(text) or UPDATED_LINE.match(text)) is not None


def is_image_residue(block: Block) -> bool:
    return is_short(block, 6) and IMAGE_RESIDUE.match(block.text) is not None


def photo_credit_of(block: Block) -> str | None:
    """The credit of a "Photo: …" line, or of a caption that ends with one; None for anything else."""
    if len(block.lines) != 1:
        return None
    text = block.text.strip()
    bare = text[1:-1] if text[:1] + text[-1:] in ("()", "[]") else text
    match = PHOTO_CREDIT_LINE.match(bare)
    if match and block.word_count <= 15:
        return match["credit"]
    captioned = CAPTION_CREDIT.match(text)
    if captioned and block.word_count <= 40 and len(captioned["credit"].split()) <= 8:
        return captioned["credit"].strip()
    return None


def is_photo_credit(block: Block) -> bool:
    return photo_credit_of(block) is not None


def is_published_line(block: Block) -> bool:
    return PUBLISHED_LINE.match(block.text) is not None


def is_separator_block(block: Block) -> bool:
    return all(is_separator_line(line) for line in block.lines)


def never(block: Block) -> bool:
    return False


@dataclass(frozen=True)
class DebrisRule:
    """One kind of debris: how a block shows it alone, and which neighbours belong with such a block."""

    reason: str
    alone: Callable[[Block], bool]
    after: Callable[[Block], bool] = never  # a block just after one that is (or joined) this debris
    before: Callable[[Block], bool] = never  # a block just before one


# In order: the first rule a block meets gives the reason it is reported under.
DEBRIS_RULES = (
    DebrisRule(SEPARATOR, is_separator_block),
    DebrisRule(COMMENTS, is_comment_furniture),
    DebrisRule(APPEAL, is_appeal, after=is_appeal_button, before=is_appeal_button),
    DebrisRule(SHARE, is_share_line, after=is_share_button, before=is_share_button),
    DebrisRule(NOTICE, is_notice, after=is_notice_button, before=is_notice_button),
    DebrisRule(RELATED, is_related_heading, after=is_headline_list),
    DebrisRule(RELATED, is_read_more_link),
    DebrisRule(TAGS, is_tag_line),
    DebrisRule(TAGS, is_tag_heading, after=is_tag),
    DebrisRule(FURNITURE, is_page_furniture),
    DebrisRule(IMAGE, is_image_residue),
    DebrisRule(PHOTO_CREDIT, is_photo_credit),
    DebrisRule(PUBLICATION_DATE, is_published_line),
)


def mark_debris(blocks: tuple[Block, ...]) -> dict[int, str]:
    """Every block that is debris alone, then the neighbours each rule takes with it.

    A neighbour is joined across debris of the same kind (the second "Share on …" line of a share bar),
    never across anything else, so the widget a button belongs to must touch it.
    """
    reasons: dict[int, str] = {}
    rules: dict[int, DebrisRule] = {}
    for i, block in enumerate(blocks):
        rule = next((rule for rule in DEBRIS_RULES if rule.alone(block)), None)
        if rule:
            reasons[i], rules[i] = rule.reason, rule
    for start in sorted(rules):
        rule = rules[start]
        for step, joins in ((1, rule.after), (-1, rule.before)):
            i = start + step
            while 0 <= i < len(blocks) and (
                reasons.get(i) == rule.reason or (i not in reasons and joins(blocks[i]))
            ):
                if i not in reasons:
                    reasons[i] = rule.reason
                i += step
    return reasons


def comment_thread_start(blocks: tuple[Block, ...], removed: Mapping[int, str]) -> int | None:
    """Where the comment section opens: its heading, or the first comment header once the op-ed has begun.

    A header needs prose before it, so a dated byline is never read as a comment; "Jo Bloggs on 8 October
    2024", with no time or number, needs two paragraphs of prose, which a header never has.
    """
    prose_seen = 0
    for i, block in enumerate(blocks):
        if i in removed:
            if prose_seen and removed[i] == COMMENTS and COMMENT_SECTION.match(block.text):
                return i
            continue
        strength = comment_header_strength(block)
        if strength and prose_seen >= strength:
            return i
        prose_seen += is_prose(block)
    return None


def mark_comment_thread(blocks: tuple[Block, ...], removed: Mapping[int, str]) -> dict[int, str]:
    """A comment thread ends the article: from its start on, what is not other debris is comments.

    Comment text copied from a page often loses the indentation that set it apart, so the thread is taken
    whole.
    """
    start = comment_thread_start(blocks, removed)
    if start is None:
        return {}
    return {j: COMMENTS for j in range(start, len(blocks)) if j not in removed}


# --- Step 4: the header -----------------------------------------------------------------------------------

BY_PREFIX = re.compile(
    r"^(?:(?:(?:words|written|posted|story|report|reporting)\s+)?by\s+|(?:words|author)\s*:\s*)(?P<rest>\S.*)$",
    re.IGNORECASE,
)
# "Posted on 5 March 2023 by Ruth Amadi-Lowe"
DATED_BYLINE = re.compile(
    rf"^(?:(?:first\s+)?published|posted|written)(?:\s+on)?\s*:?\s*(?P<date>{DATE}(?:{TIME})?)\s*,?\s+by\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)
BYLINE_SEPARATOR = re.compile(r"\s*[,|·•]\s*|\s+[–—-]\s+")
AUTHOR_JOIN = re.compile(r"\s*,\s*|\s+(?:and|&)\s+")
HEADER_REACH = 12  # blocks: a page's header is never longer; past it the op-ed has begun


@dataclass(frozen=True)
class Byline:
    author: str  # as written: "Tom Kerrigan, Sian Bevis and Abena Marsh"
    role: str  # what follows the names: "councillor for Eastbrook Central ward"
    date: str | None
    stated_date: str  # the date as the byline gives it, "" without one
    prefixed: bool  # "By …", the surest sign of a byline
    text: str


def author_names(author: str) -> list[str]:
    return [name for name in AUTHOR_JOIN.split(author) if name]


def names_author(name: str, author: str) -> bool:
    """Whether ``name`` is the author or one of several authors."""
    return bool(name) and any(same_name(name, one) for one in [author, *author_names(author)])


def read_byline(text: str) -> Byline | None:
    """The names, role and date of a byline's text, or None when it does not open with a person's name.

    "By Priya Natt, councillor for Eastbrook Central ward", "Gareth Pell, Leader, Wenbury Borough Council",
    "By Tom Kerrigan, Sian Bevis and Abena Marsh", "Lucy Fenwick | 21/02/2024 17:45". A comma after a name
    starts the role unless the names go on to an "and": then they are a list of authors.
    """
    date_text = ""
    dated_first = DATED_BYLINE.match(text)
    prefixed = dated_first or BY_PREFIX.match(text)
    rest = prefixed["rest"] if prefixed else text
    if dated_first:
        date_text = dated_first["date"]
    dated = DATE_IN_TEXT.search(rest)
    if dated and not rest[dated.end() :].strip() and dated.start() > 0:
        date_text = dated[0]
        rest = re.sub(r"\s+(?:on|at)$", "", rest[: dated.start()].strip(" ,|·•–—-"))
    separators = list(BYLINE_SEPARATOR.finditer(rest))
    ends = [separator.start() for separator in separators] + [len(rest)]
    parts = [rest[start:end] for start, end in zip([0, *(s.end() for s in separators)], ends, strict=True)]
    listed = 0
    while listed < len(parts) and all(looks_like_name(name) for name in author_names(parts[listed])):
        listed += 1
    if listed == 0:
        return None
    if listed > 1 and not re.search(r"\s(?:and|&)\s", parts[listed - 1]):
        listed = 1  # "Jo Bloggs, Eastbrook Council": a name and an organisation, not two authors
    author = rest[: ends[listed - 1]]
    role = rest[ends[listed - 1] :].lstrip(" ,|·•–—-")
    date_match = DATE_IN_TEXT.search(date_text) if date_text else None
    date = iso_date(date_match) if date_match else None
    return Byline(author, role, date, date_text, bool(prefixed), text)


def byline_of(block: Block, *, after_headline: bool, bio_name: str) -> Byline | None:
    """The byline this block is, or None.

    "By Jane Doe", "Jane Doe | 24 January 2020" and "Jane Doe, councillor" are bylines. A bare name counts
    right under a headline, or when the closing bio names the same person; anywhere else it could be a
    title-case headline.
    """
    if len(block.lines) > 2 or block.word_count > 25 or block.text.endswith("."):
        return None
    byline = read_byline(block.text)
    if byline is None:
        return None
    vouched = byline.prefixed or byline.role or byline.stated_date
    if vouched or after_headline or names_author(bio_name, byline.author):
        return byline
    return None


def is_headline(block: Block, *, confirmed: bool = False) -> bool:
    """A headline is one short line with no sentence-final full stop, standing alone.

    What tells it from a one-line opening paragraph: an opening paragraph is a sentence, so it ends with a
    full stop (or runs on past 20 words, as an opening that lost its stop does), while a headline stops
    without one. It is also one sentence, and does not open in lower case, unless a byline or a date
    follows it (``confirmed``): "Buses are a lifeline. Eastbrook must run its own" is then a headline too.
    """
    text = block.text
    return (
        len(block.lines) == 1
        and block.word_count <= MAX_HEADLINE_WORDS + (5 if confirmed else 0)
        and len(text) <= 160
        and not text.endswith(tuple(".,;:"))
        and not text[0].islower()
        and (confirmed or len(sentence_spans(text)) == 1)
    )


def is_caption(block: Block) -> bool:
    """A few words with no sentence punctuation: the caption of a picture the paste left behind."""
    return (
        len(block.lines) == 1
        and block.word_count <= MAX_CAPTION_WORDS
        and len(block.text) <= 60
        and not block.text.endswith(tuple(".!?:;,"))
    )


def is_date_line(block: Block) -> bool:
    return len(block.lines) == 1 and DATE_LINE.match(block.text) is not None


def announces_header(block: Block | None) -> bool:
    """A byline or a date line: what confirms that the lines above it are a headline and a standfirst."""
    return block is not None and (
        is_date_line(block) or byline_of(block, after_headline=True, bio_name="") is not None
    )


def is_section_label(block: Block, following: Block | None) -> bool:
    """ "Opinion" or "Local politics" above a headline: a word or three, then the headline itself."""
    return (
        following is not None
        and len(block.lines) == 1
        and block.word_count <= 3
        and not block.text.endswith(tuple(".!?:;,"))
        and not is_date_line(block)
        and is_headline(following, confirmed=True)
        and not announces_header(following)
    )


@dataclass(frozen=True)
class Header:
    reasons: Mapping[int, str]
    title: str
    byline: Byline | None
    byline_line: int | None
    byline_vouched: (
        bool  # "By", a role, a date or the bio's name make a byline sure; a bare name alone does not
    )
    date: str | None
    date_line: int | None
    standfirst: str
    bio_index: int | None  # a "<Name> is …" line in the header, naming the byline's author
    notes: tuple[ImportNote, ...]

    @property
    def author(self) -> str:
        return self.byline.author if self.byline else ""


def read_header(blocks: tuple[Block, ...], removed: Mapping[int, str], bio_name: str) -> Header:
    """Headline, standfirst, byline, date, captions and a section label, in any order, up to the op-ed.

    Each block of the first few is read by its shape and its neighbours: a line with a full stop is a
    headline only when a byline or a date follows it, and a paragraph of prose is a standfirst only between
    the headline and the byline. The first block that is none of these is where the op-ed begins.
    """
    remaining = [i for i in range(len(blocks)) if i not in removed]
    candidates = remaining[:-1][:HEADER_REACH]  # the last block is the op-ed's, whatever it looks like
    reasons: dict[int, str] = {}
    notes: list[ImportNote] = []
    title = standfirst = ""
    byline: Byline | None = None
    byline_line = date_line = bio_index = None
    vouched = False
    date: str | None = None
    for position, i in enumerate(candidates):
        block = blocks[i]
        following = blocks[remaining[position + 1]] if position + 1 < len(remaining) else None
        found = None if byline else byline_of(block, after_headline=bool(title), bio_name=bio_name)
        if found:
            byline, byline_line, reasons[i] = found, block.first_line, BYLINE
            vouched = bool(found.prefixed or found.role or found.stated_date) or names_author(
                bio_name, found.author
            )
            if found.stated_date and date is None:
                date, date_line = found.date, block.first_line
                notes.extend(date_problems(found.stated_date, block.first_line))
        elif date is None and is_date_line(block):
            match = DATE_LINE.match(block.text)
            date, date_line, reasons[i] = iso_date(match), block.first_line, PUBLICATION_DATE
            date_line = date_line if date else None
        elif not title and not byline and is_section_label(block, following):
            reasons[i] = SECTION_LABEL
        elif not title and not byline and is_headline(block, confirmed=announces_header(following)):
            title, reasons[i] = block.text, HEADLINE
        elif title and not byline and not standfirst and is_prose(block) and announces_header(following):
            standfirst, reasons[i] = block.text, STANDFIRST
        elif byline and bio_index is None and names_author(bio_name_of(block), byline.author):
            bio_index = i
        elif (title or byline) and is_caption(block):
            reasons[i] = CAPTION
        else:
            break
    return Header(
        reasons, title, byline, byline_line, vouched, date, date_line, standfirst, bio_index, tuple(notes)
    )


def date_problems(stated: str, line: int) -> list[ImportNote]:
    """A note when a stated date names no day, or could name two; the date is then left out."""
    match = DATE_IN_TEXT.search(stated)
    if match is None or iso_date(match) is not None:
        return []
    if match["d4"]:
        message = f"“{stated}” could be either of two days (day/month or month/day); date left out"
    else:
        message = f"“{stated}” is not a real date; date left out"
    return [ImportNote(line, message)]


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
    if name and (not author or names_author(name, author)):
        return Closing(last, name, {}, ())
    for i in reversed(content[-4:-1]):
        candidate = bio_name_of(blocks[i])
        vouched = names_author(candidate, author) or HANDLE.search(blocks[i].text)
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
    return escape_line_start(escape_inline(line))


def escape_inline(text: str) -> str:
    """Text as Markdown that shows it as written, wherever in a line it stands."""
    escaped = ENTITY.sub("&amp;", text)
    return INLINE_MARKUP.sub(lambda match: "\\" + match[0], escaped).replace("<", "&lt;")


def escape_line_start(escaped: str) -> str:
    """Escaped text that opens a line, made safe from being read as a heading, list, quote or fence."""
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
) -> tuple[str | None, int | None, tuple[ImportNote, ...]]:
    """The byline's or header's date, else the first "Published on …" line's, with its line; never a guess."""
    found: list[tuple[str, int]] = []
    notes: list[ImportNote] = []
    for i in sorted(reasons):
        match = DATE_IN_TEXT.search(blocks[i].text) if reasons[i] == PUBLICATION_DATE else None
        if match and (day := iso_date(match)):
            found.append((day, blocks[i].first_line))
        elif match:
            notes.extend(date_problems(blocks[i].text, blocks[i].first_line))
    if header.date:
        return header.date, header.date_line, tuple(notes)
    day, line = found[0] if found else (None, None)
    return day, line, tuple(notes)


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
    reasons |= mark_comment_thread(blocks, reasons)
    content = [i for i in range(len(blocks)) if i not in reasons]
    bio_hint = bio_name_of(blocks[content[-1]]) if len(content) > 1 else ""
    header = read_header(blocks, reasons, bio_hint)
    reasons |= header.reasons
    if header.bio_index is not None:
        closing = Closing(header.bio_index, header.author, {}, ())
    else:
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
    date, date_line, date_notes = read_stated_date(blocks, reasons, header)
    photo_credit, credit_notes = read_photo_credit(blocks, reasons)
    author = header.author or closing.name
    role_bio = f"{author}, {header.byline.role}" if header.byline and header.byline.role else ""
    sources = (
        title_source(header.title, blocks, header.reasons),
        author_source(header, closing, blocks),
        bio_source(bio, role_bio, closing, blocks, header),
        date_source(date, date_line),
    )
    notes = [*header.notes, *closing.notes, *bio_notes, *body_notes, *date_notes, *credit_notes]
    notes.extend(missing_notes(header.title, author))
    removed = removed_blocks(blocks, reasons) + list(lost_links)  # a bio is listed before its lost link
    return ImportedArticle(
        title=header.title,
        author=author,
        bio=bio or role_bio,
        social=social_links(f"{header.byline.text if header.byline else ''} {bio}"),
        date=date,
        summary=summarise(header.standfirst or paragraphs[0].text),
        photo_credit=photo_credit,
        body_markdown="\n\n".join(paragraph.markdown() for paragraph in paragraphs),
        removed=tuple(sorted(removed, key=lambda entry: (entry.first_line, entry.last_line))),
        notes=tuple(sorted(notes, key=lambda note: (note.line or 0, note.message))),
        sources=sources,
    )


def missing_notes(title: str, author: str) -> list[ImportNote]:
    notes = []
    if not title:
        notes.append(
            ImportNote(
                None,
                'no headline found (the text opens with the article); title is "" — write one'
                " (it is marked as the editors': headline_by: editors)",
            )
        )
    if not author:
        notes.append(ImportNote(None, 'no byline or bio names the author; author is "" — fill it in'))
    return notes


# --- Where each field came from ---------------------------------------------------------------------------


def line_of(blocks: tuple[Block, ...], reasons: Mapping[int, str], reason: str) -> int | None:
    return next((blocks[i].first_line for i in sorted(reasons) if reasons[i] == reason), None)


def title_source(title: str, blocks: tuple[Block, ...], reasons: Mapping[int, str]) -> FieldSource:
    if not title:
        return FieldSource("title", MISSING, "no headline above the op-ed")
    return FieldSource("title", FOUND, f"the headline, line {line_of(blocks, reasons, HEADLINE)}")


def author_source(header: Header, closing: Closing, blocks: tuple[Block, ...]) -> FieldSource:
    if header.byline and header.byline_vouched:
        return FieldSource("author", FOUND, f"the byline, line {header.byline_line}")
    if header.byline:
        return FieldSource(
            "author",
            GUESSED,
            f"a name alone under the headline, line {header.byline_line}; is it the author?",
        )
    if closing.name and closing.bio_index is not None:
        return FieldSource("author", FOUND, f"the author's bio, line {blocks[closing.bio_index].first_line}")
    return FieldSource("author", MISSING, "no byline or bio names the author")


def bio_source(
    bio: str, role_bio: str, closing: Closing, blocks: tuple[Block, ...], header: Header
) -> FieldSource:
    if bio and closing.bio_index is not None:
        return FieldSource("bio", FOUND, f"the author's bio, line {blocks[closing.bio_index].first_line}")
    if role_bio:
        return FieldSource("bio", FOUND, f"the role in the byline, line {header.byline_line}")
    return FieldSource("bio", MISSING, "no bio, and no role in the byline")


def date_source(date: str | None, line: int | None) -> FieldSource:
    if date:
        return FieldSource("date", FOUND, f"stated on line {line}")
    return FieldSource("date", MISSING, "the text states no publication date; none was guessed")


# --- Saved web pages --------------------------------------------------------------------------------------

OUTSIDE = "outside the article (menus, asides, comments and the like)"
SAFE_LINK = re.compile(r"^(?:https?://|mailto:)\S+$", re.IGNORECASE)


def link_address(href: str) -> str:
    """An address Markdown reads whole: brackets, spaces and angle brackets percent-encoded."""
    return (
        href.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def inline_markdown(runs: tuple[Inline, ...]) -> str:
    """A block's runs as Markdown: emphasis and safe links kept, every other character shown as written."""
    merged: list[Inline] = []
    for run in runs:
        if merged and (merged[-1].style, merged[-1].href) == (run.style, run.href):
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    parts: list[str] = []
    for run in merged:
        text = " ".join(run.text.split())
        if not text:
            parts.append(" " if run.text else "")
            continue
        markdown = escape_inline(text)
        if run.style:
            mark = "**" if run.style == "strong" else "*"
            markdown = f"{mark}{markdown}{mark}"
        if run.href and SAFE_LINK.match(run.href):
            markdown = f"[{markdown}]({link_address(run.href)})"
        lead = " " if run.text[:1].isspace() else ""
        trail = " " if run.text[-1:].isspace() else ""
        parts.append(f"{lead}{markdown}{trail}")
    return " ".join("".join(parts).split())


def page_block_markdown(block: PageBlock) -> str:
    items = [inline_markdown(item) for item in block.items]
    if block.kind == "heading":
        heading = items[0]
        return f"{'#' * block.level} {heading[:-1] + '&#35;' if heading.endswith('#') else heading}"
    if block.kind == "list":
        return "\n".join(f"- {escape_line_start(item)}" for item in items)
    if block.kind == "ordered list":
        return "\n".join(f"{number}. {escape_line_start(item)}" for number, item in enumerate(items, 1))
    if block.kind == "quote":
        return "\n>\n".join(f"> {escape_line_start(item)}" for item in items)
    if block.kind == "table":
        rows = [f"| {' | '.join(escape_inline(cell.text) or ' ' for cell in row)} |" for row in block.items]
        width = max(len(row) for row in block.items)
        return "\n".join([rows[0], "|" + " --- |" * width, *rows[1:]])
    return escape_line_start(items[0])


def page_text_reason(text: str, article: ImportedArticle, page: SavedPage) -> str | None:
    """Why a text the page showed is not in the body, when it went into front matter; else None."""
    block = Block(0, 0, (text,))
    byline = read_byline(text) if block.word_count <= 25 else None
    if same_name(text, article.title):
        return HEADLINE
    if page.description and same_name(text, page.description):
        return STANDFIRST
    if byline and article.author and names_author(author_names(byline.author)[0], article.author):
        return BYLINE
    if is_date_line(block):
        return PUBLICATION_DATE
    if article.bio and same_name(text, article.bio):
        return BIO
    if article.photo_credit and photo_credit_of(block) == article.photo_credit:
        return PHOTO_CREDIT
    return None


def page_removed(
    texts: tuple[PageText, ...], kept: str, article: ImportedArticle, page: SavedPage
) -> list[RemovedBlock]:
    """Every text of the page left out of the body, in runs of neighbours left out for the same reason.

    The text importer's debris rules name what they can (a share bar, a comment section, a list of
    headlines under "Most read"); the rest of what the extraction left out was outside the article.
    """
    blocks = tuple(Block(text.line, text.line, (text.text,)) for text in texts)
    debris = mark_debris(blocks)
    debris |= mark_comment_thread(blocks, debris)
    reasons = {
        i: page_text_reason(text.text, article, page) or debris.get(i, OUTSIDE)
        for i, text in enumerate(texts)
        if text.text not in kept
    }
    return removed_blocks(blocks, reasons)


def page_byline_role(texts: tuple[PageText, ...], author: str) -> tuple[str, int | None]:
    """The role the page's byline gives the author ("By Nadia Okafor, cabinet member for …"), with its line."""
    for text in texts:
        byline = read_byline(text.text) if len(text.text.split()) <= 25 else None
        if byline and byline.role and names_author(author_names(byline.author)[0], author):
            return f"{byline.author}, {byline.role}", text.line
    return "", None


def parse_saved_page(html_text: str) -> ImportedArticle:
    """Read a web page saved from the browser. Raises BuildError (path "<text>") when it holds no article."""
    page = read_saved_page(html_text)
    if page is None or not any(is_prose(Block(0, 0, block.lines)) for block in page.blocks):
        raise BuildError(
            TEXT_SOURCE,
            None,
            "found no article in this web page",
            "open the page in a browser, copy the op-ed's text and import that as a .txt file",
        )
    lines = {text.text: text.line for text in reversed(page.texts)}
    blocks = tuple(
        Block(line, line, block.lines)
        for block in page.blocks
        for line in [next((n for t, n in lines.items() if block.lines[0] and block.lines[0] in t), 0)]
    )
    reasons = mark_debris(blocks)
    reasons |= mark_comment_thread(blocks, reasons)
    header = read_header(blocks, reasons, page.author)
    reasons |= header.reasons
    author = page.author or header.author
    closing = read_closing(blocks, reasons, author)
    reasons |= closing.reasons
    bio = ""
    if closing.bio_index is not None:
        reasons[closing.bio_index] = BIO
        bio = blocks[closing.bio_index].text
    author = author or closing.name
    role_bio, role_line = page_byline_role(page.texts, author) if author and not bio else ("", None)
    kept = [page_blocks for i, page_blocks in enumerate(page.blocks) if i not in reasons]
    if not kept:
        raise BuildError(
            TEXT_SOURCE,
            None,
            "nothing left after removing debris",
            "the page's article held only headlines, bylines, comments, appeals or similar",
        )
    title = page.title or header.title
    date = page.date or header.date
    credits = [text for text in page.texts if is_photo_credit(Block(0, 0, (text.text,)))]
    body_start = next((block.first_line for i, block in enumerate(blocks) if i not in reasons), 0)
    credit = next(
        (photo_credit_of(Block(0, 0, (c.text,))) or "" for c in credits if c.line <= body_start), ""
    )
    first_paragraph = next((block.lines[0] for block in kept if block.kind == "paragraph"), kept[0].lines[0])
    article = ImportedArticle(
        title=title,
        author=author,
        bio=bio or role_bio,
        social=social_links(bio),
        date=date,
        summary=summarise(page.description or header.standfirst or first_paragraph),
        photo_credit=credit,
        body_markdown="\n\n".join(page_block_markdown(block) for block in kept),
        removed=(),
        notes=tuple(missing_notes(title, author)),
        sources=(
            FieldSource("title", FOUND, "the page's metadata and headline")
            if page.title
            else title_source(header.title, blocks, header.reasons),
            page_author_source(page, header, closing, blocks),
            FieldSource(
                "bio",
                FOUND,
                f"the author's bio at the end of the article, line {blocks[closing.bio_index].first_line}",
            )
            if bio and closing.bio_index is not None
            else FieldSource("bio", FOUND, f"the role in the page's byline, line {role_line}")
            if role_bio
            else FieldSource("bio", MISSING, "no bio, and no role in the byline"),
            page_date_source(page, header),
        ),
    )
    kept_text = " ".join(line for block in kept for line in block.lines)
    return replace(article, removed=tuple(page_removed(page.texts, kept_text, article, page)))


def page_author_source(
    page: SavedPage, header: Header, closing: Closing, blocks: tuple[Block, ...]
) -> FieldSource:
    if page.author and "author" in page.stated:
        return FieldSource("author", FOUND, "the page's metadata")
    byline_line = next(
        (
            text.line
            for text in page.texts
            if (byline := read_byline(text.text))
            and byline.prefixed
            and same_name(byline.author, page.author)
        ),
        None,
    )
    if page.author and byline_line:
        return FieldSource("author", FOUND, f"the byline on the page, line {byline_line}")
    if page.author:
        return FieldSource("author", GUESSED, "read from the page's layout, not stated in its metadata")
    return author_source(header, closing, blocks)


def page_date_source(page: SavedPage, header: Header) -> FieldSource:
    if page.date and "date" in page.stated:
        return FieldSource("date", FOUND, "the page's metadata")
    date_line = next(
        (
            text.line
            for text in page.texts
            if (match := DATE_LINE.match(text.text)) and iso_date(match) == page.date
        ),
        None,
    )
    if page.date and date_line:
        return FieldSource("date", FOUND, f"stated on line {date_line}")
    if page.date:
        return FieldSource("date", GUESSED, "read from the page's address or layout, not stated on it")
    return date_source(header.date, header.date_line)


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
    return f"---\n{guess_comment(article)}{dump_front_matter(values)}---\n\n{article.body_markdown}\n"


def guess_comment(article: ImportedArticle) -> str:
    """YAML comment lines naming each guessed field, so the campaigner checks them before publishing."""
    lines = [f"# The importer guessed {source.field}: {source.detail}" for source in article.guessed]
    if lines:
        lines.append("# Check these against the original, then delete these comment lines.")
    return "".join(f"{' '.join(line.split())}\n" for line in lines)


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


PAGE_SUFFIXES = (".html", ".htm", ".xhtml")


def is_saved_page(source: str, data: bytes) -> bool:
    """A web page saved from the browser: by its name, or, for standard input, by how it opens."""
    opening = data[:1000].decode("utf-8", "ignore")
    return b"\x00" not in data and (source.lower().endswith(PAGE_SUFFIXES) or looks_like_html(opening))


def read_source(source: str, read_stdin: Callable[[], bytes]) -> tuple[str, bool]:
    """The source's text, and whether it is a saved web page rather than pasted text."""
    name = display_name(source)
    if source == STDIN_SOURCE:
        data = read_stdin()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise BuildError(name, None, f"cannot read this file: {error.strerror or error}") from None
    if is_saved_page(source, data):
        return decode_page(data), True
    return decode_source(data, name), False


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
            text, is_page = read_source(source, read_stdin)
            article = parse_saved_page(text) if is_page else parse_raw_article(text)
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
    lines.extend(f"  {source.field}: {source.status} ({source.detail})" for source in report.article.sources)
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
