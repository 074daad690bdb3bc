"""The content model: what a site is made of, as frozen records sorted when built."""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from .errors import BuildError


@dataclass(frozen=True)
class Link:
    label: str
    url: str  # an absolute URL, or a site path such as "/about/" (the base path is added when rendered)


@dataclass(frozen=True)
class Imprint:
    """UK digital-imprint details, shown on every page."""

    promoter: str
    address: str
    on_behalf_of: str = ""  # the person or group the site is published for, when not the promoter
    on_behalf_of_address: str = ""
    printer: str = ""  # printed material (the PDFs) must also name its printer, with the address
    printer_address: str = ""

    def text(self, printed: bool = False) -> str:
        """The imprint in the default wording (the templates' promoted_by and printed_by macros say it in
        the page's language), naming the printer on ``printed`` material."""
        text = f"Promoted by {self.promoter}, {self.address}"
        if self.on_behalf_of:
            text += f", on behalf of {self.on_behalf_of}, {self.on_behalf_of_address}"
        text += "."
        if printed and self.printer:
            text += f" Printed by {self.printer}, {self.printer_address}."
        return text


@dataclass(frozen=True)
class Brand:
    """The campaign's look, from site.yaml's ``brand`` (colours checked for contrast by brand.py)."""

    accent: str = "#8b1a2b"  # '#rrggbb': buttons, links, the rule under the header
    accent_dark: str | None = None  # the accent in dark mode; None: made from ``accent`` (brand.dark_accent)
    logo: str | None = None  # a picture's path under content/images/ ("logo.svg"), shown in the header
    logo_size: tuple[int, int] | None = None  # the logo's width and height in pixels
    card_name: str = ""  # the name on share cards: the site's title unless site.yaml says otherwise

    @property
    def logo_url_path(self) -> str | None:
        return None if self.logo is None else f"/images/{self.logo}"


@dataclass(frozen=True)
class ListedFormat:
    """A format the campaign makes itself (Easy Read, audio, BSL video), as site.yaml lists it."""

    label: str
    kind: str  # one of parse.FORMAT_KINDS
    language: str
    file: str  # a file in content/formats/, or ""
    url: str  # an address elsewhere, or ""
    line: int  # in site.yaml


@dataclass(frozen=True)
class Format:
    """A format of the platform as the "Other formats" page lists it: made by the build or the campaign."""

    label: str
    kind: str
    type_name: str  # "PDF", "EPUB", "MP3 audio"
    media_type: str
    language: str
    url_path: str  # a site path ("/manifesto.epub") or an absolute address
    size: int | None  # in bytes; None for a file elsewhere

    @property
    def size_text(self) -> str:
        """'1.2 MB', '340 KB': decimal units, as file managers and browsers show them."""
        if self.size is None:
            return ""
        if self.size >= 1_000_000:
            return f"{self.size / 1_000_000:.1f} MB"
        return f"{max(1, round(self.size / 1000))} KB"


@dataclass(frozen=True)
class LanguageVersion:
    """One language of a site in more than one (site.yaml's ``languages:``): its words where they
    differ from the top-level fields, which it otherwise inherits (parse.parse_config)."""

    code: str  # "en-GB", "cy"
    title: str
    tagline: str
    description: str
    nav: tuple[Link, ...]
    calls_to_action: tuple[Link, ...]
    own_links: bool = False  # it gives its own nav (else the top-level nav, led to this language's pages)


@dataclass(frozen=True)
class SiteConfig:
    title: str
    tagline: str
    description: str
    language: str
    base_url: str  # absolute, no trailing slash: "https://example.org/platform"
    imprint: Imprint
    calls_to_action: tuple[Link, ...]
    nav: tuple[Link, ...]
    contact: str = ""  # an e-mail address or an https:// address of a web form; "" when not given

    @property
    def contact_href(self) -> str:
        return self.contact if self.contact.startswith("https://") else f"mailto:{self.contact}"

    formats: tuple[ListedFormat, ...] = ()
    # Every language of the site, the default first; empty for a site in one language (``language``).
    languages: tuple[LanguageVersion, ...] = ()

    @property
    def default_language(self) -> str:
        return self.languages[0].code if self.languages else self.language

    @property
    def language_prefix(self) -> str:
        """Where this language's pages are: "" for the default language, "/cy" for Welsh."""
        return "" if self.language == self.default_language else f"/{self.language}"

    brand: Brand = Brand()


