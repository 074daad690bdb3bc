"""The shared peer harness, with one change: a tool's last output is moved aside before each run, not deleted.

    python3 bench/peers_outputs_kept.py 1000 --runs 5 --only pelican,ours --reference pelican \\
        --candidate ours "$PY bench/harness_candidate.py {corpus} {out}" "articles/*/index.html"

Its arguments are ../shared/bench/run_peers.py's, and so are its rounds, checks and table. That harness
deletes a tool's output just before timing its next build. On a file system that does not hand out again,
for a while, the inodes of files it has just deleted (ext4 without a journal, as on the machines these
figures come from), every file the build then creates costs a search past those deleted inodes: the
deletion is paid within the timed build, and it grows with the square of the number of files, so it
weighs on a site of 4,346 files and folders (this generator's at 1,000 op-eds: share cards, search
excerpts, a folder per op-ed) far more than on one of 1,680 (Pelican's). Here every tool's earlier
outputs are kept, renamed, until the whole run is over, so that no tool's timed build follows a deletion.
bench/README.md gives both figures.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

HARNESS = Path(__file__).resolve().parents[2] / "shared/bench/run_peers.py"


def shared_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_peers", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_peers"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main() -> None:
    harness = shared_harness()
    delete_then_run = harness.run_once
    kept: list[Path] = []

    def move_aside_then_run(tool: object, log: Path) -> object:
        output: Path = tool.output  # type: ignore[attr-defined]
        if output.exists():
            kept.append(output.with_name(f"{output.name}.kept-{len(kept)}"))
            output.rename(kept[-1])
        return delete_then_run(tool, log)  # nothing left there to delete

    harness.run_once = move_aside_then_run
    try:
        harness.main()
    finally:
        for folder in kept:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
