"""The one cache: results of the stages, memoised by digests of what they were made from.

A stage never asks whether something is cached. It is handed a ``Memo`` and wraps a computation in it,
``memo.get("body", key, convert)``, where ``key`` names everything the result is made from; the memo
answers from its store, or makes the value and remembers it. Two stores: ``DiskStore`` keeps entries in
``.cache/`` between builds, ``MemoryStore`` keeps them for a preview session.

Outputs (pages, search files) are *traced* entries: besides its key, an entry records the values of
what the output read while it was made (``reads``: "the text of op-ed x", "its reading time"), and
stands while each still has the value it had (``recall``). That is how a chapter page stays when an
edit leaves the reading times it shows unchanged.

It can never make a wrong site:

- every key is a digest of the inputs; disk files are sealed with the generator's own code (a new
  version of the generator trusts nothing an older one kept) and a checksum, and a damaged, truncated
  or foreign file is ignored whole;
- what a build did not use is dropped when it saves, so the cache holds this site, not its history;
- values are kept with ``pickle``, like the compiled templates beside them: ``.cache/`` is the
  generator's own folder and must never come from an untrusted source.

This module imports no stage: what an entry holds is the stage's business.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import jinja2
import jinja2.bccache

from . import __version__

FORMAT = 3  # of the cache files: raised when their layout changes
PACKAGE_DIR = Path(__file__).resolve().parent
SUFFIX = f".v{FORMAT}.bin"  # of every cache file
TEMPLATES = "template"  # the kind of memo entry that holds compiled templates
MAX_FILE_BYTES = 1 << 30  # a cache file larger than this was not written by a build: it is not read

Value = TypeVar("Value")


def digest(*parts: str) -> str:
    """One digest naming ``parts`` (each one delimited, so that ("ab", "c") differs from ("a", "bc"))."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part.encode("utf-8") + b"\0")
    return hashed.hexdigest()


