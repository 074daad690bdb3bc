"""The whole build, top to bottom: load, parse, render, write."""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import (
    NO_BODIES,
    BodyStates,
    BuildCache,
    IndexLayout,
    PageRecord,
    SlotRecord,
    TemplateCache,
    body_fingerprints,
    digest_text,
    folder_fingerprint,
    generator_fingerprint,
    load_cache,
    load_front_matter,
    load_index_part,
    load_known_sources,
    metadata_fingerprint,
    prune_cache,
    reusable,
    save_bodies,
    save_front_matter,
    save_index_part,
    save_known_sources,
    save_pages,
    stale_slots,
)
from .load import KnownSources, SourceCache, Sources, load_sources
from .model import Site
from .parse import BodyCache, EntryCache, parse_site
from .render import (
    BodyReads,
    PageJob,
    RecordingEnvironment,
    RenderOptions,
    make_env,
    manifesto_text,
    plan_pages,
    render_site,
    rendered_pages,
)
from .search import (
    BUNDLE_FOLDER,
    TEXT_FOLDER,
    IndexPart,
    ReplacedPart,
    SearchDocument,
    documents_digest,
    documents_of,
    index_bundle,
    index_part,
    search_files,
    search_page,
    spliced_bundle,
    text_path,
)
from .splice import BodySlot, patched
from .write import (
    OutputListing,
    Staging,
    WrittenPage,
    check_output_folder,
    list_output,
    recover_interrupted,
    staged,
    write_site,
)

if TYPE_CHECKING:
    from .pdf import ManifestoPdf


