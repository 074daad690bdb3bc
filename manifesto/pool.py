"""Spreading the two CPU-heavy stages (Markdown, page rendering) over the machine's cores.

Workers are forked, so they start with the parent's data (the site model, the templates) already in
memory: nothing large is pickled on the way in, only results come back. Forking a process that runs other
threads can deadlock, so the pool is used only from a single-threaded process (the one-shot build), and
only for enough work to pay for its start-up. A worker dies with the build that forked it, even one
killed with SIGKILL, so that none is left running.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many page-sized items, workers save nothing: after one edit at 1,000 op-eds (54 items, one of
# them the manifesto) the render stage took as long either way, and then the pool's modules are never
# imported (0.02 s).
MIN_ITEMS_FOR_POOL = 100
# Slices of the work handed to each worker of map_in_processes, one at a time: at 1,000 op-eds, two slices
# (one a worker) left one worker idle for a tenth to a third of the Markdown stage (bench/README.md).
PARTS_A_WORKER = 16
PR_SET_PDEATHSIG = 1  # Linux's prctl option: a signal for this process when its parent dies


class WorkerInputs:
    """What a forked worker works from, set once when the worker starts.

    The one piece of process-wide state in the package, and only ever set inside worker processes: it
    is how a forked worker reaches the data it inherited without pickling it for every task.
    """

    value: Any = None


def set_worker_inputs(value: Any) -> None:
    WorkerInputs.value = value


def worker_inputs() -> Any:
    return WorkerInputs.value


def start_worker(inputs: Any, parent: int) -> None:
    """In a new worker: die with ``parent``, then keep ``inputs``."""
    die_with_parent(parent)
    set_worker_inputs(inputs)


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies; elsewhere (or should Linux refuse), a thread
    looks for the parent every second. A parent that died before the request was made is seen at once."""
    asked = sys.platform.startswith("linux") and (
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    )
    if not asked:
        threading.Thread(target=exit_without_parent, args=(parent, 1.0), daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def exit_without_parent(parent: int, seconds: float) -> None:
    while os.getppid() == parent:
        time.sleep(seconds)
    os._exit(1)


def worker_count(items: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if items < MIN_ITEMS_FOR_POOL or cores < 2 or threading.active_count() > 1:
        return 1
    if not hasattr(os, "fork"):
        return 1
    return min(cores, 8)


def chunks(items: Sequence[Item], count: int) -> list[Sequence[Item]]:
    """``count`` interleaved slices, so that long and short items spread evenly."""
    return [items[start::count] for start in range(count)]


def imap_in_processes(
    work: Callable[[Sequence[Item]], list[Result]],
    parts: list[Sequence[Item]],
    inputs: Any,
    items: int | None = None,
) -> Iterator[list[Result]] | None:
    """``work`` applied to each of ``parts`` in forked workers that see ``inputs``, part by part as they
    are done, a free worker taking the next part in order (so callers can put their slowest items first,
    and consume results without holding them all); None when a pool would not pay."""
    count = worker_count(sum(len(part) for part in parts) if items is None else items)
    return None if count == 1 else run_in_processes(work, parts, inputs, count)


def runs(items: Sequence[Item], size: int) -> list[Sequence[Item]]:
    """``items`` in consecutive runs of ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def run_in_processes(
    work: Callable[[Sequence[Item]], list[Result]], parts: list[Sequence[Item]], inputs: Any, count: int
) -> Iterator[list[Result]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=start_worker, initargs=(inputs, os.getpid())
    ) as pool:
        yield from pool.map(work, parts)


def map_in_processes(
    work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], inputs: Any
) -> list[Result] | None:
    """``work`` applied to interleaved slices of ``items`` (so that long and short items spread evenly),
    all results in one list; None when a pool would not pay. Callers key the results.

    Each worker is handed PARTS_A_WORKER slices, one at a time as it becomes free, so that a worker that
    finishes early (the machine's other work slowed the other) takes on what is left, and results come
    back while the rest are made rather than all at the end."""
    count = worker_count(len(items))
    if count == 1:
        return None
    parts = chunks(items, min(len(items), count * PARTS_A_WORKER))
    return [result for part in run_in_processes(work, parts, inputs, count) for result in part]


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