@dataclass(frozen=True)
class Proposal:
    text: str
    article_slug: str
    anchor: str
    # The language of the passage it cites, when not the page's: a translated chapter that keeps the
    # default language's proposals cites that language's op-ed (parse.language_site).
    language: str = ""


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    order: int
    summary: str
    proposals: tuple[Proposal, ...]
    intro_html: Markup
    source_path: Path
    draft: bool = False
    cited: tuple[str, ...] = ()  # op-eds its introduction or proposals cite, in the order first cited
    aliases: tuple[str, ...] = ()  # old addresses that send readers here (frontmatter.check_alias)
    language: str = ""  # of its text ("" in a site of one language)
    address: str = ""  # its page in a language other than the default (/cy/chapters/…/); else ""
    translation_status: str = ""  # "draft": a translation not yet checked, said so on the page

    @property
    def url_path(self) -> str:
        return self.address or f"/chapters/{self.slug}/"


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    author: str
    author_slug: str
    bio: str
    social: tuple[str, ...]
    date: datetime.date | None
    chapter: str
    chapters: tuple[str, ...]
    summary: str
    photo_credit: str
    draft: bool
    order: int
    body_html: Markup
    anchors: frozenset[str]
    word_count: int
    manifesto_marks: tuple[int, ...]  # where the manifesto edits body_html (body.manifesto_marks)
    source_path: Path
    body_key: str = ""  # names everything the body was made from (parse.render_bodies)
    headline_by_editors: bool = False  # the op-ed ran without a headline: the title is the editors'
    summary_by_editors: bool = False  # the summary is the editors', not the author's
    outlet: str = ""  # where the op-ed first appeared
    period: str = ""  # roughly when it was written, as its text supports ("early 2016"), when no date
    context: str = ""  # the editors' note on the time it was written
    # When its file was last committed (git) and modified, in seconds since 1970: only the feed shows
    # them (render.entry_updated), and its key names them, so they are not part of the model's repr.
    committed_at: int | None = field(default=None, repr=False, compare=False)
    modified_at: int = field(default=0, repr=False, compare=False)
    aliases: tuple[str, ...] = ()  # old addresses that send readers here (frontmatter.check_alias)
    language: str = ""  # of its text ("" in a site of one language)
    address: str = ""  # its page in a language other than the default (/cy/articles/…/); else ""
    translation_status: str = ""  # "draft": a translation not yet checked, said so on the page
    photo: str = ""  # the author's photo, a site path in /images/ ("" when none)
    image: str = ""  # the lead image shown above the op-ed, a site path in /images/ ("" when none)
    image_alt: str = ""  # what the lead image shows, for those who cannot see it

    @property
    def url_path(self) -> str:
        return self.address or f"/articles/{self.slug}/"

    @property
    def bio_as_of_writing(self) -> bool:
        """A bio in the present tense describes the author when the op-ed was written, not now."""
        return bool((self.date or self.period) and is_present_tense(self.bio))

    @property
    def has_image(self) -> bool:
        return "<img " in self.body_html

    @property
    def reading_minutes(self) -> int:
        # 200 words a minute is a common, conservative figure for reading prose on screen.
        return max(1, round(self.word_count / 200))


# Verbs that put a bio in the present tense ("She is a councillor", "He tweets at …").
PRESENT_TENSE = re.compile(
    r"\b(?:is|are|am|has|have|leads|chairs|serves|sits|represents|runs|works|writes|tweets|lives)\b",
    re.IGNORECASE,
)


def is_present_tense(text: str) -> bool:
    return PRESENT_TENSE.search(text) is not None


# What of an op-ed its Markdown body decides: the text itself, and the figures measured from it. A page
# that reads only figures changes with the figures, not with every edit of the text (a byline's reading time
# stays when a sentence is added).
BODY_TEXT = frozenset({"body_html", "anchors", "manifesto_marks", "body_key", "has_image"})
BODY_MEASURES = frozenset({"word_count", "reading_minutes"})


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    body_html: Markup
    source_path: Path
    draft: bool = False
    show_contact: bool = False  # the page ends with how to reach the editors (site.yaml's contact)
    aliases: tuple[str, ...] = ()  # old addresses that send readers here (frontmatter.check_alias)
    language: str = ""  # of its text ("" in a site of one language)
    address: str = ""  # its page in a language other than the default (/cy/about/); else ""
    translation_status: str = ""  # "draft": a translation not yet checked, said so on the page

    @property
    def url_path(self) -> str:
        return self.address or f"/{self.slug}/"


