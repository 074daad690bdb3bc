"""Build-speed benchmark: cold, warm and incremental builds of synthetic sites of N op-eds.

    python bench/build.py                      # N = 100, 1,000 and 10,000, 3 runs each
    python bench/build.py 1000 --runs 5

For each N it generates a site in this project's layout (bench/corpus.py, the same articles the shared peer
harness gives Pelican, MkDocs and Hugo), then times whole `python build.py` processes, start-up included:

  cold      no output, no cache (.cache/ deleted first)
  warm      nothing changed since the last build
  op-ed     one op-ed's text edited
  template  one template edited (every page that uses it is rendered again)
  site.yaml the tagline changed (every page)

Run it with the interpreter that is to be timed: the README's figures use a virtual environment that holds
this project alone (see bench/harness_candidate.py). It prints the median wall time of each, the peak
memory of the largest build process (its own, or its largest worker's), and, from `--timings`, where a
cold build spends its time. Work lives in bench/.work/.
The package's modules are compiled first, as installing it would (Python may be told not to keep compiled
modules of a source tree: PYTHONDONTWRITEBYTECODE), so that no build pays for compiling them.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import REPO, SITE_YAML, make_project  # noqa: E402

WORK = REPO / "bench" / ".work"


def timed_build(project: Path, *extra: str) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, peak RSS in MB, stage timings) of one build process."""
    command = [sys.executable, str(REPO / "build.py"), "--root", str(project), "build", "--timings", *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"build failed:\n{stderr}")
    timings = json.loads(stderr.strip().splitlines()[-1]) if stderr.strip() else {}
    return wall, usage.ru_maxrss / 1024, timings


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1) if old else text + new, encoding="utf-8")


def measure(articles: int, runs: int) -> dict[str, object]:
    project = WORK / f"site-{articles}"
    if not (project / "site.yaml").is_file():
        make_project(articles, project)
    shutil.copytree(REPO / "templates", project / "templates", dirs_exist_ok=True)
    (project / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    article = sorted((project / "content/articles").glob("*.md"))[articles // 2]
    results: dict[str, list[float]] = {
        name: [] for name in ("cold", "warm", "op-ed", "template", "site.yaml")
    }
    peaks: list[float] = []
    stages: list[dict[str, float]] = []
    for run in range(runs):
        shutil.rmtree(project / "_site", ignore_errors=True)
        shutil.rmtree(project / ".cache", ignore_errors=True)
        wall, peak, timings = timed_build(project)
        results["cold"].append(wall)
        peaks.append(peak)
        stages.append(timings)
        results["warm"].append(timed_build(project)[0])
        edit(article, "", f"\nA sentence added by run {run}.\n")
        results["op-ed"].append(timed_build(project)[0])
        edit(project / "templates/article.html", "", f"{{# edited by run {run} #}}\n")
        results["template"].append(timed_build(project)[0])
        edit(project / "site.yaml", "tagline: ", f"tagline: Run {run} of ")
        results["site.yaml"].append(timed_build(project)[0])
    stage_medians = {name: statistics.median(s.get(name, 0.0) for s in stages) for name in stages[0]}
    return {
        "articles": articles,
        **{name: statistics.median(times) for name, times in results.items()},
        "peak_mb": max(peaks),
        "stages": stage_medians,
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| N | cold s | warm s | one op-ed s | one template s | site.yaml s | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['articles']:,} | {row['cold']:.2f} | {row['warm']:.2f} | {row['op-ed']:.2f} | "
            f"{row['template']:.2f} | {row['site.yaml']:.2f} | {row['peak_mb']:.0f} |"
        )
    lines += ["", "Cold build by stage (seconds, median):", ""]
    stage_names = list(rows[0]["stages"])  # type: ignore[arg-type]
    lines.append("| N | " + " | ".join(stage_names) + " |")
    lines.append("|---:|" + "---:|" * len(stage_names))
    for row in rows:
        stages = row["stages"]
        lines.append(f"| {row['articles']:,} | " + " | ".join(f"{stages[n]:.2f}" for n in stage_names) + " |")  # type: ignore[index]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", type=int, nargs="*", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    compileall.compile_dir(REPO / "manifesto", quiet=1)
    compileall.compile_file(REPO / "build.py", quiet=1)
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = [measure(size, args.runs) for size in args.sizes]
    print(table(rows))


if __name__ == "__main__":
    main()
