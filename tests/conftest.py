"""A tiny site written into tmp_path from inline files, built with the project's own templates."""

from __future__ import annotations

import io
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent

# In CI the property-based tests try the same examples on every run, so that a run passes or fails on the
# code alone; wherever else the tests run, each run tries new examples (and keeps any that fail).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SITE_YAML = """\
title: Councils First
tagline: A platform for local government
description: What councils need to serve their communities.
language: en-GB
base_url: https://example.org/platform/
imprint:
  promoter: Jo Bloggs
  address: 1 High Street, Anytown AB1 2CD
calls_to_action:
  - label: Join us
    url: https://example.org/join
nav:
  - label: About
    url: /about/
  - label: The platform
    url: /manifesto/
contact: editors@councils-first.org.uk
"""

CHAPTER = """\
---
title: Fair funding
order: 1
summary: Councils need money that matches what they are asked to do.
proposals:
  - text: Fund councils for the services the law requires of them.
    source: "first-op-ed#councils-are-the-last-line-of"
---

Councils have lost much of their funding. This chapter says what should change.
"""

SECOND_CHAPTER = """\
---
title: Local power
order: 2
summary: Decisions belong close to the people they affect.
---

Power should sit where the knowledge is.
"""

FIRST_ARTICLE = """\
---
title: "Councils are the last line of defence"
author: Ann Example
bio: Ann Example is a councillor in Anytown.
social: ["@annexample"]
date: 2020-01-24
chapter: fair-funding
chapters: [local-power]
summary: Councils are the last line of defence for many people.
---

Councils are the last line of defence for people in need, and that line is thinning.

## What has changed

It's been a decade of cuts to the “core” grant.[^1] See [the second op-ed](second-op-ed.md#a-second-voice-joins-the-argument).

[^1]: A footnote with a source.
"""

SECOND_ARTICLE = """\
---
title: A second voice
author: Ben Sample
chapter: fair-funding
summary: A second op-ed in the same chapter.
---

A second voice joins the argument for fair funding.
"""

ABOUT_PAGE = """\
---
title: About this platform
summary: Who we are.
---

We are councillors and residents.
"""


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def sample_files() -> dict[str, str]:
    return {
        "site.yaml": SITE_YAML,
        "content/chapters/fair-funding.md": CHAPTER,
        "content/chapters/local-power.md": SECOND_CHAPTER,
        "content/articles/first-op-ed.md": FIRST_ARTICLE,
        "content/articles/second-op-ed.md": SECOND_ARTICLE,
        "content/pages/about.md": ABOUT_PAGE,
        # A format of the campaign's own, published only once site.yaml lists it.
        "content/formats/easy-read.pdf": "%PDF-1.4 An Easy Read version\n",
    }


def run(root: Path, *args: str) -> int:
    """``python build.py --root ROOT ARGS…`` in this process: its exit status."""
    import build  # the command line, beside tests/

    return build.main(["--root", str(root), *args])


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path: two sites compared byte for byte."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Write the sample site (with ``changes`` applied; None deletes a file) and return its root."""

    def make(changes: dict[str, str | None] | None = None) -> Path:
        return write_sample_site(tmp_path / "project", changes)

    return make


def write_sample_site(root: Path, changes: dict[str, str | None] | None = None) -> Path:
    """The sample site in ``root`` with the project's templates (``changes`` applied; None deletes a file)."""
    shutil.copytree(REPO / "templates", root / "templates")
    files: dict[str, str | None] = {**sample_files(), **(changes or {})}
    write_files(root, {path: text for path, text in files.items() if text is not None})
    return root


def picture(image_format: str) -> bytes:
    """A small real picture in ``image_format`` ("PNG", "JPEG", ...), as the build checks pictures."""
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(data, image_format)
    return data.getvalue()