@dataclass(frozen=True)
class Author:
    slug: str
    name: str
    bio: str
    social: tuple[str, ...]
    article_slugs: tuple[str, ...]
    bio_as_of_writing: bool = False  # the bio is the one an op-ed gave when it was written (Article)
    photo: str = ""  # the photo of the last of their op-eds (in reading order) that gives one: /images/…

    @property
    def url_path(self) -> str:
        return f"/authors/{self.slug}/"


@dataclass(frozen=True)
class SiteIndex:
    """Look-ups built once per site, so that templates never scan every article per page."""

    by_slug: dict[str, Article]
    chapters_by_slug: dict[str, Chapter]
    in_chapter: dict[str, tuple[Article, ...]]
    related: dict[str, tuple[Article, ...]]


def index_site(chapters: tuple[Chapter, ...], articles: tuple[Article, ...]) -> SiteIndex:
    in_chapter: dict[str, list[Article]] = {chapter.slug: [] for chapter in chapters}
    related: dict[str, list[Article]] = {chapter.slug: [] for chapter in chapters}
    for article in articles:
        in_chapter[article.chapter].append(article)
        for slug in article.chapters:
            related[slug].append(article)
    by_slug = {article.slug: article for article in articles}
    for chapter in chapters:
        # An op-ed the chapter cites but that is filed elsewhere is listed with it too (parse warns).
        filed = {article.slug for article in (*in_chapter[chapter.slug], *related[chapter.slug])}
        related[chapter.slug].extend(
            by_slug[slug] for slug in chapter.cited if slug in by_slug and slug not in filed
        )
    return SiteIndex(
        by_slug=by_slug,
        chapters_by_slug={chapter.slug: chapter for chapter in chapters},
        in_chapter={slug: tuple(found) for slug, found in in_chapter.items()},
        related={slug: tuple(found) for slug, found in related.items()},
    )


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    chapters: tuple[Chapter, ...]  # by (order, slug)
    articles: tuple[Article, ...]  # by (chapter order, article order, title, slug)
    pages: tuple[Page, ...]  # by slug
    authors: tuple[Author, ...]  # by slug
    # parse.sources_digest: names all of the above but the op-eds' bodies (and site.yaml's base_url,
    # which a build may replace: see config)
    sources_digest: str = field(repr=False)
    # Things an editor should know that do not stop the build (parse.unfiled_citations, credit_without_photo)
    warnings: tuple[BuildError, ...] = field(default=(), repr=False, compare=False)
    # What must be filled in before publishing (parse.unfinished_fields): warnings, or problems with --publish
    unfinished: tuple[BuildError, ...] = field(default=(), repr=False, compare=False)
    formats: tuple[Format, ...] = ()  # the campaign's own (site.yaml's formats), in site.yaml's order
    # The site in each other language (parse.language_site), by code: the default language's site holds them.
    in_languages: dict[str, Site] = field(default_factory=dict, repr=False, compare=False)
    index: SiteIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", index_site(self.chapters, self.articles))

    def article(self, slug: str) -> Article:
        return self.index.by_slug[slug]

    def chapter(self, slug: str) -> Chapter:
        return self.index.chapters_by_slug[slug]

    def articles_in(self, chapter: Chapter) -> tuple[Article, ...]:
        """The chapter's own op-eds, in reading order."""
        return self.index.in_chapter[chapter.slug]

    def related_to(self, chapter: Chapter) -> tuple[Article, ...]:
        """Op-eds filed under another chapter that also speak to this one."""
        return self.index.related[chapter.slug]

    def articles_by(self, author: Author) -> tuple[Article, ...]:
        return tuple(self.article(slug) for slug in author.article_slugs)

    def cited(self, proposal: Proposal) -> Article:
        """The op-ed a proposal cites, in the language of the passage it cites (Proposal.language)."""
        if proposal.language and proposal.language != self.config.language:
            article = self.in_languages[proposal.language].article(proposal.article_slug)
            return dataclasses.replace(article, language=proposal.language)
        return self.article(proposal.article_slug)

    def in_own_language(self, item: Article | Chapter | Page) -> bool:
        """Whether an op-ed, chapter or page is written in this site's language (else it is shown in
        the default language's words, marked with its ``lang``)."""
        return not item.language or item.language == self.config.language
