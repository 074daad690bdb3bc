"""The whole build, top to bottom: load, parse, render, write."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .load import Sources, load_sources
from .model import Site
from .parse import BodyCache, parse_site
from .render import RenderOptions, make_env, render_site
from .write import check_output_folder, write_site


@dataclass(frozen=True)
class BuildResult:
    site: Site
    pages: dict[str, bytes]  # output path -> bytes, assets included


def render_all(root: Path, options: RenderOptions, *, body_cache: BodyCache | None = None) -> BuildResult:
    """Everything a build produces, in memory; raises BuildError for any mistake in the user's files."""
    sources: Sources = load_sources(root)
    site = parse_site(sources, drafts=options.drafts, base_path=options.base_path, body_cache=body_cache)
    if options.base_url:
        site = dataclasses.replace(site, config=dataclasses.replace(site.config, base_url=options.base_url))
    templates_dir = root / "templates"
    env = make_env(templates_dir, site, sources.assets, options)
    pages = render_site(site, env, templates_dir, root, options)
    pages |= {asset.url_path.lstrip("/"): asset.data for asset in sources.assets}
    return BuildResult(site, pages)


def build(root: Path, out: Path, options: RenderOptions) -> BuildResult:
    check_output_folder(out, root)
    result = render_all(root, options)
    write_site(result.pages, out)
    return result
