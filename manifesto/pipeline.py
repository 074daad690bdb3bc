"""The whole build, top to bottom: sources → site → a plan of every output → bytes in a sink.

One function, ``build_site``, makes every site: ``build`` into a folder with the memo on disk (``.cache/``),
``check`` and the PDF's printing in memory, and the preview in memory with a memo that lives as long as its
session. No stage knows which of these it runs in. What makes a rebuild cheap is the memo layer (memo.py):
front matter, Markdown, compiled templates and index parts are memo entries, and every output is a traced
entry, kept as the sink holds it while its key and what it read are as they were.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from .load import RACY_NS, is_editor_litter, load_sources
from .memo import DiskStore, Memo, MemoryStore, NullStore, digest, generator_fingerprint
from .model import Site
from .parse import parse_site
from .render import RenderedPage, RenderOptions, compile_templates, make_env, plan_pages, read_value
from .render import rendered_pages as render_pages
from .search import (
    SearchDocument,
    bundle_file,
    bundle_keys,
    documents_digest,
    documents_of,
    index_part,
    is_bundle_file,
    text_path,
)
from .write import MemorySink, Written, claimed_output, list_output, staged

if TYPE_CHECKING:
    from .pdf import ManifestoPdf

# What the preview (serve.py) takes from here: it imports no stage.
__all__ = ["RACY_NS", "Memo", "MemoryStore", "MemorySink", "RenderOptions", "build_site", "source_area"]

INDEX_DOCUMENTS_A_PART = 50  # documents in one memoised part of the search index
# Memo kinds whose entries are large are kept on disk in this many files each, so that an edit rewrites
# a small one (the converted Markdown of 1,000 op-eds is 9 MB; the index parts, 2 MB).
DISK_SHARDS = {"body": 32, "index-part": 8}


class Sink(Protocol):
    """Where outputs go: a staging folder beside the output (write.Staging) or memory (write.MemorySink)."""

    def accept(self, path: str, data: bytes) -> Written: ...
    def receive(self, written: Written) -> None: ...
    def holds(self, path: str, token: object) -> bool: ...
    def has(self, path: str) -> bool: ...
    def finish(self, site_files: set[str]) -> None: ...


@dataclass(frozen=True)
class Built:
    site: Site
    outputs: tuple[str, ...]  # every file of the site, by output path
    made: tuple[str, ...]  # made afresh; the others were kept as the sink held them
    deferred: tuple[str, ...]  # out of date, left as they were for a later build (``first``, ``stop``)


@dataclass(frozen=True)
class IndexRun:
    """A part of the search index: ``documents``, and the text files it writes."""

    key: str  # search.documents_digest of its documents
    documents: list[SearchDocument]
    texts: tuple[str, ...]


@dataclass
class Outputs:
    """This build's outputs as traced memo entries (``records``): which stand, and the new ones kept."""

    memo: Memo
    sink: Sink
    records: str
    current: Callable[[str], str]  # a read's value now (render.read_value)
    made: list[str] = field(default_factory=list)

    def stand(self, path: str, key: str) -> bool:
        token = self.memo.recall(self.records, path, key, self.current)
        return token is not None and self.sink.holds(path, token)

    def keep(self, written: Written, key: str, reads: frozenset[str] = frozenset()) -> None:
        self.sink.receive(written)
        read = {name: self.current(name) for name in sorted(reads)}
        self.memo.remember(self.records, written.path, key, read, written.token)
        self.made.append(written.path)


