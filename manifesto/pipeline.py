"""The whole build, top to bottom: sources → site → a plan of every output → bytes in a sink.

One function, ``build_site``, makes every site: ``build`` into a folder with the memo on disk (``.cache/``)
(with every format of the platform, its PDFs printed first: ``print_editions``), ``check`` in memory, and
the preview in memory with a memo that lives as long as its session. No stage knows which of these it runs
in. What makes a rebuild cheap is the memo layer (memo.py): front matter, Markdown, compiled templates,
index parts and the printed PDFs are memo entries, and every output is a traced entry, kept as the sink
holds it while its key and what it read are as they were.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .brand import with_brand_assets
from .cards import drawn_cards
from .catalogues import catalogue_digest, interface_translations
from .formats import EPUB_PATH, TEXT_PATH, edition_formats, epub_edition, text_edition
from .images import pictures_shown_in, resized_outputs
from .load import RACY_NS, Sources, load_sources, source_area
from .memo import DiskStore, Memo, MemoryStore, NullStore, TracedOutputs, digest, generator_fingerprint
from .model import Site
from .parse import parse_site
from .pool import gc_frozen, runs
from .render import (
    PageJob,
    RecordingEnvironment,
    RenderedPage,
    RenderOptions,
    alternate_pages,
    compile_templates,
    language_jobs,
    language_sites,
    make_env,
    plan_pages,
    printed_jobs,
    read_value,
    render_page,
)
from .render import rendered_pages as render_pages
from .search import IndexRun, bundle_file, bundle_keys, documents_of, index_part, index_runs, is_bundle_file
from .write import MemorySink, Sink, Written, claimed_output, list_output, staged

if TYPE_CHECKING:
    from .pdf import ManifestoPdf

# What the preview (serve.py) takes from here: it imports no stage.
__all__ = ["RACY_NS", "Memo", "MemoryStore", "MemorySink", "RenderOptions", "build_site", "source_area"]

# Memo kinds whose entries are large are kept on disk in this many files each, so that an edit rewrites
# a small one (the converted Markdown of 1,000 op-eds is 9 MB; the index parts, 2 MB).
DISK_SHARDS = {"body": 32, "index-part": 8}


@dataclass(frozen=True)
class Built:
    site: Site
    outputs: tuple[str, ...]  # every file of the site, by output path
    made: tuple[str, ...]  # made afresh; the others were kept as the sink held them
    deferred: tuple[str, ...]  # out of date, left as they were for a later build (``first``, ``stop``)


@contextmanager
def stage(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    """Adds the time spent in the block to ``timings[name]`` (for the benchmark's breakdown)."""
    started = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


@dataclass(frozen=True)
class Plan:
    """Every output of a site, with the key each is made from."""

    jobs: list[PageJob]  # the pages
    runs: list[IndexRun]  # the parts of the search index, with their text files
    files: dict[str, bytes]  # published as they are: assets and brand.css, the PDFs, the formats
    keys: dict[str, str]  # output path -> key, of every output but the index's bundle files
    # formats made from the model (formats.py), by output path: made only when they do not stand
    editions: dict[str, Callable[[], bytes]] = dataclasses.field(default_factory=dict)
    index_prefixes: tuple[str, ...] = ("",)  # the folder of each language's search index ("", "cy/")
    # files drawn or encoded from the model (share cards, resized pictures), by output path: made in the
    # render workers, only when they do not stand
    made: dict[str, Callable[[], bytes]] = dataclasses.field(default_factory=dict)


# Files of Plan.made one render worker's task makes (a card takes ~4 ms; a photo's eight copies, ~0.3 s).
FILES_A_TASK = 16


def plan_outputs(
    site: Site,
    sources: Sources,
    options: RenderOptions,
    printed: tuple[ManifestoPdf, ...] = (),
    translations: dict[str, gettext.NullTranslations] | None = None,
) -> Plan:
    translations = translations or {}
    files = {
        asset.url_path.lstrip("/"): asset.data for asset in with_brand_assets(sources.assets, site.config)
    }
    files |= {pdf.output_path: pdf.data for pdf in printed}
    listed = {listed.url_path for listed in site.formats}
    files |= {
        asset.url_path.lstrip("/"): asset.data for asset in sources.format_files if asset.url_path in listed
    }
    keys = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    editions: dict[str, Callable[[], bytes]] = {}
    if options.formats:
        editions[EPUB_PATH] = functools.partial(epub_edition, site, sources.assets, options)
        editions[TEXT_PATH] = functools.partial(text_edition, site, options)
    # What the editions are made of: the whole model, op-eds' bodies included, and the images they show.
    edition_made_from = (
        site.sources_digest,
        repr(site.config),
        repr(options),
        *(f"{path}:{key}" for path, key in keys.items() if path.startswith("images/")),
        *(article.body_key for article in site.articles),
    )
    keys |= {path: digest(path, *edition_made_from) for path in editions}
    made_from = (sources.templates_digest, repr(options), site.sources_digest, repr(site.config))
    # Every page shares the key of every file (the other-formats page shows their sizes, the footer the
    # PDF's), and of the addresses of every language's versions of each page (its alternates, switcher).
    alternates = repr(sorted(alternate_pages(site).items()))
    shared = digest(*made_from, *(f"{path}:{key}" for path, key in keys.items()), alternates)
    languages = [other.config.language for other in language_sites(site)]
    jobs: list[PageJob] = []
    runs: list[IndexRun] = []
    for other in language_sites(site):
        # A page in another language is made from that language's site and catalogue too.
        code = other.config.language
        in_language = digest(shared, other.sources_digest, repr(other.config))
        words = catalogue_digest(sources.catalogues, [languages[0], code])
        made = list(language_jobs(other, options) if other is not site else plan_pages(site, options))
        keys |= {
            job.output_path: digest(in_language, words, job.output_path, job.template, job.made_from)
            for job in made
        }
        jobs += made
        documents = documents_of(other, translations.get(code) or gettext.NullTranslations())
        prefix = other.config.language_prefix[1:] + "/" if other is not site else ""
        runs += index_runs(documents, prefix)
    keys |= {path: run.key for run in runs for path in run.texts}
    prefixes = tuple(
        other.config.language_prefix[1:] + "/" if other is not site else "" for other in language_sites(site)
    )
    made: dict[str, Callable[[], bytes]] = {}
    # Keyed by what each is made from alone, and not part of the pages' keys: a page names its card and
    # its pictures' copies by their paths, which only the model and the pictures' own keys decide.
    every = language_sites(site)  # a translation's body may show pictures of its own
    shown = pictures_shown_in(every, options.base_path)
    for path, (key, make) in resized_outputs(sources.assets, shown).items():
        keys[path] = key
        made[path] = make
    for path, (made_from, make) in drawn_cards(every, translations, sources.assets).items():
        keys[path] = digest(*made_from)
        made[path] = make
    return Plan(jobs, runs, files, keys, editions, made=made, index_prefixes=prefixes)


def make_editions(plan: Plan, outputs: TracedOutputs, sink: Sink) -> dict[str, int]:
    """Each edition that does not stand, made and handed to the sink; the size of every edition (kept in
    the memo, so that one that stands need not be read or made again to show its size)."""
    sizes: dict[str, int] = {}
    for path, make in plan.editions.items():
        key = plan.keys[path]
        size = outputs.memo.lookup("edition-size", key) if outputs.stand(path, key) else None
        if size is None:
            data = make()
            outputs.keep(sink.accept(path, data), key)
            outputs.memo.put("edition-size", key, size := len(data))
        sizes[path] = size
    return sizes


def read_site(
    root: Path, options: RenderOptions, memo: Memo, timings: dict[str, float] | None = None
) -> tuple[Sources, Site, RecordingEnvironment]:
    """The first steps of every build: the sources, the site model and the templates' environment."""
    with stage(timings, "load"):
        sources = load_sources(root, lambda path: memo.lookup("source", path))
    with stage(timings, "parse and Markdown"):
        site = parse_site(
            sources, drafts=options.drafts, base_path=options.base_path, memo=memo, publish=options.publish
        )
    if options.base_url:
        site = dataclasses.replace(site, config=dataclasses.replace(site.config, base_url=options.base_url))
    languages = [other.config.language for other in language_sites(site)]
    translations = interface_translations(sources.catalogues, languages, memo)
    assets = with_brand_assets(sources.assets, site.config)
    env = make_env(root / "templates", site, assets, options, memo.templates(), translations)
    return sources, site, env


def build_site(
    root: Path,
    options: RenderOptions,
    memo: Memo,
    sink: Sink,
    *,
    records: str = "outputs",
    first: frozenset[str] | None = None,
    stop: Callable[[], bool] | None = None,
    printed: tuple[ManifestoPdf, ...] = (),
    timings: dict[str, float] | None = None,
) -> Built:
    """Make every output of the site at ``root`` that does not stand as the last build left it in
    ``sink``; ``records`` names the memo entries that trace this sink's outputs.

    With ``first`` (the preview's open pages), out-of-date outputs outside it that the sink holds from
    before are left as they are for a later call; ``stop()`` ends the rendering early. Both are
    ``Built.deferred``."""
    sources, site, env = read_site(root, options, memo, timings)
    # The download link, shown only when there is a PDF (the first printed: the platform, to print).
    env.globals["manifesto_pdf"] = printed[0] if printed else None
    env.printed = printed_by_language(site, printed)
    with stage(timings, "find what changed"):
        plan = plan_outputs(site, sources, options, printed, env.translations)
        outputs = TracedOutputs(memo, sink, records, functools.cache(functools.partial(read_value, site)))
    with stage(timings, "formats"):
        sizes = make_editions(plan, outputs, sink) | {pdf.output_path: len(pdf.data) for pdf in printed}
        env.globals["other_formats"] = edition_formats(sizes) + site.formats
    with stage(timings, "find what changed"):
        stale_jobs = [
            job for job in plan.jobs if not outputs.stand(job.output_path, plan.keys[job.output_path])
        ]
        stale_runs = [
            run
            for run in plan.runs
            if not (outputs.all_stand(run.texts, run.key) and memo.has("index-part", run.key))
        ]
        stale_made = [path for path in plan.made if not outputs.stand(path, plan.keys[path])]
        due = (lambda path: True) if first is None else (lambda path: path in first or not sink.has(path))
    with gc_frozen(), stage(timings, "render and write"):
        now_jobs = [job for job in stale_jobs if due(job.output_path)]
        now_runs = [run for run in stale_runs if any(map(due, run.texts))]
        now_made = [path for path in stale_made if due(path)]
        if now_jobs:
            compile_templates(env)  # here, not again in each worker
        results = render_pages(
            env,
            now_jobs,
            root / "templates",
            root,
            finish=lambda page: accept_page(sink, page),
            tasks=[
                *(lambda run=run: write_index_run(sink, run) for run in now_runs),
                *(
                    lambda batch=batch: make_files(sink, {path: plan.made[path] for path in batch})
                    for batch in runs(now_made, FILES_A_TASK)
                ),
            ],
            # A card or a resized picture is several pages' work.
            task_items=sum(len(run.documents) for run in now_runs) + 4 * len(now_made),
            stop=stop,
        )
        for made, reads, part in results:
            if part is not None:
                memo.put("index-part", *part)
            for written in made:
                outputs.keep(written, plan.keys[written.path], reads)
    with stage(timings, "search index"):
        bundle = write_bundle(outputs, sink, plan.runs, plan.index_prefixes, ready=stop is None or not stop())
    for path, data in plan.files.items():
        if not outputs.stand(path, plan.keys[path]):
            outputs.keep(sink.accept(path, data), plan.keys[path])
    site_files = plan.keys.keys() | bundle.keys()
    stale = {job.output_path for job in stale_jobs} | {path for run in stale_runs for path in run.texts}
    stale |= set(stale_made)
    deferred = (stale | {path for path, stands in bundle.items() if not stands}) - set(outputs.made)
    with stage(timings, "publish"):
        sink.finish(site_files)
    with stage(timings, "cache"):
        memo.save()
    return Built(site, tuple(sorted(site_files)), tuple(sorted(outputs.made)), tuple(sorted(deferred)))


def printed_by_language(site: Site, printed: tuple[ManifestoPdf, ...]) -> dict[str, ManifestoPdf]:
    """The printed platform (not the large print) in each language of the site, by code."""
    by_path = {pdf.url_path: pdf for pdf in printed}
    return {
        other.config.language: by_path[f"{other.config.language_prefix}/manifesto.pdf"]
        for other in language_sites(site)
        if f"{other.config.language_prefix}/manifesto.pdf" in by_path
    }


# A render worker's result: the files it handed to the sink, what they read, and the index part it made.
Made = tuple[list[Written], frozenset[str], tuple[str, Any] | None]


def accept_page(sink: Sink, page: RenderedPage) -> Made:
    """A rendered page handed to the sink (in a render worker, when there are workers)."""
    return [sink.accept(page.output_path, page.data)], page.reads, None


def write_index_run(sink: Sink, run: IndexRun) -> Made:
    """Index one part's documents and hand their text files to the sink (a render worker's task)."""
    part, texts = index_part(run.documents)
    made = [sink.accept(run.prefix + path, data) for path, data in texts.items()]
    return made, frozenset(), (run.key, part)


def make_files(sink: Sink, producers: dict[str, Callable[[], bytes]]) -> Made:
    """Make files of Plan.made and hand them to the sink (a render worker's task)."""
    return [sink.accept(path, make()) for path, make in producers.items()], frozenset(), None


def write_bundle(
    outputs: TracedOutputs, sink: Sink, runs: list[IndexRun], prefixes: tuple[str, ...], *, ready: bool
) -> dict[str, bool]:
    """The files that list every document (search.bundle_keys), those whose key changed joined again
    from the parts: each file, and whether it stood as it was. Not ``ready``, or with parts left for
    later, the last build's files are left as they are."""
    parts = [outputs.memo.lookup("index-part", run.key) for run in runs]
    if not ready or any(part is None for part in parts):
        return dict.fromkeys(outputs.leave(is_bundle_file), False)
    stands: dict[str, bool] = {}
    for prefix in prefixes:  # each language's index on its own
        own = [(run, part) for run, part in zip(runs, parts, strict=True) if run.prefix == prefix]
        own_parts = [part for _, part in own]
        keys = bundle_keys(own_parts, [run.key for run, _ in own])
        for path, key in keys.items():
            stands[prefix + path] = outputs.stand(prefix + path, key)
            if not stands[prefix + path]:
                outputs.keep(sink.accept(prefix + path, bundle_file(path, own_parts)), key)
    return stands


@dataclass(frozen=True)
class BuildResult:
    """A whole site in memory: for checking, printing and the tests."""

    site: Site
    pages: dict[str, bytes]  # output path -> bytes, assets included


def render_all(root: Path, options: RenderOptions, *, memo: Memo | None = None) -> BuildResult:
    """Every output of the site, in memory; raises BuildError for any mistake in the user's files."""
    sink = MemorySink()
    built = build_site(root, options, memo or Memo(), sink)
    return BuildResult(built.site, sink.pages)


def printable_pages(root: Path, options: RenderOptions, memo: Memo) -> tuple[Site, dict[str, bytes]]:
    """The pages printed to PDF (render.printed_jobs) and the assets they show, in memory, with the site;
    raises BuildError for any mistake in the user's files, as a build would."""
    sources, site, env = read_site(root, dataclasses.replace(options, printed=True), memo)
    pages = {
        asset.url_path.lstrip("/"): asset.data for asset in with_brand_assets(sources.assets, site.config)
    }
    for job in printed_jobs(site):
        pages[job.output_path] = render_page(env, job, root / "templates", root).data
    return site, pages


def print_editions(root: Path, options: RenderOptions, memo: Memo) -> tuple[ManifestoPdf, ...]:
    """The platform printed to PDF, and its large-print edition (pdf.py); printed again only when the
    pages printed have changed (a memo entry holds the PDFs by a digest of those pages)."""
    from .pdf import print_manifesto  # only builds with the formats need it (and the browser it drives)

    site, pages = printable_pages(root, options, memo)
    languages = tuple(other.config.language for other in site.in_languages.values())
    address = site.config.base_url  # where the PDFs' links lead
    files = (f"{path}:{hashlib.sha256(data).hexdigest()}" for path, data in sorted(pages.items()))
    key = digest(repr(options), address, *files)
    printed: tuple[ManifestoPdf, ...] = memo.get(
        "printed", key, lambda: print_manifesto(pages, options, address, languages)
    )
    return printed


def build(
    root: Path,
    out: Path,
    options: RenderOptions,
    *,
    use_cache: bool = True,
    timings: dict[str, float] | None = None,
) -> Built:
    """Build the site into ``out``: staged inside it, published only when complete; with
    ``options.formats``, with every format of the platform: printed to PDF (pdf.py), in large print, as
    an EPUB and as plain text (formats.py). No other build writes into ``out`` meanwhile (claimed_output)."""
    with claimed_output(out, root) as folder:
        store = DiskStore(root / ".cache", generator_fingerprint(), DISK_SHARDS) if use_cache else NullStore()
        memo = Memo(store)
        printed: tuple[ManifestoPdf, ...] = ()
        if options.formats:
            # The pages link to the PDFs with their sizes, known once they are printed from them.
            with stage(timings, "print"):
                printed = print_editions(root, options, memo)
        # The records of what is in ``out`` belong to that folder: a build into another must not trust them.
        records = "outputs-" + hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        with staged(folder, list_output(folder)) as staging:
            built = build_site(
                root, options, memo, staging, records=records, printed=printed, timings=timings
            )
        if isinstance(store, DiskStore):
            store.remove_other_formats()
    return built
