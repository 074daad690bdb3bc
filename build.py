#!/usr/bin/env python3
"""The one command: python build.py [build|serve|check|new|import] — see README.md."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
from concurrent.futures import BrokenExecutor
from pathlib import Path

from manifesto.errors import BuildError, flatten, raise_if_any
from manifesto.load import SourceFile
from manifesto.model import Site
from manifesto.pipeline import build
from manifesto.render import RenderOptions
from manifesto.slugs import slugify
from manifesto.write import FOREIGN_FOLDER, PUBLISHING_FAILED

# The commands other than build import what only they need when they run, so a build starts sooner.
COMMANDS = ("build", "formats", "pdf", "serve", "check", "new", "import", "translations")
# Commands that build the site; "pdf" is the older name of "formats".
BUILD_COMMANDS = ("build", "formats", "pdf")


def base_path_arg(text: str) -> str:
    """'/repo', 'repo/' and '/' are all accepted; '' means the site is served from the root."""
    cleaned = "/" + text.strip().strip("/")
    if cleaned == "/":
        return ""
    if any(part in {"", ".", ".."} for part in cleaned[1:].split("/")) or any(
        c in cleaned for c in ' "<>?#\\'
    ):
        raise argparse.ArgumentTypeError(f"not a usable base path: {text!r} (for example /my-platform)")
    return cleaned


def base_url_arg(text: str) -> str:
    if not text.startswith(("https://", "http://")) or any(c in text for c in ' "<>'):
        raise argparse.ArgumentTypeError(
            f"not an absolute address: {text!r} (for example https://example.org/)"
        )
    return text.rstrip("/")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python build.py", description="Build and preview a policy-platform site."
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="the project folder (default: here)")
    commands = parser.add_subparsers(dest="command")
    build_cmd = commands.add_parser("build", help="write the site to _site/ (the default command)")
    build_cmd.add_argument(
        "--out", type=Path, default=None, help="output folder (default: _site in the project)"
    )
    build_cmd.add_argument(
        "--base-path", type=base_path_arg, default="", help="serve under a sub-path, e.g. /repo"
    )
    build_cmd.add_argument("--drafts", action="store_true", help="include drafts, marked as drafts")
    build_cmd.add_argument(
        "--base-url", type=base_url_arg, default=None, help="override site.yaml's base_url"
    )
    build_cmd.add_argument(
        "--no-cache", action="store_true", help="ignore and do not update the build cache in .cache/"
    )
    build_cmd.add_argument(
        "--publish",
        action="store_true",
        help="for the published site: a placeholder left in site.yaml is an error, not a warning",
    )
    build_cmd.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)  # for bench/build.py
    commands.add_parser(
        "formats",
        parents=[build_cmd],
        add_help=False,
        help="build the site with every format of the platform: PDF, large-print PDF, EPUB, plain text "
        "(needs Chromium)",
    )
    commands.add_parser("pdf", parents=[build_cmd], add_help=False, help="the same as formats")
    serve_cmd = commands.add_parser("serve", help="preview the site with live reload (drafts shown)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    check_cmd = commands.add_parser("check", help="check everything a build would, writing nothing")
    check_cmd.add_argument("--base-path", type=base_path_arg, default="", help="check links under a sub-path")
    check_cmd.add_argument(
        "--base-url", type=base_url_arg, default=None, help="override site.yaml's base_url"
    )
    check_cmd.add_argument(
        "--publish",
        action="store_true",
        help="check as for publishing: a placeholder left in site.yaml is an error, not a warning",
    )
    import_cmd = commands.add_parser(
        "import", help="turn raw op-ed text or a saved web page into content/articles/*.md"
    )
    import_cmd.add_argument(
        "files", nargs="+", help="raw text files or saved web pages (.html); - reads standard input"
    )
    import_cmd.add_argument("--chapter", default=None, help="the chapter slug to file the op-eds under")
    import_cmd.add_argument("--force", action="store_true", help="overwrite existing articles")
    new_cmd = commands.add_parser(
        "new", help="start a new op-ed or chapter from a commented template, or a translation of a file"
    )
    new_cmd.add_argument("kind", choices=["article", "chapter", "translation"])
    new_cmd.add_argument("title", help="the title; for a translation, the file to translate")
    new_cmd.add_argument("--chapter", default=None, help="the op-ed's chapter slug (for new article)")
    new_cmd.add_argument("--language", default=None, help="the translation's language code, e.g. cy")
    translations_cmd = commands.add_parser(
        "translations", help="list the pages not translated, and translations whose source has changed"
    )
    translations_cmd.add_argument(
        "--mark",
        nargs="+",
        type=Path,
        default=None,
        metavar="FILE",
        help="record that these translations are up to date with their sources as they are now",
    )
    return parser


def failure_summary(command: str, problems: list[BuildError]) -> str:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    if command not in BUILD_COMMANDS:
        return f"\n{command.capitalize()} failed: {count}."
    if any(problem.problem.startswith(PUBLISHING_FAILED) for problem in problems):
        return f"\nBuild failed: {count}."
    if any(problem.problem.startswith(FOREIGN_FOLDER) for problem in problems):
        return f"\nBuild failed: {count}. Nothing in that folder was changed."
    return f"\nBuild failed: {count}. The previous site was left as it was."


def source_date() -> datetime.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC) if epoch.isdigit() else None


def print_warnings(site: Site, more: list[BuildError] | None = None) -> None:
    """What an editor should know (``Site.warnings``, and ``more`` from check) and what must be filled in
    before the site is published (``Site.unfinished``): shown, but not a failure (see --publish)."""
    for warning in (*site.warnings, *(more or ()), *site.unfinished):
        print(warning.text("warning"), file=sys.stderr)
    if site.unfinished:
        one = len(site.unfinished) == 1
        which, on = ("it", "it") if one else (f"these {len(site.unfinished)}", "them")
        print(f"Fill {which} in before publishing: the publishing workflow stops on {on}.\n", file=sys.stderr)


def run_build(args: argparse.Namespace) -> int:
    root = args.root
    out = args.out if args.out is not None else root / "_site"
    options = RenderOptions(
        base_path=args.base_path,
        drafts=args.drafts,
        updated=source_date(),
        base_url=args.base_url,
        publish=args.publish,
        formats=args.command in ("formats", "pdf"),
    )
    timings: dict[str, float] | None = {} if args.timings else None
    started = time.perf_counter()
    result = build(root, out, options, use_cache=not args.no_cache, timings=timings)
    if timings is not None:
        timings["total in build()"] = time.perf_counter() - started
        print(json.dumps({name: round(seconds, 4) for name, seconds in timings.items()}), file=sys.stderr)
    print_warnings(result.site)
    print(
        f"Built {len(result.outputs)} files into {out} "
        f"({len(result.site.chapters)} chapters, {len(result.site.articles)} op-eds; "
        f"{len(result.outputs) - len(result.made)} files unchanged since the last build)."
    )
    return 0


def run_check(args: argparse.Namespace) -> int:
    from manifesto.check import check_site

    started = time.perf_counter()
    options = RenderOptions(
        base_path=args.base_path, updated=source_date(), base_url=args.base_url, publish=args.publish
    )
    checked = check_site(args.root, options)
    raise_if_any(checked.problems)
    print_warnings(checked.site, checked.warnings)
    print(f"No problems found ({time.perf_counter() - started:.2f} s).")
    return 0


def known_chapters(root: Path) -> list[str]:
    return sorted(path.stem for path in (root / "content/chapters").glob("*.md"))


def require_chapter(root: Path, chapter: str | None) -> None:
    known = known_chapters(root)
    if chapter is not None and chapter not in known:
        listing = ", ".join(known) or 'none yet: create one with  python build.py new chapter "Title"'
        raise BuildError("--chapter", None, f"unknown chapter '{chapter}'", f"known chapters: {listing}")


def run_import(args: argparse.Namespace) -> int:
    from manifesto.importer import format_report, import_files

    require_chapter(args.root, args.chapter)
    reports = import_files(
        args.files,
        args.root / "content/articles",
        chapter=args.chapter,
        force=args.force,
        read_stdin=sys.stdin.buffer.read,
    )
    for report in reports:
        print(format_report(report))
    print(
        f"Imported {len(reports)} op-ed{'s' if len(reports) != 1 else ''}. Check the notes above, then preview."
    )
    return 0


def site_languages(root: Path) -> tuple[list[str], dict[Path, SourceFile]]:
    """The site's languages (the default first) and its content files by path; an error for a site
    in one language."""
    from manifesto.load import load_sources
    from manifesto.parse import parse_config

    sources = load_sources(root)
    languages = [version.code for version in parse_config(sources.config).languages]
    if len(languages) < 2:
        raise BuildError(
            "site.yaml",
            None,
            "the site has one language",
            "list its languages under  languages:  (README: The site in more than one language)",
        )
    return languages, {source.path: source for source in sources.files}


def shown_file(root: Path, given: Path) -> Path:
    """A file named on the command line, as the build names it: relative to the project folder."""
    for candidate in (given, Path.cwd() / given):
        if candidate.is_absolute() and candidate.resolve().is_relative_to(root.resolve()):
            return candidate.resolve().relative_to(root.resolve())
    return given


def run_translations(args: argparse.Namespace) -> int:
    from manifesto.render import name_of_language
    from manifesto.translations import (
        language_reports,
        report_text,
        source_record,
        translation_name,
        with_record,
    )

    languages, files = site_languages(args.root)
    if args.mark is None:
        reports = language_reports(list(files.values()), languages)
        print(report_text(reports, lambda code: name_of_language(code, languages[0])))
        return 0
    problems = []
    for given in args.mark:
        path = shown_file(args.root, given)
        name = translation_name(path, tuple(languages)) if path in files else None
        source = files.get(name.source_path) if name is not None else None
        if source is None:
            problems.append(
                BuildError(
                    path,
                    None,
                    "this is not a translation of a file of the site",
                    "name a translation, e.g. content/articles/fair-funding.cy.md",
                )
            )
            continue
        (args.root / path).write_text(
            with_record(files[path].text, source_record(source.text)), encoding="utf-8"
        )
        print(f"Marked {path.as_posix()} as translated from {source.path.as_posix()} as it is now.")
    raise_if_any(problems)
    return 0


def run_new_translation(args: argparse.Namespace) -> int:
    from manifesto.importer import yaml_text
    from manifesto.render import name_of_language
    from manifesto.translations import new_translation_text

    languages, files = site_languages(args.root)
    language = args.language or (languages[1] if len(languages) == 2 else None)
    if language not in languages[1:]:
        raise BuildError(
            "--language",
            None,
            f"the site has no language {language!r} to translate into" if language else "which language?",
            f"give one of  --language {'  --language '.join(languages[1:])}",
        )
    path = shown_file(args.root, Path(args.title))
    if path not in files:
        raise BuildError(
            path,
            None,
            "no such content file to translate",
            "name a file in content/, e.g. content/articles/fair-funding.md",
        )
    target = path.with_name(f"{path.stem}.{language}.md")
    if (args.root / target).exists():
        raise BuildError(
            target,
            None,
            "this translation already exists",
            "edit it; python build.py translations says whether its source has changed",
        )
    text = new_translation_text(files[path], name_of_language(language, languages[0]), yaml_text)
    (args.root / target).write_text(text, encoding="utf-8")
    print(f"Created {target.as_posix()}: translate it, then run  python build.py serve")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from manifesto.importer import scaffold_article, scaffold_chapter

    if args.kind == "translation":
        return run_new_translation(args)

    slug = slugify(args.title, max_words=8)
    if not slug:
        raise BuildError(
            "title", None, f"cannot make a file name from {args.title!r}", "use letters a-z in the title"
        )
    if args.kind == "article":
        require_chapter(args.root, args.chapter)
        folder, text = "articles", scaffold_article(args.title, args.chapter or "")
    else:
        folder, text = "chapters", scaffold_chapter(args.title, len(known_chapters(args.root)) + 1)
    target = args.root / "content" / folder / f"{slug}.md"
    if target.exists():
        raise BuildError(
            target,
            None,
            "this file already exists",
            "choose another title, or edit the existing file; if you rename a file that is already "
            "published, list its old address under  aliases:  in it (README: Changing an address)",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"Created {target}: fill in the fields, then run  python build.py serve")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # "python build.py --out x" means "build --out x": the build is the default command.
    if not any(arg in COMMANDS for arg in argv) and not any(arg in {"-h", "--help"} for arg in argv):
        root_args = argv[:2] if argv[:1] == ["--root"] else []
        argv = root_args + ["build"] + argv[len(root_args) :]
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in BUILD_COMMANDS:
            return run_build(args)
        if args.command == "serve":
            from manifesto.serve import serve

            return serve(args.root, host=args.host, port=args.port)
        if args.command == "check":
            return run_check(args)
        if args.command == "import":
            return run_import(args)
        if args.command == "translations":
            return run_translations(args)
        return run_new(args)
    except (BuildError, ExceptionGroup) as error:
        problems = flatten(error)
        if problems is None:
            raise
        for problem in problems:
            print(problem, file=sys.stderr)
        print(failure_summary(args.command, problems), file=sys.stderr)
        return 1
    except BrokenExecutor:  # BrokenProcessPool; its module is imported only when a pool is used
        # Not a mistake in the user's files: a worker was killed (most often for lack of memory).
        print(
            "The build stopped: one of its worker processes was killed before it finished, most often\n"
            "because the machine ran out of memory. Nothing was changed: the last site built is still in\n"
            "place. Run the build again; if it happens every time, close other programs first.",
            file=sys.stderr,
        )
        return 1
    return 0


def exit_now(code: int) -> None:
    """End the process without tearing down its objects one by one (a twentieth of a rebuild after one
    edit): every file is written and closed by then, every worker gone; only the output streams wait."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
