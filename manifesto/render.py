"""The site model to pages: one Jinja environment, every page rendered in memory, in a fixed order."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gettext
import hashlib
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .body import nested_body, prefix_ids
from .cards import CARD_HEIGHT, CARD_WIDTH, CardText, card_of, every_card
from .catalogues import babel_locale, long_date
from .errors import BuildError
from .images import BODY_SIZES, LEAD_SIZES, PHOTO_SIZES, measure_pictures, picture_html, responsive_images
from .load import Asset
from .model import BODY_MEASURES, BODY_TEXT, Article, Chapter, Page, Site
from .pool import imap_in_processes, runs, worker_inputs

FEED_PATH = "/feed.xml"
FORMATS_PATH = "/formats/"  # the "Other formats" page
LARGE_PRINT_PATH = "/large-print/"  # printed to the large-print PDF; not a page of the site
TEMPLATE_SUFFIXES = ["html", "xml", "txt"]  # of the files in templates/ that are templates (not assets/)
PAGES_A_BATCH = 64  # pages a worker renders before handing them over (to be written, by the build)
# How often render_page_unless asks whether to stop (the manifesto of 1,000 op-eds takes ~0.1 s).
STOP_CHECK_SECONDS = 0.02


@dataclass(frozen=True)
class RenderOptions:
    base_path: str = ""  # "" or "/repo-name": prefixed to every internal link
    drafts: bool = False  # shown in the preview, marked as drafts
    updated: datetime.datetime | None = None  # the feed's time when no op-ed has a date (SOURCE_DATE_EPOCH)
    base_url: str | None = None  # replaces site.yaml's base_url (GitHub Pages tells the workflow its address)
    # A placeholder left in site.yaml stops the build (parse_site). Left out of repr, which keys every
    # page: the pages are the same either way.
    publish: bool = field(default=False, repr=False)
    formats: bool = False  # the build makes every format of the platform (python build.py formats)
    # Rendered for printing (pipeline.printable_pages): pictures are shown as they are, whole, since
    # print wants them so and the printing serves only content/images/, not the resized copies.
    printed: bool = False


@dataclass(frozen=True)
class PageJob:
    """One output file: where it goes, which template draws it, and what the template is given."""

    output_path: str  # "articles/x/index.html"
    url_path: str  # "/articles/x/"
    template: str
    context: dict[str, Any]
    every_op_ed: bool = False  # shows every op-ed in full: the slowest pages, so rendered first
    made_from: str = ""  # what the page shows that the site model does not name (pipeline.plan_outputs)


def date_text(value: datetime.date, language: str) -> str:
    if not isinstance(value, datetime.date):
        # Raised inside the template that asked: reported at its line (template_error).
        raise jinja2.TemplateRuntimeError(f"date_text needs a date, not {value!r}")
    return long_date(value, language)


def first_appeared(article: Article, language: str, translations: gettext.NullTranslations) -> str:
    """Where and when an op-ed first appeared, as the editors know it: "undated" when they do not know
    when (a date is never guessed). Whole sentences go to the translators: word order differs."""
    _ = translations.gettext
    outlet, period = article.outlet, article.period
    date = date_text(article.date, language) if article.date else ""
    if outlet and date:
        return _("First published in %(outlet)s, on %(date)s.") % {"outlet": outlet, "date": date}
    if outlet and period:
        return _("First published in %(outlet)s, in %(period)s.") % {"outlet": outlet, "period": period}
    if outlet:
        return _("First published in %(outlet)s (undated).") % {"outlet": outlet}
    if date:
        return _("First published on %(date)s.") % {"date": date}
    if period:
        return _("Written in %(period)s.") % {"period": period}
    return _("Undated.")


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


class RecordingEnvironment(jinja2.Environment):
    """A Jinja environment that notes what the page being rendered reads of op-eds' bodies (see
    model.BODY_TEXT and BODY_MEASURES), as read names (read_value): a page that reads nothing of an
    op-ed's body does not change when only its text does, which is what lets a rebuild keep it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # The interface's words in each language of the site, by code (catalogues.py)
        self.translations: dict[str, gettext.NullTranslations] = {}
        self.words = gettext.NullTranslations()  # the page's language's (start_page)
        self.reads: set[str] = set()
        self.printed: dict[str, Any] = {}  # the printed platform (pdf.ManifestoPdf) in each language, by code
        self.shows_bodies = False  # the page shows an op-ed's body in full (it is then a long page)

    def start_page(self, job: PageJob | None = None) -> None:
        self.reads, self.shows_bodies = set(), False
        # The page's language is its site's (language_jobs): macros, which see the globals rather than
        # the page's context, and the interface's words follow it, and the printed platform it links to.
        if job is not None and "site" in job.context:
            self.globals["site"] = job.context["site"]
        elif "default_site" in self.globals:
            self.globals["site"] = self.globals["default_site"]
        language = self.globals["site"].config.language if "site" in self.globals else ""
        self.words = self.translations.get(language) or gettext.NullTranslations()
        if self.printed:
            self.globals["manifesto_pdf"] = self.printed.get(language) or next(iter(self.printed.values()))

    def note_body_read(self, obj: Any, attribute: Any) -> None:
        if isinstance(obj, Article):
            if attribute in BODY_TEXT:
                self.reads.add(read_name("text", obj))
            elif attribute in BODY_MEASURES:
                self.reads.add(read_name(attribute, obj))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.note_body_read(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.note_body_read(obj, argument)
        return super().getitem(obj, argument)


def read_name(what: str, article: Article) -> str:
    """The name of a read of an op-ed's body (read_value); a translation's names its language."""
    return f"{what}:{article.slug}@{article.language}" if article.address else f"{what}:{article.slug}"


def read_value(site: Site, name: str) -> str:
    """The value now of what a page read (RecordingEnvironment): "text:<slug>", the op-ed's body, named
    by the key it was converted under; "<figure>:<slug>", a figure measured from it; with "@<code>",
    of its translation into that language. "" when the op-ed is gone."""
    what, _, slug = name.partition(":")
    slug, _, language = slug.partition("@")
    if language:
        if language not in site.in_languages:
            return ""
        site = site.in_languages[language]
    article = site.index.by_slug.get(slug)
    if article is None:
        return ""
    if what == "text":
        return article.body_key
    return str(getattr(article, what)) if what in BODY_MEASURES else ""


@dataclass(frozen=True)
class RenderedPage:
    output_path: str
    data: bytes
    reads: frozenset[str]  # read names (read_value)


def make_env(
    templates_dir: Path,
    site: Site,
    assets: tuple[Asset, ...],
    options: RenderOptions,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    translations: dict[str, gettext.NullTranslations] | None = None,
) -> RecordingEnvironment:
    env = RecordingEnvironment(
        loader=jinja2.FileSystemLoader(templates_dir.resolve()),
        bytecode_cache=bytecode_cache,
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # The interface's words ({% trans %}, _()) in the language of the page's ``site`` (a page in another
    # language is given that language's site: language_jobs); newstyle gettext escapes the values put
    # into a translation, as autoescape does everywhere else.
    env.policies["ext.i18n.trimmed"] = True
    env.translations = translations or {}
    env.words = env.translations.get(site.config.language) or gettext.NullTranslations()

    # Not taking the context: a page has hundreds of words to translate (the manifesto, thousands).
    def translated(message: str) -> str:
        return env.words.gettext(message)

    def translated_plural(singular: str, plural: str, count: int) -> str:
        return env.words.ngettext(singular, plural, count)

    def lang_of(item: Article | Chapter | Page) -> Markup:
        """` lang="…"` for an op-ed, chapter or page not in the page's language (start_page's site)."""
        if env.globals["site"].in_own_language(item):
            return Markup("")
        return Markup(' lang="%s"') % item.language

    env.install_gettext_callables(translated, translated_plural, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"]  # not through the extension's alias: one call fewer a word
    versions = {asset.url_path: fingerprint(asset.data) for asset in assets}
    alternates = alternate_pages(site)
    switcher = language_switcher(site, alternates)

    def link(url_path: str) -> str:
        return (
            url_path
            if url_path.startswith(("http://", "https://", "mailto:"))
            else options.base_path + url_path
        )

    def asset_href(url_path: str) -> str:
        # The version query changes whenever the file does, so browsers never show a stale stylesheet.
        return (
            f"{options.base_path}{url_path}?v={versions[url_path]}"
            if url_path in versions
            else link(url_path)
        )

    # Compiled templates are kept between builds (TemplateCache), so their code must depend on the
    # templates alone. Jinja runs a filter at compile time when its argument is a constant, unless the
    # filter takes the context: so every filter that reads the build's options or settings takes it.
    # In another language, the pages every language has (home, lists, search…) are its own: /cy/….
    # Op-eds, chapters and pages carry their own addresses (model: ``address``). With ``False``, a
    # path is left as it is (alternates and switchers name pages of every language).
    @jinja2.pass_context
    def href(context: jinja2.runtime.Context, url_path: str, in_language: bool = True) -> str:
        return link(in_page_language(context, url_path) if in_language else url_path)

    @jinja2.pass_context
    def absolute(context: jinja2.runtime.Context, url_path: str, in_language: bool = True) -> str:
        return site.config.base_url + (in_page_language(context, url_path) if in_language else url_path)

    dates: dict[tuple[datetime.date, str], str] = {}  # Babel takes 13 µs a date; the manifesto shows them all

    @jinja2.pass_context
    def date_in_language(context: jinja2.runtime.Context, value: datetime.date) -> str:
        key = (value, context["site"].config.language)
        if key not in dates:
            dates[key] = date_text(*key)
        return dates[key]

    @jinja2.pass_context
    def first_appeared_in_language(context: jinja2.runtime.Context, article: Article) -> str:
        return first_appeared(article, context["site"].config.language, env.words)

    @jinja2.pass_context
    def language_name(context: jinja2.runtime.Context, code: str) -> str:
        """A language's name in the page's language ("English" on an English page, "Saesneg" in Welsh)."""
        return name_of_language(code, context["site"].config.language)

    @jinja2.pass_context
    def languages_of(context: jinja2.runtime.Context, url_path: str) -> list[LanguageChoice]:
        return switcher(context["site"].config.language, url_path)

    pictures = measure_pictures(assets)
    cards = every_card(language_sites(site), env.translations)
    sizes_for = {"lead": LEAD_SIZES, "photo": PHOTO_SIZES, "body": BODY_SIZES}

    def picture(url_path: str, alt: str, role: str = "body", css_class: str = "") -> Markup:
        """A picture of content/images/ (a lead image, an author's photo) at the sizes screens need; a
        lead image loads at once, the others as they are neared."""
        return picture_html(
            pictures[url_path],
            alt,
            base_path=options.base_path,
            sizes=sizes_for[role],
            lazy=role != "lead",
            css_class=css_class,
        )

    def with_pictures(body_html: Markup, eager: int = 0) -> Markup:
        """A body with its pictures shown at the sizes screens need, the first ``eager`` loaded at once."""
        if options.printed:
            return body_html
        return responsive_images(body_html, pictures, base_path=options.base_path, lazy_from=eager)

    def share_card_of(url_path: str) -> CardText:
        """The card a page is shared with: its own, or its language's home page's."""
        return card_of(cards, url_path)

    env.filters.update(
        href=href,
        absolute=absolute,
        date_text=date_in_language,
        urlquote=lambda text: quote(str(text), safe=""),
        # A translated text is markup, its values escaped in it (newstyle gettext); JSON wants the text.
        plain=lambda value: value.unescape() if isinstance(value, Markup) else value,
    )
    env.globals.update(
        site=site,
        default_site=site,
        asset=asset_href,
        has_asset=lambda url_path: url_path in versions,
        manifesto_body=lambda article: manifesto_body(env, article),
        first_appeared=first_appeared_in_language,
        language_name=language_name,
        lang_of=lang_of,
        languages_of=languages_of,  # the language switcher's links (language_switcher)
        alternates_of=lambda url_path: alternates.get(url_path, ()),
        every_language=language_sites(site),
        # Two chapters' introductions may open with the same words: on the one-page manifesto their
        # passages' ids are made unique, as the op-eds' are.
        manifesto_intro=lambda chapter: prefix_ids(chapter.intro_html, f"chapter-{chapter.slug}--"),
        drafts_shown=options.drafts,
        feed_path=FEED_PATH,
        formats_path=FORMATS_PATH,
        other_formats=site.formats,  # with the build's own formats, when it makes them (pipeline.py)
        picture=picture,
        with_pictures=with_pictures,
        share_card_of=share_card_of,
        card_size=(CARD_WIDTH, CARD_HEIGHT),
    )
    return env


def in_page_language(context: jinja2.runtime.Context, url_path: str) -> str:
    """A site path as the page's language has it: the pages every language has are under its prefix."""
    prefix = context["site"].config.language_prefix
    path = url_path.partition("#")[0]
    if prefix and (path in EVERY_LANGUAGE_PAGES or path.startswith(("/authors/", "/search/"))):
        return prefix + url_path
    return url_path


# The pages each language of a site has, at its prefix (language_jobs); authors' pages and the search
# index's files too.
EVERY_LANGUAGE_PAGES = (
    "/",
    "/chapters/",
    "/authors/",
    "/manifesto/",
    FORMATS_PATH,
    "/search/",
    "/404.html",
    FEED_PATH,
)


def language_sites(site: Site) -> list[Site]:
    """The site in each of its languages, the default first."""
    return [site, *site.in_languages.values()] if site.config.languages else [site]


def alternate_pages(site: Site) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each page with versions in other languages -> every version, as (language, site path), the
    default language first: the same op-ed, chapter or page translated, or a page every language has."""
    if not site.config.languages:
        return {}
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    default = site.config.default_language
    for item in (*site.chapters, *site.articles, *site.pages):
        versions = [(default, item.url_path)]
        for other in site.in_languages.values():
            translated = {"chapters": other.index.chapters_by_slug, "articles": other.index.by_slug}
            if isinstance(item, Page):
                same = next((page for page in other.pages if page.slug == item.slug), None)
            else:
                same = translated["chapters" if isinstance(item, Chapter) else "articles"].get(item.slug)
            if same is not None and same.address:
                versions.append((other.config.language, same.url_path))
        if len(versions) > 1:
            found |= dict.fromkeys((path for _, path in versions), tuple(versions))
    pages = [
        path for path in EVERY_LANGUAGE_PAGES if path not in ("/404.html", FEED_PATH)
    ]  # not pages to link
    generated = [*pages, *(author.url_path for author in site.authors)]
    for path in generated:
        versions = [
            (other.config.language, other.config.language_prefix + path) for other in language_sites(site)
        ]
        found |= dict.fromkeys((version for _, version in versions), tuple(versions))
    return found


@dataclass(frozen=True)
class LanguageChoice:
    """A link of the language switcher: to this page in another language, or to that language's home."""

    code: str
    name: str  # the language's name in itself: "Cymraeg"
    url_path: str
    same_page: bool  # False: the page is not in that language, and the link leads to its home page


def name_of_language(code: str, in_language: str) -> str:
    locale, shown_in = babel_locale(code), babel_locale(in_language)
    if locale is None:
        return code
    return (locale.get_language_name(shown_in) if shown_in else None) or code


def language_switcher(
    site: Site, alternates: dict[str, tuple[tuple[str, str], ...]]
) -> Callable[[str, str], list[LanguageChoice]]:
    """The switcher's links on a page in ``language`` at ``url_path`` (site paths)."""

    def choices(language: str, url_path: str) -> list[LanguageChoice]:
        versions = dict(alternates.get(url_path, ()))
        return [
            LanguageChoice(
                other.config.language,
                name_of_language(other.config.language, other.config.language),
                versions.get(other.config.language, other.config.language_prefix + "/"),
                other.config.language in versions,
            )
            for other in language_sites(site)
            if other.config.language != language
        ]

    return choices


def language_jobs(site: Site, options: RenderOptions) -> Iterator[PageJob]:
    """The pages of the site in another language (``site`` is it in that language, from parse.language_site):
    every page every language has, under its prefix; the op-eds, chapters and pages translated into it, at
    their own addresses. The others are not made again: their one page is the default language's."""
    prefix = site.config.language_prefix
    items = {"chapter.html": "chapter", "article.html": "article", "page.html": "page"}
    for job in plan_pages(site, options):
        if job.template in ("alias.html", "sitemap.xml", "robots.txt"):
            continue
        context = {**job.context, "site": site}
        item = job.context.get(items.get(job.template, ""))
        if item is not None:
            if item.address:
                yield dataclasses.replace(
                    job, output_path=output_file(item.url_path), url_path=item.url_path, context=context
                )
            continue
        yield dataclasses.replace(
            job,
            output_path=f"{prefix[1:]}/{job.output_path}",
            url_path=prefix + job.url_path,
            context=context,
        )


def output_file(url_path: str) -> str:
    """The file a site path is written to: /x/ is x/index.html."""
    return url_path[1:] if url_path.endswith((".html", ".xml")) else url_path[1:] + "index.html"


def neighbours(site: Site) -> dict[str, tuple[Article | None, Article | None]]:
    """Each op-ed's previous and next op-ed within its chapter."""
    found: dict[str, tuple[Article | None, Article | None]] = {}
    for chapter in site.chapters:
        siblings = site.articles_in(chapter)
        for position, article in enumerate(siblings):
            previous = siblings[position - 1] if position > 0 else None
            following = siblings[position + 1] if position + 1 < len(siblings) else None
            found[article.slug] = (previous, following)
    return found


# Feed readers fetch the feed again and again, for what is new: it carries the newest op-eds, in full, not
# the whole archive (10,000 op-eds in full would be an 80 MB file, near GitHub Pages' limit per file).
FEED_ENTRIES = 50


def feed_entries(site: Site) -> tuple[Article, ...]:
    """The op-eds the feed carries: newest first, then those without a date, in the platform's order."""
    placed = sorted(
        enumerate(site.articles),
        key=lambda item: (item[1].date is None, -item[1].date.toordinal() if item[1].date else 0, item[0]),
    )
    return tuple(article for _, article in placed[:FEED_ENTRIES])


def entry_updated(article: Article, options: RenderOptions) -> datetime.datetime:
    """When the feed says an op-ed was last updated: its date; without one, when its file was last
    committed (the same for a given commit, wherever it is built); without git or history,
    SOURCE_DATE_EPOCH (``options.updated``); without that either, when its file was last modified.
    Never the time of the build."""
    if article.date is not None:
        return datetime.datetime(article.date.year, article.date.month, article.date.day, tzinfo=datetime.UTC)
    if article.committed_at is not None:
        return datetime.datetime.fromtimestamp(article.committed_at, tz=datetime.UTC)
    if options.updated is not None:
        return options.updated
    return datetime.datetime.fromtimestamp(article.modified_at, tz=datetime.UTC)


def feed_updated(site: Site, options: RenderOptions) -> datetime.datetime:
    """The feed's own time: its newest op-ed's (entry_updated); with no op-ed, SOURCE_DATE_EPOCH's."""
    times = [entry_updated(article, options) for article in site.articles]
    if times:
        return max(times)
    return options.updated or datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


MANIFESTO_LEVELS = 2  # an op-ed's h2 is an h4 on the manifesto (under its chapter's h2 and its own h3)


def manifesto_body(env: RecordingEnvironment, article: Article) -> Markup:
    """An op-ed's body as shown on the one-page manifesto: ids made unique, headings nested."""
    env.reads.add(read_name("text", article))
    env.shows_bodies = True
    return manifesto_text(article)


def manifesto_text(article: Article) -> Markup:
    return nested_body(article.body_html, article.manifesto_marks, f"{article.slug}--", MANIFESTO_LEVELS)


def redirects(site: Site) -> list[tuple[str, Article | Chapter | Page]]:
    """Each old address (``aliases:``) with the op-ed, chapter or page it now leads to, by address."""
    found = [
        (alias, target)
        for target in (*site.chapters, *site.articles, *site.pages)
        for alias in target.aliases
    ]
    return sorted(found, key=lambda pair: pair[0])


def plan_pages(site: Site, options: RenderOptions) -> Iterator[PageJob]:
    """Every page of the site, in a fixed order."""
    yield PageJob("index.html", "/", "home.html", {})
    yield PageJob("chapters/index.html", "/chapters/", "chapters.html", {})
    for chapter in site.chapters:
        yield PageJob(
            f"chapters/{chapter.slug}/index.html", chapter.url_path, "chapter.html", {"chapter": chapter}
        )
    around = neighbours(site)
    for article in site.articles:
        previous, following = around[article.slug]
        context = {
            "article": article,
            "previous": previous,
            "next": following,
            "chapter": site.chapter(article.chapter),
        }
        yield PageJob(f"articles/{article.slug}/index.html", article.url_path, "article.html", context)
    yield PageJob("authors/index.html", "/authors/", "authors.html", {})
    for author in site.authors:
        yield PageJob(f"authors/{author.slug}/index.html", author.url_path, "author.html", {"author": author})
    for page in site.pages:
        yield PageJob(f"{page.slug}/index.html", page.url_path, "page.html", {"page": page})
    for alias, target in redirects(site):
        output_path = alias[1:] if alias.endswith(".html") else f"{alias[1:]}index.html"
        yield PageJob(output_path, alias, "alias.html", {"target": target})
    yield manifesto_job()
    if options.formats or site.formats:
        yield PageJob("formats/index.html", FORMATS_PATH, "formats.html", {})
    yield PageJob("search/index.html", "/search/", "search.html", {})
    yield PageJob("404.html", "/404.html", "404.html", {})
    entries = feed_entries(site)
    entry_times = {article.slug: entry_updated(article, options) for article in entries}
    feed = {"updated": feed_updated(site, options), "entries": entries, "entry_times": entry_times}
    times = repr((feed["updated"], sorted(entry_times.items())))
    yield PageJob("feed.xml", FEED_PATH, "feed.xml", feed, made_from=times)
    yield PageJob("sitemap.xml", "/sitemap.xml", "sitemap.xml", {})
    yield PageJob("robots.txt", "/robots.txt", "robots.txt", {})


def manifesto_job() -> PageJob:
    return PageJob("manifesto/index.html", "/manifesto/", "manifesto.html", {}, every_op_ed=True)


def printed_jobs(site: Site) -> list[PageJob]:
    """The pages printed to PDF: the platform on one page, and its large-print edition (clear-print
    guidance: 18 pt sans-serif, left-aligned, generous spacing), which is printed, not published; the
    platform on one page in each other language of the site too."""
    large_print = PageJob(
        "large-print/index.html", LARGE_PRINT_PATH, "large-print.html", {}, every_op_ed=True
    )
    in_languages = [
        job
        for other in site.in_languages.values()
        for job in language_jobs(other, RenderOptions())
        if job.template == "manifesto.html"
    ]
    return [manifesto_job(), large_print, *in_languages]


def template_frame(error: BaseException, templates_dir: Path) -> tuple[Path, int | None] | None:
    """The template file and line an error was raised from (Jinja puts them in the traceback, by the
    templates' absolute paths)."""
    templates_dir = templates_dir.resolve()
    found: tuple[Path, int | None] | None = None
    for frame in traceback.extract_tb(error.__traceback__):
        filename = Path(frame.filename)
        if filename.is_relative_to(templates_dir):
            found = (filename, frame.lineno)
    return found


def shown_path(path: Path, shown_root: Path) -> Path:
    """``path`` as messages show it: relative to the project folder when it is inside."""
    real_root = shown_root.resolve()
    if path.is_absolute() and path.is_relative_to(real_root):
        return path.relative_to(real_root)
    return path.relative_to(shown_root) if path.is_relative_to(shown_root) else path


def template_error(error: Exception, templates_dir: Path, shown_root: Path) -> BuildError:
    if isinstance(error, jinja2.TemplateSyntaxError):
        path = Path(error.filename or templates_dir)
        return BuildError(
            shown_path(path, shown_root),
            error.lineno,
            f"template syntax error: {error.message}",
            "check that every {% … %} and {{ … }} is closed and every block has its {% end… %}",
        )
    if isinstance(error, jinja2.TemplateNotFound):
        return BuildError(shown_path(templates_dir, shown_root), None, f"template not found: {error.name}")
    path, line = template_frame(error, templates_dir) or (templates_dir, None)
    shown = shown_path(path, shown_root)
    if isinstance(error, RecursionError):
        return BuildError(
            shown,
            line,
            "template error: this template extends or includes itself, through others or directly",
            "check the {% extends %} and {% include %} lines: each must name another template",
        )
    if isinstance(error, jinja2.UndefinedError):
        hint = "a name in the template is misspelt or not available on this page"
        return BuildError(shown, line, f"template error: {error.message}", hint)
    if isinstance(error, jinja2.TemplateRuntimeError) and "date_text" in str(error):
        hint = "show a date only when there is one: {% if article.date %}…{% endif %}"
        return BuildError(shown, line, f"template error: {error}", hint)
    return BuildError(shown, line, f"template error: {type(error).__name__}: {error}", "")


def compile_templates(env: RecordingEnvironment) -> None:
    """Compile (or load the compiled code of) every template now, in this process: in forked workers
    their code would be made again in each, and not kept for the next build. All of them, not only the
    pages' own: the ones they extend and import are loaded only as they render. A template with a
    mistake is left for rendering to report."""
    for name in env.list_templates(extensions=TEMPLATE_SUFFIXES):
        if not name.startswith("assets/"):
            with contextlib.suppress(jinja2.TemplateError):
                env.get_template(name)


def render_page(
    env: RecordingEnvironment, job: PageJob, templates_dir: Path, shown_root: Path
) -> RenderedPage:
    page = render_page_unless(env, job, templates_dir, shown_root, None)
    assert page is not None  # nothing can stop it
    return page


def render_page_unless(
    env: RecordingEnvironment,
    job: PageJob,
    templates_dir: Path,
    shown_root: Path,
    stop: Callable[[], bool] | None,
) -> RenderedPage | None:
    """render_page; with ``stop``, asked every STOP_CHECK_SECONDS while the page is made, None as soon
    as it says so (the preview leaves a long page such as the manifesto for later when a file is saved)."""
    env.start_page(job)
    try:
        template = env.get_template(job.template)
        data = joined(
            template.generate(url_path=job.url_path, **job.context),
            env,
            None if stop is None else stop_every(STOP_CHECK_SECONDS, stop),
        )
    except Exception as error:
        # A mistake in a template is the user's; anything raised outside the templates is our bug.
        if isinstance(error, jinja2.TemplateError) or template_frame(error, templates_dir) is not None:
            raise template_error(error, templates_dir, shown_root) from None
        raise
    if data is None:
        return None
    return RenderedPage(job.output_path, data, frozenset(env.reads))


def joined(pieces: Iterator[str], env: RecordingEnvironment, stop: Callable[[], bool] | None) -> bytes | None:
    """A page as UTF-8, from the pieces of text its template yields; None as soon as ``stop()`` says so.

    From the first op-ed body on, each piece is encoded as it comes, so that a page showing every op-ed
    (80 MB for the manifesto of 10,000) is never held as text and bytes at once; a shorter page is joined,
    then encoded, which is faster."""
    text: list[str] = []
    encoded: list[bytes] = []
    for piece in pieces:
        if encoded:
            encoded.append(piece.encode("utf-8"))
        elif env.shows_bodies:
            encoded += ("".join(text).encode("utf-8"), piece.encode("utf-8"))
            text = []
        else:
            text.append(piece)
        if stop is not None and stop():
            return None
    return b"".join(encoded) if encoded else "".join(text).encode("utf-8")


def stop_every(seconds: float, stop: Callable[[], bool]) -> Callable[[], bool]:
    """``stop``, asked at most once every ``seconds``."""
    check_at = time.perf_counter() + seconds

    def asked() -> bool:
        nonlocal check_at
        if time.perf_counter() < check_at:
            return False
        check_at = time.perf_counter() + seconds
        return stop()

    return asked


Finished = TypeVar("Finished")


def finish_pages_in_worker(numbers: Sequence[int]) -> list[Any]:
    env, jobs, templates_dir, shown_root, finish, tasks = worker_inputs()
    return [
        finish(render_page(env, jobs[number], templates_dir, shown_root))
        if number < len(jobs)
        else tasks[number - len(jobs)]()
        for number in numbers
    ]


def rendered_pages(
    env: RecordingEnvironment,
    jobs: Sequence[PageJob],
    templates_dir: Path,
    shown_root: Path,
    finish: Callable[[RenderedPage], Finished],
    tasks: Sequence[Callable[[], Finished]] = (),
    task_items: int = 0,
    stop: Callable[[], bool] | None = None,
) -> Iterator[Finished]:
    """``finish`` of each page of ``jobs`` as it is rendered, and the result of each of ``tasks`` (other
    work of the same stage, such as parts of the search index, together about ``task_items`` pages'
    work), in no fixed order.

    Over several processes when it pays: then ``finish`` and the tasks run in the workers, so a page
    written there never travels back. Results are handed on as they come, so that each can be written
    and dropped: a site of 10,000 op-eds is never all in memory.

    With ``stop`` (the preview, which has threads and so never forks), pages are rendered one by one
    and the tasks after them, until ``stop()`` says so, even half-way through a long page."""
    if stop is not None:
        yield from rendered_until(env, jobs, templates_dir, shown_root, finish, tasks, stop)
        return
    # The slowest pages (those showing every op-ed) first and one a part, then the tasks, so that no
    # worker is left with one of them at the end; the other pages in runs.
    slow = [number for number, job in enumerate(jobs) if job.every_op_ed]
    rest = [number for number, job in enumerate(jobs) if not job.every_op_ed]
    task_numbers = [[len(jobs) + number] for number in range(len(tasks))]
    parts = [[number] for number in slow] + task_numbers + runs(rest, PAGES_A_BATCH)
    inputs = (env, jobs, templates_dir, shown_root, finish, tasks)
    batches = imap_in_processes(finish_pages_in_worker, parts, inputs, items=len(jobs) + task_items)
    if batches is None:
        yield from rendered_until(env, jobs, templates_dir, shown_root, finish, tasks, None)
    else:
        for batch in batches:
            yield from batch


def rendered_until(
    env: RecordingEnvironment,
    jobs: Sequence[PageJob],
    templates_dir: Path,
    shown_root: Path,
    finish: Callable[[RenderedPage], Finished],
    tasks: Sequence[Callable[[], Finished]],
    stop: Callable[[], bool] | None,
) -> Iterator[Finished]:
    """rendered_pages in this process, in order, until ``stop()`` says so."""
    for job in jobs:
        page = render_page_unless(env, job, templates_dir, shown_root, stop)
        if page is None:
            return
        yield finish(page)
        if stop is not None and stop():
            return
    for task in tasks:
        yield task()
        if stop is not None and stop():
            return
