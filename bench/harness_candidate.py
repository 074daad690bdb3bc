"""This project as a candidate of the shared peer harness (../shared/bench/run_peers.py).

    python3 -m venv bench/.work/venv && bench/.work/venv/bin/pip install -e .
    PY=$PWD/bench/.work/venv/bin/python
    run_peers.py 1000 --candidate ours "$PY bench/harness_candidate.py {corpus} {out}" "articles/*/index.html"

With ``--pictures N`` (as the last arguments), N op-eds have a lead image of their own (corpus.bench_photo),
which the build resizes. With ``--one-edit`` (as the last argument) a timed run is instead a rebuild after one op-ed's text changed,
the cache warm, as ``bench/build.py`` times it: the op-ed gets a sentence, and the project is built with its
cache into its own ``_site/``, which ``{out}`` then links to (the harness deletes ``{out}`` before each
run). Run it beside Hugo, ``--only hugo,ours-one-edit --reference hugo``, to pair each rebuild with one of
Hugo's full builds in the same round.

Run it with the interpreter of a virtual environment that holds this project alone, as above: the peers
run from virtual environments of their own, each with what its own installation brings. An interpreter
shared with other tools starts more slowly (a development environment's packages may add start-up hooks,
and Python-Markdown imports Pygments, about 13 ms, whenever it is installed), and a bare ``python3`` may be
a version manager's shim that costs a start-up of its own (0.15 s with pyenv).

The harness writes its canonical corpus; the first (untimed, warm-up) run lays it out as a project beside
it, and every run then makes a clean build of that project (no build cache) in this same process, so a timed
run is one interpreter start and one cold build, like the peers'. The warm-up also compiles the package's
modules, as installing a package does (the peers are installed; this project runs from its source tree,
where Python may be told not to keep compiled modules: PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import REPO, layout_project  # noqa: E402


def project_build() -> ModuleType:
    """The project's ``build.py`` (bench/ has a build.py of its own, so it is loaded by path)."""
    sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location("project_build", REPO / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def templates_digest() -> str:
    """Names the laid-out project after the templates it was given, so that a changed template is never
    timed with an old copy (the harness keeps its corpus folders between runs)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "templates").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def rebuild_after_one_edit(build: ModuleType, project: Path, out: Path) -> int:
    """Add a sentence to one op-ed and build the project with its cache into its own _site/, linked from
    ``out``. The first run (the harness's warm-up) builds without an edit, filling the cache."""
    site = project / "_site"
    if site.is_dir():
        articles = sorted((project / "content/articles").glob("*.md"))
        edited = articles[len(articles) // 3]
        with edited.open("a", encoding="utf-8") as file:
            file.write(f"\nA sentence added at {time.time_ns()}.\n")
    status: int = build.main(["--root", str(project), "build"])
    if out.is_symlink():
        out.unlink()
    out.symlink_to(site, target_is_directory=True)
    return status


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    one_edit = sys.argv[3:] == ["--one-edit"]
    pictures = int(sys.argv[4]) if sys.argv[3:4] == ["--pictures"] else 0
    kind = f"{'-one-edit' if one_edit else ''}{f'-pictures-{pictures}' if pictures else ''}"
    project = corpus / f"manifesto-project-{templates_digest()}{kind}"
    if not (project / "site.yaml").is_file():
        layout_project(corpus, project, pictures)
        compileall.compile_dir(REPO / "manifesto", quiet=1)
        compileall.compile_file(REPO / "build.py", quiet=1)
    build = project_build()
    if one_edit:
        status = rebuild_after_one_edit(build, project, out)
    else:
        status = build.main(["--root", str(project), "build", "--out", str(out), "--no-cache"])
    build.exit_now(status)  # as `python build.py` ends, so that a timed run is what a user waits for


if __name__ == "__main__":
    main()