def generator_fingerprint() -> str:
    """Changes whenever the generator's code does, so that nothing an older version made is trusted."""
    hashed = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        hashed.update(path.name.encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()


# A traced entry: the key it was made under, what it read then (name -> value), and the value. A plain
# tuple: a build loads one for every output of the site, and tuples are the fastest to unpickle.
Trace = tuple[str, dict[str, str], Any]


class Store(Protocol):
    def load(self, kind: str) -> dict[str, Any]:
        """Every entry of ``kind`` kept so far (empty when there is none)."""
        ...

    def save(self, kind: str, entries: dict[str, Any], changed: set[str]) -> None:
        """Keep ``entries`` as all of ``kind``; ``changed`` names the keys added, replaced or dropped."""
        ...


class NullStore:
    """Keeps nothing: a build that must not read or write a cache (``--no-cache``, ``check``)."""

    def load(self, kind: str) -> dict[str, Any]:
        return {}

    def save(self, kind: str, entries: dict[str, Any], changed: set[str]) -> None:
        return


@dataclass
class MemoryStore:
    """Keeps entries in memory, for a session that builds again and again (the preview)."""

    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def load(self, kind: str) -> dict[str, Any]:
        return dict(self.kinds.get(kind, {}))

    def save(self, kind: str, entries: dict[str, Any], changed: set[str]) -> None:
        self.kinds[kind] = entries


def shard_of(key: str, shards: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % shards


@dataclass(frozen=True)
class DiskStore:
    """Keeps entries in ``folder`` (``.cache/``), each kind in sealed files: one, or as many as ``shards``
    says for a kind of large entries (by key), so that an edit rewrites a few small files."""

    folder: Path
    fingerprint: str  # generator_fingerprint(): files written by other code are not read
    shards: Mapping[str, int] = field(default_factory=dict)

    def shard_file(self, kind: str, shard: int) -> Path:
        return self.folder / f"{kind}-{shard:02}{SUFFIX}"

    def remove_other_formats(self) -> None:
        """Delete the files of earlier cache formats, which no build reads any more."""
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                if path.is_file() and not path.name.endswith(SUFFIX):
                    path.unlink(missing_ok=True)

    def load(self, kind: str) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for shard in range(self.shards.get(kind, 1)):
            kept = read_sealed(self.shard_file(kind, shard), self.fingerprint)
            if isinstance(kept, dict):
                entries |= kept
        return entries

    def save(self, kind: str, entries: dict[str, Any], changed: set[str]) -> None:
        """Rewrite only the files that hold a changed key (a damaged file loses only its own entries)."""
        shards = self.shards.get(kind, 1)
        by_shard: dict[int, dict[str, Any]] = {}
        for key, value in entries.items():
            by_shard.setdefault(shard_of(key, shards), {})[key] = value
        for shard in sorted({shard_of(key, shards) for key in changed}):
            write_sealed(self.shard_file(kind, shard), self.fingerprint, by_shard.get(shard, {}))


def read_sealed(path: Path, fingerprint: str) -> Any:
    """What a cache file holds, or None when it is missing, damaged or from other code.

    A cache file is a line of JSON naming the generator and the payload's SHA-256, then the payload."""
    try:
        data = read_regular_file(path)
        if data is None:
            return None
        header, _, payload = data.partition(b"\n")
        seal = json.loads(header)
        if seal["generator"] != fingerprint or seal["sha256"] != hashlib.sha256(payload).hexdigest():
            return None
        return pickle.loads(payload)
    except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return None


def read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most MAX_FILE_BYTES; None for a symbolic link
    (even to /dev/zero), a named pipe (opened without waiting for a writer) or a device."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags), "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        data = file.read(info.st_size + 1)
    return data if len(data) == info.st_size else None  # it changed while read


def write_sealed(path: Path, fingerprint: str, value: Any) -> None:
    """Write a cache file (see read_sealed). One that cannot be written (a full disk, a read-only folder)
    is left out: that only costs the next build time."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    seal = {"generator": fingerprint, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(json.dumps(seal, sort_keys=True).encode("utf-8") + b"\n")
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


@dataclass
class Memo:
    """Memoised results for one build, over a store that outlives it.

    Entries a build uses (found or made) are kept; the others are dropped by ``save``."""

    store: Store = field(default_factory=NullStore)
    known: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> as the store had it
    used: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> what this build used
    made: dict[str, set[str]] = field(default_factory=dict)  # kind -> keys made or put by this build

    def entries(self, kind: str) -> dict[str, Any]:
        if kind not in self.known:
            self.known[kind] = self.store.load(kind)
            self.used[kind] = {}
            self.made[kind] = set()
        return self.known[kind]

    def has(self, kind: str, key: str) -> bool:
        return key in self.entries(kind) or key in self.used.get(kind, {})

    def lookup(self, kind: str, key: str) -> Any:
        """The entry, or None; one that is found is kept."""
        known = self.entries(kind)
        if key in self.used[kind]:
            return self.used[kind][key]
        if key in known:
            self.used[kind][key] = known[key]
            return known[key]
        return None

    def put(self, kind: str, key: str, value: Any) -> None:
        self.entries(kind)
        self.used[kind][key] = value
        self.made[kind].add(key)

    def get(self, kind: str, key: str, make: Callable[[], Value]) -> Value:
        """The value kept for ``key``, or ``make()``'s, kept from now on."""
        found = self.lookup(kind, key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = make()
        self.put(kind, key, value)
        return value

    def get_many(
        self, kind: str, keys: Iterable[str], make: Callable[[list[str]], Mapping[str, Value]]
    ) -> dict[str, Value]:
        """get() for many keys at once: ``make`` is given the missing ones together (to share out)."""
        found = {key: self.lookup(kind, key) for key in keys}
        missing = [key for key, value in found.items() if value is None]
        made = make(missing) if missing else {}
        for key in missing:
            self.put(kind, key, made[key])
            found[key] = made[key]
        return found

    def recall(self, kind: str, name: str, key: str, current: Callable[[str], str]) -> Any:
        """The value of the traced entry ``name`` when it was made under ``key`` and everything it read
        still has the value it had (``current(read)``); else None."""
        trace = self.entries(kind).get(name)
        if not isinstance(trace, tuple) or len(trace) != 3 or trace[0] != key:
            return None
        if not all(current(read) == value for read, value in trace[1].items()):
            return None
        self.used[kind][name] = trace
        return trace[2]

    def remember(self, kind: str, name: str, key: str, reads: dict[str, str], value: Any) -> None:
        trace: Trace = (key, reads, value)
        self.put(kind, name, trace)

    def save(self) -> None:
        """Hand the store what this build used, kind by kind, where it differs from what it had.

        Compiled templates are kept whether used or not: a build that renders one op-ed's page loads one
        template, and the next, after a template edit, would compile all the others again. There is one
        entry a template, its source checked when it is loaded, so they do not pile up."""
        for kind, known in self.known.items():
            used = self.used[kind] if kind != TEMPLATES else known | self.used[kind]
            changed = self.made[kind] | (known.keys() - used.keys())
            if changed:
                self.store.save(kind, used, changed)
            self.known[kind] = used
            self.used[kind], self.made[kind] = {}, set()

    def discard(self) -> None:
        """Forget what this build used and made: it failed, and its outputs were never shown."""
        for kind in self.known:
            self.used[kind], self.made[kind] = {}, set()

    def templates(self) -> jinja2.BytecodeCache:
        """Compiled templates as memo entries (compiling them is a tenth of a rebuild after one edit)."""
        return MemoBytecodeCache(self)


class Handed(Protocol):
    """An output handed to a sink (write.Written): its path, and the token by which the sink knows it."""

    @property
    def path(self) -> str: ...
    @property
    def token(self) -> object: ...


class Holder(Protocol):
    """Where outputs go (write.Staging, write.MemorySink), as far as tracing them goes."""

    def receive(self, written: Any) -> None: ...
    def holds(self, path: str, token: object) -> bool: ...


@dataclass
class TracedOutputs:
    """A sink's outputs as traced entries of kind ``records``: an output stands while its key and what it
    read are as they were, and the sink still holds it as it was made (its token)."""

    memo: Memo
    sink: Holder
    records: str
    current: Callable[[str], str]  # a read's value now
    made: list[str] = field(default_factory=list)

    def stand(self, path: str, key: str) -> bool:
        token = self.memo.recall(self.records, path, key, self.current)
        return token is not None and self.sink.holds(path, token)

    def all_stand(self, paths: Iterable[str], key: str) -> bool:
        return all([self.stand(path, key) for path in paths])  # each one recalled, so kept in the memo

    def keep(self, written: Handed, key: str, reads: frozenset[str] = frozenset()) -> None:
        self.sink.receive(written)
        read = {name: self.current(name) for name in sorted(reads)}
        self.memo.remember(self.records, written.path, key, read, written.token)
        self.made.append(written.path)

    def leave(self, chosen: Callable[[str], bool]) -> list[str]:
        """The chosen outputs of the last build, left as they are: their records are kept as they were."""
        left = [path for path in self.memo.entries(self.records) if chosen(path)]
        for path in left:
            self.memo.lookup(self.records, path)
        return left


class MemoBytecodeCache(jinja2.BytecodeCache):
    """Jinja's bytecode cache over a Memo. Jinja names the entry by the template and compares its
    source's checksum, so an edited template is compiled again."""

    def __init__(self, memo: Memo) -> None:
        self.memo = memo

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.memo.lookup(TEMPLATES, bucket.key)
        if isinstance(code, bytes):
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.memo.put(TEMPLATES, bucket.key, bucket.bytecode_to_string())