@contextmanager
def stage(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    """Adds the time spent in the block to ``timings[name]`` (for the benchmark's breakdown)."""
    started = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def build_site(
    root: Path,
    options: RenderOptions,
    memo: Memo,
    sink: Sink,
    *,
    records: str = "outputs",
    first: frozenset[str] | None = None,
    stop: Callable[[], bool] | None = None,
    pdf: ManifestoPdf | None = None,
    timings: dict[str, float] | None = None,
) -> Built:
    """Make every output of the site at ``root`` that does not stand as the last build left it in
    ``sink``; ``records`` names the memo entries that trace this sink's outputs.

    With ``first`` (the preview's open pages), out-of-date outputs outside it that the sink holds from
    before are left as they are for a later call; ``stop()`` ends the rendering early. Both are
    ``Built.deferred``."""
    with stage(timings, "load"):
        sources = load_sources(root, lambda path: memo.lookup("source", path))
    with stage(timings, "parse and Markdown"):
        site = parse_site(sources, drafts=options.drafts, base_path=options.base_path, memo=memo)
    if options.base_url:
        site = dataclasses.replace(site, config=dataclasses.replace(site.config, base_url=options.base_url))
    env = make_env(root / "templates", site, sources.assets, options, memo.templates())
    env.globals["manifesto_pdf"] = pdf  # the download link, shown only when there is a PDF
    with stage(timings, "find what changed"):
        files = {asset.url_path.lstrip("/"): asset.data for asset in sources.assets}
        files |= {pdf.output_path: pdf.data} if pdf is not None else {}
        file_keys = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
        made_from = (sources.templates_digest, repr(options), site.sources_digest, repr(site.config))
        shared = digest(*made_from, *(f"{path}:{key}" for path, key in file_keys.items()))
        jobs = list(plan_pages(site, options))
        page_keys = {job.output_path: digest(shared, job.output_path, job.template) for job in jobs}
        runs = index_runs(documents_of(site))
        outputs = Outputs(memo, sink, records, reads_now(site))
        stale_jobs = [job for job in jobs if not outputs.stand(job.output_path, page_keys[job.output_path])]
        stale_runs = [
            run
            for run in runs
            if not all([outputs.stand(path, run.key) for path in run.texts])  # each recalled, kept
            or not memo.has("index-part", run.key)
        ]

        def due(path: str) -> bool:
            return first is None or path in first or not sink.has(path)

    with gc_frozen(), stage(timings, "render and write"):
        now_jobs = [job for job in stale_jobs if due(job.output_path)]
        now_runs = [run for run in stale_runs if any(map(due, run.texts))]
        compile_templates(env, {job.template for job in now_jobs})  # here, not again in each worker
        results = render_pages(
            env,
            now_jobs,
            root / "templates",
            root,
            finish=lambda page: accept_page(sink, page),
            tasks=[lambda run=run: write_index_run(sink, run) for run in now_runs],
            task_items=sum(len(run.documents) for run in now_runs),
            stop=stop,
        )
        for result in results:
            if isinstance(result[0], IndexRun):
                run, part, written_texts = result
                memo.put("index-part", run.key, part)
                for written in written_texts:
                    outputs.keep(written, run.key)
            else:
                outputs.keep(result[0], page_keys[result[0].path], result[1])
    with stage(timings, "search index"):
        bundle = write_bundle(outputs, runs, ready=stop is None or not stop())
    for path, data in files.items():
        if not outputs.stand(path, file_keys[path]):
            outputs.keep(sink.accept(path, data), file_keys[path])
    site_files = {job.output_path for job in jobs} | {path for run in runs for path in run.texts}
    site_files |= bundle.keys() | files.keys()
    stale = {job.output_path for job in stale_jobs} | {path for run in stale_runs for path in run.texts}
    deferred = (stale | {path for path, stands in bundle.items() if not stands}) - set(outputs.made)
    with stage(timings, "publish"):
        sink.finish(site_files)
    with stage(timings, "cache"):
        memo.save()
    return Built(site, tuple(sorted(site_files)), tuple(sorted(outputs.made)), tuple(sorted(deferred)))


def source_area(path: str) -> str | None:
    """What a changed file (posix, relative to the root) is to the build: "site" (site.yaml, templates,
    content), "asset" (a file copied as it is), or None for one it does not read (editor litter, other
    folders and suffixes)."""
    parts = PurePosixPath(path)
    if is_editor_litter(parts.name):
        return None
    if path == "site.yaml":
        return "site"
    if path.startswith(("templates/assets/", "content/images/")):
        return "asset"
    if path.startswith("templates/"):
        return "site"
    if path.startswith(("content/articles/", "content/chapters/", "content/pages/")):
        return "site" if parts.suffix.lower() == ".md" else None
    return None


def reads_now(site: Site) -> Callable[[str], str]:
    """render.read_value for ``site``, each read worked out once (an op-ed's reading time is on many pages)."""
    known: dict[str, str] = {}

    def current(name: str) -> str:
        if name not in known:
            known[name] = read_value(site, name)
        return known[name]

    return current


def index_runs(documents: list[SearchDocument]) -> list[IndexRun]:
    runs = []
    for start in range(0, len(documents), INDEX_DOCUMENTS_A_PART):
        part = documents[start : start + INDEX_DOCUMENTS_A_PART]
        runs.append(IndexRun(documents_digest(part), part, tuple(text_path(doc.url_path) for doc in part)))
    return runs


def accept_page(sink: Sink, page: RenderedPage) -> tuple[Written, frozenset[str]]:
    """A rendered page handed to the sink (in a render worker, when there are workers)."""
    return sink.accept(page.output_path, page.data), page.reads


def write_index_run(sink: Sink, run: IndexRun) -> tuple[IndexRun, Any, list[Written]]:
    """Index one part's documents and hand their text files to the sink (a render worker's task)."""
    part, texts = index_part(run.documents)
    return run, part, [sink.accept(path, data) for path, data in texts.items()]


def write_bundle(outputs: Outputs, runs: list[IndexRun], *, ready: bool) -> dict[str, bool]:
    """The files that list every document (search.bundle_keys), those whose key changed joined again
    from the parts: each file, and whether it stood as it was. Not ``ready``, or with parts left for
    later, the last build's files are left as they are."""
    parts = [outputs.memo.lookup("index-part", run.key) for run in runs]
    if not ready or any(part is None for part in parts):
        last = [path for path in outputs.memo.entries(outputs.records) if is_bundle_file(path)]
        for path in last:  # their records say where they are until they are made again
            outputs.memo.lookup(outputs.records, path)
        return dict.fromkeys(last, False)
    keys = bundle_keys(parts, [run.key for run in runs])
    stands = {path: outputs.stand(path, key) for path, key in keys.items()}
    for path, key in keys.items():
        if not stands[path]:
            outputs.keep(outputs.sink.accept(path, bundle_file(path, parts)), key)
    return stands


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Within, what was alive on entry is kept out of the garbage collector's walks (``gc.freeze``).

    A build's largest data (the converted bodies, the site model) lives until the build ends; walking it
    again and again to find cycles was a twentieth of a rebuild after one edit, and in forked workers the
    collector's writes would copy its memory pages. It is handed back to the collector on the way out.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass(frozen=True)
class BuildResult:
    """A whole site in memory: for checking, printing and the tests."""

    site: Site
    pages: dict[str, bytes]  # output path -> bytes, assets included


def render_all(
    root: Path, options: RenderOptions, *, memo: Memo | None = None, pdf: ManifestoPdf | None = None
) -> BuildResult:
    """Every output of the site, in memory; raises BuildError for any mistake in the user's files."""
    sink = MemorySink()
    built = build_site(root, options, memo or Memo(), sink, pdf=pdf)
    return BuildResult(built.site, sink.pages)


def build(
    root: Path,
    out: Path,
    options: RenderOptions,
    *,
    pdf: bool = False,
    use_cache: bool = True,
    timings: dict[str, float] | None = None,
) -> Built:
    """Build the site into ``out``: staged inside it, published only when complete; with ``pdf``, with
    the platform printed to PDF (pdf.py). No other build writes into ``out`` meanwhile (claimed_output)."""
    with claimed_output(out, root) as folder:
        store = (
            DiskStore(root / ".cache", generator_fingerprint(), DISK_SHARDS)
            if use_cache and not pdf
            else NullStore()
        )
        memo = Memo(store)
        printed = None
        if pdf:
            from .pdf import (
                print_manifesto,
            )  # only PDF builds need it (and the HTTP server it prints through)

            # The pages link to the PDF with its size, known once it is printed from them.
            printed = print_manifesto(render_all(root, options, memo=memo).pages, options)
        # The records of what is in ``out`` belong to that folder: a build into another must not trust them.
        records = "outputs-" + hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        with staged(folder, list_output(folder)) as staging:
            built = build_site(root, options, memo, staging, records=records, pdf=printed, timings=timings)
        if isinstance(store, DiskStore):
            store.remove_other_formats()
    return built