@dataclass(frozen=True)
class BuildResult:
    """A whole site in memory: for checking, printing and the tests."""

    site: Site
    pages: dict[str, bytes]  # output path -> bytes, assets included


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote into its output folder."""

    site: Site
    written: tuple[str, ...]  # output paths written afresh
    reused: tuple[str, ...]  # output paths the last build wrote, left in place unchanged


@dataclass(frozen=True)
class Prepared:
    """A checked site and the environment to render it: everything before the pages."""

    sources: Sources
    site: Site
    env: RecordingEnvironment
    templates_dir: Path


@contextmanager
def stage(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    """Adds the time spent in the block to ``timings[name]`` (for the benchmark's breakdown)."""
    started = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


@dataclass
class SessionCaches:
    """What a long-running caller (the preview) keeps between builds, so that a rebuild reads and parses
    only the files saved since. Each cache is keyed by everything its entries depend on."""

    sources: SourceCache = field(default_factory=dict)
    entries: EntryCache = field(default_factory=dict)


def prepare(
    root: Path,
    options: RenderOptions,
    body_cache: BodyCache | None,
    manifesto_pdf: ManifestoPdf | None,
    timings: dict[str, float] | None = None,
    session: SessionCaches | None = None,
    template_cache: TemplateCache | None = None,
    front_matter: EntryCache | None = None,
    known_sources: KnownSources | None = None,
) -> Prepared:
    """The site, checked, and its environment. ``session`` holds a long-running caller's caches; a build
    without one may give the front matter and the content files' stamps kept by the last build."""
    with stage(timings, "load"):
        sources = load_sources(root, session.sources if session else None, known_sources)
    with stage(timings, "parse and Markdown"):
        site = parse_site(
            sources,
            drafts=options.drafts,
            base_path=options.base_path,
            body_cache=body_cache,
            entry_cache=session.entries if session else front_matter,
            known_sources=known_sources,
        )
    if options.base_url:
        site = dataclasses.replace(site, config=dataclasses.replace(site.config, base_url=options.base_url))
    templates_dir = root / "templates"
    env = make_env(templates_dir, site, sources.assets, options, template_cache)
    env.globals["manifesto_pdf"] = manifesto_pdf  # the download link, shown only when there is a PDF
    return Prepared(sources, site, env, templates_dir)


def asset_files(sources: Sources) -> dict[str, bytes]:
    return {asset.url_path.lstrip("/"): asset.data for asset in sources.assets}


def render_all(
    root: Path,
    options: RenderOptions,
    *,
    body_cache: BodyCache | None = None,
    manifesto_pdf: ManifestoPdf | None = None,
) -> BuildResult:
    """Everything a build produces, in memory; raises BuildError for any mistake in the user's files."""
    ready = prepare(root, options, body_cache, manifesto_pdf)
    pages = render_site(ready.site, ready.env, ready.templates_dir, root, options)
    pages |= asset_files(ready.sources)
    pages |= search_files(ready.env, ready.site, ready.templates_dir, root)
    if manifesto_pdf is not None:
        pages[manifesto_pdf.output_path] = manifesto_pdf.data
    return BuildResult(ready.site, pages)


def page_keys(
    ready: Prepared, jobs: list[PageJob], options: RenderOptions, fingerprint: str
) -> dict[str, str]:
    """What each page depends on, apart from the op-ed bodies it reads (those are recorded per page)."""
    shared = digest_text(
        fingerprint,
        folder_fingerprint(ready.templates_dir),
        repr(options),
        metadata_fingerprint(ready.site),
        *(f"{asset.url_path}:{digest_text(asset.data.hex())}" for asset in ready.sources.assets),
    )
    return {job.output_path: digest_text(shared, job.output_path, job.template) for job in jobs}


# Documents a part of the search index covers. Each part is made by a render worker beside the pages, and
# kept in the cache by the digest of its documents, so that an edit makes only its own part again.
INDEX_DOCUMENTS_A_PART = 50


@dataclass(frozen=True)
class IndexPlan:
    """The search index of this build, part by part (a part is named by the number of its first document)."""

    documents: list[SearchDocument]
    keys: dict[int, str]  # part -> digest of its documents ("" when nothing is kept for a next build)
    fresh: list[int]  # the parts to make (in a render worker each)
    kept: dict[int, IndexPart]  # parts whose documents are as the last build left them, from the cache
    # When the last build's bundle is spliced rather than joined again: its parts in the places of the
    # fresh ones (each as many documents), so that only the term files whose terms changed are rewritten.
    replacing: dict[int, IndexPart]
    search_key: str  # digest of every part's: the files listing every document change with it

    def size(self, starts: list[int]) -> int:
        """How many documents the parts ``starts`` hold."""
        return sum(len(self.documents[start : start + INDEX_DOCUMENTS_A_PART]) for start in starts)

    def layout(self) -> IndexLayout | None:
        if not all(self.keys.values()):
            return None
        return IndexLayout(tuple(self.keys[start] for start in sorted(self.keys)), len(self.documents))


@dataclass(frozen=True)
class WrittenIndexPart:
    start: int
    part: IndexPart
    stamps: dict[str, tuple[int, int]]  # the text files it wrote: (size, mtime in ns)


def is_bundle_file(path: str) -> bool:
    """The index files that list every document (documents.json, the term files), not per-document."""
    return path.startswith(f"{BUNDLE_FOLDER}/") and not path.startswith(f"{TEXT_FOLDER}/")


def last_bundle(cache: BuildCache) -> dict[str, PageRecord]:
    return {path: record for path, record in cache.pages.items() if is_bundle_file(path)}


def last_parts_replaced(
    cache: BuildCache,
    bundle: dict[str, PageRecord],
    cache_dir: Path,
    fingerprint: str,
    keys: dict[int, str],
    documents: int,
    present: OutputListing,
) -> dict[int, IndexPart] | None:
    """The last build's index parts in the places whose documents changed, when its bundle can be
    spliced: it (``bundle``, last_bundle's) is intact in the output folder, and as many documents are
    indexed as then (so every part keeps its place and size). None when the bundle must be joined again."""
    last = cache.index
    if last is None or last.documents != documents or len(last.keys) != len(keys):
        return None
    last_key = digest_text(*last.keys)
    if not bundle or not all(
        reusable(record, last_key, NO_BODIES, present, path) for path, record in bundle.items()
    ):
        return None
    replacing = {}
    for start, old_key in zip(sorted(keys), last.keys, strict=True):
        if keys[start] != old_key:
            old = load_index_part(cache_dir, fingerprint, old_key)
            if old is None:
                return None
            replacing[start] = old
    return replacing


def plan_index(
    documents: list[SearchDocument],
    cache: BuildCache,
    cache_dir: Path | None,
    fingerprint: str,
    present: OutputListing,
) -> tuple[IndexPlan, set[str], bool]:
    """The index's parts; the files the last build wrote that stand (to keep); and whether the whole
    index stands."""
    parts = {
        start: documents[start : start + INDEX_DOCUMENTS_A_PART]
        for start in range(0, len(documents), INDEX_DOCUMENTS_A_PART)
    }
    if cache_dir is None:
        return IndexPlan(documents, dict.fromkeys(parts, ""), list(parts), {}, {}, ""), set(), False
    keys = {start: documents_digest(part) for start, part in parts.items()}
    search_key = digest_text(*keys.values())
    texts = {start: [text_path(document.url_path) for document in part] for start, part in parts.items()}

    def stands(start: int) -> bool:
        return all(
            reusable(cache.pages.get(path), keys[start], NO_BODIES, present, path) for path in texts[start]
        )

    bundle = last_bundle(cache)
    bundle_stands = bool(bundle) and all(
        reusable(record, search_key, NO_BODIES, present, path) for path, record in bundle.items()
    )
    if bundle_stands and all(stands(start) for start in parts):  # nothing indexed changed
        every_text = {path for paths in texts.values() for path in paths}
        return IndexPlan(documents, keys, [], {}, {}, search_key), set(bundle) | every_text, True
    replacing = last_parts_replaced(cache, bundle, cache_dir, fingerprint, keys, len(documents), present)
    if replacing is not None:
        in_place = all(part.postings.documents == len(parts[start]) for start, part in replacing.items())
        if in_place and all(stands(start) for start in parts if start not in replacing):
            standing = {path for start in parts if start not in replacing for path in texts[start]}
            return IndexPlan(documents, keys, sorted(replacing), {}, replacing, search_key), standing, False
    kept: dict[int, IndexPart] = {}
    standing = set()
    for start in parts:
        part = load_index_part(cache_dir, fingerprint, keys[start]) if stands(start) else None
        if part is not None:
            kept[start] = part
            standing.update(texts[start])
    fresh = [start for start in parts if start not in kept]
    return IndexPlan(documents, keys, fresh, kept, {}, search_key), standing, False


def write_index_part(
    staging: Staging, plan: IndexPlan, start: int, cache_dir: Path | None, fingerprint: str
) -> WrittenIndexPart:
    """Index one part's documents and write their text files (a render worker's task); keep the part."""
    part, texts = index_part(plan.documents[start : start + INDEX_DOCUMENTS_A_PART])
    stamps = {}
    for path, data in texts.items():
        stamps[path] = staging.write(path, data)
    if cache_dir is not None:
        save_index_part(cache_dir, fingerprint, plan.keys[start], part)
    return WrittenIndexPart(start, part, stamps)


def read_record(reads: BodyReads, bodies: BodyStates) -> tuple[dict[str, str], tuple[SlotRecord, ...]]:
    """What a page read of op-eds' bodies, as its PageRecord keeps it: ``bodies`` and ``slots``."""
    read = {slug: bodies.measured(slug, names) for slug, names in reads.measures.items()}
    read |= {slug: bodies.fingerprints[slug] for slug in reads.text}
    return dict(sorted(read.items())), slot_records(reads.slots, bodies)


def slot_records(slots: Sequence[BodySlot], bodies: BodyStates) -> tuple[SlotRecord, ...]:
    """Slots as a PageRecord keeps them, each with the fingerprint of the body it now holds."""
    return tuple((slot.slug, slot.start, slot.end, bodies.fingerprints[slot.slug]) for slot in slots)


def patch_page(
    staging: Staging,
    output_path: str,
    record: PageRecord,
    stale: tuple[SlotRecord, ...],
    site: Site,
    bodies: BodyStates,
) -> PageRecord | None:
    """Write the last build's page with the op-eds of its ``stale`` slots (cache.stale_slots) showing
    their bodies as they are now (splice.py): its record. None if its file cannot be read as it was
    written."""
    try:
        new_bodies = {slug: manifesto_text(site.article(slug)).encode("utf-8") for slug, *_ in stale}
        page = staging.read_published(output_path)
        if len(page) != record.size:
            return None
        data, slots = patched(page, [BodySlot(*slot[:3]) for slot in record.slots], new_bodies)
        kept_slots = slot_records(slots, bodies)
    except (OSError, KeyError, ValueError):
        return None
    return PageRecord(record.key, record.bodies, *staging.write(output_path, data), kept_slots)


def write_fresh_pages(
    staging: Staging,
    ready: Prepared,
    jobs: list[PageJob],
    keys: dict[str, str],
    bodies: BodyStates,
    root: Path,
    tasks: Sequence[Callable[[], object]],
    task_items: int,
) -> tuple[dict[str, PageRecord], list[object]]:
    """Render ``jobs`` into ``staging`` and carry out ``tasks``, other work of the stage worth about
    ``task_items`` pages (in the workers, when there are workers): each page's record for the next build,
    and what the tasks gave."""
    records = {}
    results = []
    for done in rendered_pages(
        ready.env, jobs, ready.templates_dir, root, staging.write_page, tasks, task_items
    ):
        if isinstance(done, WrittenPage):
            read, slots = read_record(done.reads, bodies)
            records[done.output_path] = PageRecord(
                keys[done.output_path], read, done.size, done.mtime_ns, slots
            )
        else:
            results.append(done)
    return records, results


def joined_parts(
    plan: IndexPlan, made: dict[int, WrittenIndexPart], cache_dir: Path | None, fingerprint: str
) -> list[IndexPart]:
    """Every part of the index, in order: made by this build, kept, or (when a splice fell through)
    read from the cache or made again."""
    parts = []
    for start in sorted(plan.keys):
        part = made[start].part if start in made else plan.kept.get(start)
        if part is None and cache_dir is not None:
            part = load_index_part(cache_dir, fingerprint, plan.keys[start])
        if part is None:
            part, _ = index_part(plan.documents[start : start + INDEX_DOCUMENTS_A_PART])
        parts.append(part)
    return parts


def write_spliced_index(
    staging: Staging, plan: IndexPlan, made: dict[int, WrittenIndexPart], last_bundle: dict[str, PageRecord]
) -> tuple[dict[str, PageRecord], set[str]] | None:
    """Write the files of the last build's bundle that the fresh parts change (``spliced_bundle``): the
    records of the whole bundle, and which of its files were carried over as they were. None if the last
    bundle's files could not be read as written."""
    replaced = [ReplacedPart(start, old, made[start].part) for start, old in sorted(plan.replacing.items())]
    try:
        files = spliced_bundle(
            lambda path: staging.read_published(path) if path in last_bundle else None, replaced
        )
    except (OSError, ValueError, KeyError, TypeError):  # changed under the build: join every part again
        return None
    records = {
        path: PageRecord(plan.search_key, {}, record.size, record.mtime_ns)
        for path, record in last_bundle.items()
        if path not in files
    }
    carried = set(records)
    for path, data in files.items():
        if data is not None:
            records[path] = PageRecord(plan.search_key, {}, *staging.write(path, data))
    return records, carried


def write_joined_index(
    staging: Staging,
    plan: IndexPlan,
    done: list[object],
    last_bundle: dict[str, PageRecord],
    cache_dir: Path | None,
    fingerprint: str,
) -> tuple[dict[str, PageRecord], set[str]]:
    """Join the index parts, kept and just made (in ``done``), and write the files that list every
    document (or splice them into the last build's, ``last_bundle``, when the plan says so): the records
    of those files and of the text files the new parts wrote, and which files were carried over as the
    last build left them."""
    made = {result.start: result for result in done if isinstance(result, WrittenIndexPart)}
    records = {}
    for start, result in made.items():
        records |= {path: PageRecord(plan.keys[start], {}, *stamp) for path, stamp in result.stamps.items()}
    spliced = write_spliced_index(staging, plan, made, last_bundle) if plan.replacing else None
    if spliced is not None:
        return records | spliced[0], spliced[1]
    for path, data in index_bundle(joined_parts(plan, made, cache_dir, fingerprint)).items():
        records[path] = PageRecord(plan.search_key, {}, *staging.write(path, data))
    return records, set()


def build_incrementally(
    root: Path, out: Path, options: RenderOptions, cache_dir: Path | None, timings: dict[str, float] | None
) -> BuildReport:
    """A full build into ``out`` that renders only pages whose inputs changed since the last build, and
    keeps the others; pages are written as they are rendered, and published when the site is complete."""
    with stage(timings, "cache"):
        fingerprint = generator_fingerprint()
        cache = load_cache(cache_dir, out, fingerprint) if cache_dir is not None else BuildCache()
        front_matter = load_front_matter(cache_dir, fingerprint) if cache_dir is not None else None
        known_sources = load_known_sources(cache_dir, fingerprint) if cache_dir is not None else None
        # As the last build left them: what changes is saved again.
        kept_bodies, kept_pages, kept_front_matter, kept_sources = (
            set(cache.bodies),
            dict(cache.pages),
            set(front_matter or ()),
            dict(known_sources or {}),
        )
    template_cache = TemplateCache(cache_dir, fingerprint) if cache_dir is not None else None
    ready = prepare(
        root,
        options,
        cache.bodies,
        None,
        timings,
        template_cache=template_cache,
        front_matter=front_matter,
        known_sources=known_sources,
    )
    with frozen_until_done():  # what is loaded so far lives as long as the build
        with stage(timings, "find what changed"):
            jobs = list(plan_pages(ready.site, options))
            keeping = cache_dir is not None
            if keeping:
                keys = page_keys(ready, jobs, options, fingerprint)
                fingerprints = body_fingerprints(ready.site, cache.bodies)
            else:  # nothing is kept for a next build, so nothing needs a fingerprint (0.8 s at 10,000 op-eds)
                keys = dict.fromkeys((job.output_path for job in jobs), "")
                fingerprints = dict.fromkeys((article.slug for article in ready.site.articles), "")
            bodies = BodyStates(fingerprints, ready.site.index.by_slug)
            present = list_output(out)
            stale = {
                job.output_path: stale_slots(
                    cache.pages.get(job.output_path), keys[job.output_path], bodies, present, job.output_path
                )
                for job in jobs
            }
            reused = {path for path, slots in stale.items() if slots == ()}
            plan, standing, index_stands = plan_index(
                documents_of(ready.site, fingerprints if keeping else None),
                cache,
                cache_dir,
                fingerprint,
                present,
            )
            reused |= standing
        with staged(out, present) as staging:
            with stage(timings, "render and write"):
                # Pages that only show changed op-eds in slots are patched; those that cannot be are
                # rendered with the rest.
                records = {}
                for path, slots in stale.items():
                    patched_record = (
                        patch_page(staging, path, cache.pages[path], slots, ready.site, bodies)
                        if slots
                        else None
                    )
                    if patched_record is not None:
                        records[path] = patched_record
                done_already = reused | records.keys()
                fresh = [job for job in jobs if job.output_path not in done_already]
                fresh_parts = [] if index_stands else plan.fresh
                tasks: list[Callable[[], object]] = [
                    partial(write_index_part, staging, plan, start, cache_dir, fingerprint)
                    for start in fresh_parts
                ]
                # The Markdown bodies and front matter are kept for the next build while the pages are
                # rendered: they are right whatever happens to this build (keyed by their inputs).
                if keeping and set(cache.bodies) != kept_bodies:
                    tasks.append(partial(save_bodies, cache_dir, fingerprint, cache.bodies, kept_bodies))
                if front_matter is not None and set(front_matter) != kept_front_matter:
                    tasks.append(partial(save_front_matter, cache_dir, fingerprint, front_matter))
                if known_sources is not None and known_sources != kept_sources:
                    tasks.append(partial(save_known_sources, cache_dir, fingerprint, known_sources))
                # Indexing a document costs about as much as rendering a page.
                rendered, done = write_fresh_pages(
                    staging, ready, fresh, keys, bodies, root, tasks, plan.size(fresh_parts)
                )
                records |= rendered
                extras = asset_files(ready.sources) | search_page(ready.env, ready.templates_dir, root)
                for path, data in extras.items():
                    staging.write(path, data)
            with stage(timings, "search index"):
                if not index_stands:
                    index_records, carried = write_joined_index(
                        staging, plan, done, last_bundle(cache), cache_dir, fingerprint
                    )
                    records |= index_records
                    reused |= carried
            written = (*(path for path in records if path not in reused), *extras)
            records |= {path: cache.pages[path] for path in reused if path not in records}
            with stage(timings, "publish"):
                staging.publish(set(records) | set(extras))
        if cache_dir is not None and records != kept_pages:
            with stage(timings, "cache"):
                save_pages(cache_dir, out, fingerprint, records, plan.layout())
                prune_cache(cache_dir, set(plan.keys.values()))
        return BuildReport(ready.site, tuple(sorted(written)), tuple(sorted(reused)))


@contextmanager
def frozen_until_done() -> Iterator[None]:
    """Within, what was alive on entry is kept out of the garbage collector's walks (``gc.freeze``).

    A build's largest data (the cached bodies, the site model) lives until the build ends; walking it
    again and again to find cycles was a twentieth of a rebuild after one edit, and in forked workers the
    collector's writes would copy its memory pages. It is handed back to the collector on the way out.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build(
    root: Path,
    out: Path,
    options: RenderOptions,
    *,
    pdf: bool = False,
    use_cache: bool = True,
    timings: dict[str, float] | None = None,
) -> BuildReport:
    check_output_folder(out, root)
    recover_interrupted(out)
    if not pdf:
        return build_incrementally(root, out, options, root / ".cache" if use_cache else None, timings)
    from .pdf import print_manifesto  # only PDF builds need it (and the HTTP server it prints through)

    # The pages link to the PDF with its size, known once it is printed from them: print, render again.
    result = render_all(root, options)
    result = render_all(root, options, manifesto_pdf=print_manifesto(result.pages, options))
    write_site(result.pages, out)
    return BuildReport(result.site, tuple(sorted(result.pages)), ())
