"""Site search: the /search/ page and a Pagefind index of the op-eds, chapters and plain pages, in memory.

Pagefind (PyPI ``pagefind[bin]``) indexes what the templates mark with ``data-pagefind-body``; its own
JavaScript runs the search in the reader's browser, so the site stays static. We talk to the Pagefind
binary's ``--service`` mode directly, one request at a time, instead of through its asyncio wrapper: the
wrapper polls for every reply with a 0.1 s sleep (seconds on a large site) and cannot be called from inside
a running event loop, as in the live preview. The index comes out byte-identical for identical pages, as
long as the templates use no Pagefind filters (``data-pagefind-filter``): Pagefind 1.5 writes filter values
in hash-map order, which changes from run to run. The chapter of a result is shown from its meta instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import BuildError
from .render import PageJob, RecordingEnvironment, render_page

SEARCH_PAGE = PageJob("search/index.html", "/search/", "search.html", {})
BUNDLE_FOLDER = "pagefind"
INDEXED_MARK = b"data-pagefind-body"
# Pagefind also writes ready-made search interfaces; we ship our own small script, so these stay out.
UNUSED_FILES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")


class PagefindError(RuntimeError):
    """The Pagefind binary refused a request: a bug on our side or Pagefind's, not in the user's files."""


def pagefind_binary() -> str:
    """The Pagefind executable that ``pagefind[bin]`` installs (or PAGEFIND_BINARY_PATH names)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        executable = None
    else:
        executable = get_executable()
    if executable is None:
        raise BuildError(
            "pagefind",
            None,
            "the search indexer (Pagefind) is not installed",
            "install the project's dependencies: pip install -e .  (it brings pagefind[bin])",
        )
    return str(executable)


@dataclass
class PagefindService:
    """One ``pagefind --service`` process: base64-encoded JSON messages, each ended by a comma."""

    process: subprocess.Popen[bytes]
    pending: bytes = b""
    last_id: int = 0

    def call(self, payload: dict[str, Any]) -> dict[str, Any]:
        stdin: IO[bytes] | None = self.process.stdin
        stdout: IO[bytes] | None = self.process.stdout
        assert stdin is not None and stdout is not None
        self.last_id += 1
        message = {"message_id": self.last_id, "payload": payload}
        # One request, then its reply: the pipes never fill up both ways at once.
        stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
        stdin.flush()
        while b"," not in self.pending:
            chunk = stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise PagefindError(f"Pagefind stopped while answering a {payload['type']} request")
            self.pending += chunk
        reply, _, self.pending = self.pending.partition(b",")
        answer: dict[str, Any] = json.loads(base64.b64decode(reply))["payload"]
        if answer.get("type") == "Error":
            raise PagefindError(f"Pagefind: {answer.get('message')}")
        return answer


def index_pages(documents: list[tuple[str, str]]) -> dict[str, bytes]:
    """Pagefind's bundle for ``documents`` (URL, HTML), as {path inside the bundle: bytes}."""
    binary = pagefind_binary()
    try:
        process = subprocess.Popen(
            [binary, "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError as error:
        raise BuildError(
            binary,
            None,
            f"cannot start the search indexer (Pagefind): {error.strerror}",
            "reinstall it with  pip install --force-reinstall 'pagefind[bin]'",
        ) from None
    with process:
        service = PagefindService(process)
        index_id = service.call({"type": "NewIndex", "config": None})["index_id"]
        for url, html in documents:
            service.call(
                {
                    "type": "AddFile",
                    "index_id": index_id,
                    "url": url,
                    "file_contents": html,
                    "file_path": None,
                }
            )
        files = service.call({"type": "GetFiles", "index_id": index_id})["files"]
        assert process.stdin is not None
        process.stdin.close()  # the service exits at the end of its input
    return {
        file["path"]: base64.b64decode(file["content"])
        for file in sorted(files, key=lambda file: file["path"])
        if not file["path"].startswith(UNUSED_FILES)
    }


def indexed_documents(pages: dict[str, bytes]) -> list[tuple[str, str]]:
    """(URL, HTML) of every page whose template marks a region as searchable, in path order."""
    # URLs without the base path: Pagefind's script prefixes the folder its bundle is served from.
    return [
        ("/" + path.removesuffix("index.html"), data.decode("utf-8"))
        for path, data in sorted(pages.items())
        if path.endswith(".html") and INDEXED_MARK in data
    ]


def documents_digest(documents: list[tuple[str, str]]) -> str:
    """Changes whenever anything Pagefind would index does, so an unchanged index can be kept."""
    digest = hashlib.sha256()
    for url, html in documents:
        digest.update(url.encode() + b"\0" + html.encode() + b"\0")
    return digest.hexdigest()


def search_page(env: RecordingEnvironment, templates_dir: Path, root: Path) -> dict[str, bytes]:
    return {SEARCH_PAGE.output_path: render_page(env, SEARCH_PAGE, templates_dir, root).data}


def index_files(documents: list[tuple[str, str]]) -> dict[str, bytes]:
    """The Pagefind bundle, at its place in the site."""
    return {f"{BUNDLE_FOLDER}/{path}": data for path, data in index_pages(documents).items()}


def search_files(
    env: RecordingEnvironment, pages: dict[str, bytes], templates_dir: Path, root: Path
) -> dict[str, bytes]:
    """The search page, and the index of every page whose template marks a region as searchable."""
    return index_files(indexed_documents(pages)) | search_page(env, templates_dir, root)
