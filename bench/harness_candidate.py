"""This project as a candidate of the shared peer harness (../shared/bench/run_peers.py).

    run_peers.py 1000 --candidate ours "python3 bench/harness_candidate.py {corpus} {out}" "articles/*/index.html"

The harness writes its canonical corpus; the first (untimed, warm-up) run lays it out as a project beside
it, and every run then replaces this process with a clean build of that project (no build cache), so a timed
run is one interpreter start and one cold build, like the peers'.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import REPO, layout_project  # noqa: E402


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    project = corpus / "manifesto-project"
    if not (project / "site.yaml").is_file():
        layout_project(corpus, project)
    command = [
        sys.executable,
        str(REPO / "build.py"),
        "--root",
        str(project),
        "build",
        "--out",
        str(out),
        "--no-cache",
    ]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
