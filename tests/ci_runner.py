"""Runs the shell steps of the CI recipes in docs/ci/ on this machine, in order, the way the CI systems would:
GitHub Actions `run:` steps under `bash -eo pipefail` with the workflow's and step's `env:` (expressions filled
in from a given context, `$GITHUB_ENV` honoured); GitLab `before_script:` + `script:` lines in one bash with
`set -eo pipefail`, variables expanded as GitLab expands them. `uses:` steps (actions) and the docker build are
what this machine cannot run; a test stands in for them (it pushes the built image itself)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

RECIPES = Path(__file__).resolve().parent.parent / "docs" / "ci"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepResult:
    name: str
    returncode: int
    output: str


@dataclass
class JobRun:
    steps: list[StepResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # `uses:` steps and steps whose `if:` is false

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode if self.steps else 0

    def output(self) -> str:
        return "\n".join(f"--- {s.name} (exit {s.returncode})\n{s.output}" for s in self.steps)


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((RECIPES / name).read_text())


# -- GitHub Actions ----------------------------------------------------------------------------------------------

def github_expression(expr: str, context: dict[str, Any]) -> Any:
    """The few expression forms the recipe uses: context properties, ==, !=, &&, ||, always()."""
    python = expr.replace("&&", " and ").replace("||", " or ").replace("always()", "True")

    def prop(match: re.Match[str]) -> str:
        path = match.group(0)
        if path not in context:
            raise KeyError(f"expression {expr!r} uses {path}, which the test's context does not give")
        return repr(context[path])

    python = re.sub(r"\b(?:github|secrets|env|steps)(?:\.[A-Za-z_][A-Za-z0-9_-]*)+", prop, python)
    # The recipe's own expressions, context values substituted as literals: nothing else reaches eval.
    return eval(python, {"__builtins__": {}}, {"True": True})


def _fill(value: Any, context: dict[str, Any]) -> str:
    return _EXPR.sub(lambda m: str(github_expression(m.group(1), context)), str(value))


def run_github_job(workflow: dict[str, Any], job: str, *, context: dict[str, Any], overrides: dict[str, str],
                   base_env: dict[str, str], workspace: Path) -> JobRun:
    """Run `job`'s `run:` steps in order until one fails. `overrides` replace workflow `env:` values (the
    registries and install source a user sets); each must already be declared there."""
    declared = workflow.get("env") or {}
    missing = set(overrides) - set(declared)
    assert not missing, f"the workflow declares no {sorted(missing)}"
    spec = workflow["jobs"][job]
    if "if" in spec:
        assert github_expression(spec["if"], context), f"job {job} would not run for this event"
    github_env = workspace / ".github_env"
    github_env.write_text("")
    env = {**base_env, "GITHUB_ENV": str(github_env), "GITHUB_WORKSPACE": str(workspace), "CI": "true"}
    env.update({k: _fill(v, context) for k, v in declared.items()})
    env.update(overrides)
    result = JobRun()
    for index, step in enumerate(spec["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index + 1}"
        if "uses" in step or ("if" in step and not github_expression(step["if"], context)):
            result.skipped.append(name)
            continue
        step_env = {**env, **{k: _fill(v, {**context, **{f"env.{n}": e for n, e in env.items()}})
                              for k, v in (step.get("env") or {}).items()}}
        script = _fill(step["run"], context)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                              env=step_env, capture_output=True, text=True, timeout=600)
        result.steps.append(StepResult(name, done.returncode, done.stdout + done.stderr))
        for line in github_env.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                env[key] = value
        if done.returncode != 0:
            break
    return result


# -- GitLab CI ---------------------------------------------------------------------------------------------------

def gitlab_jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every job (hidden templates resolved into those that extend them)."""
    keywords = {"stages", "variables", "default", "include", "workflow", "cache", "image", "services",
                "before_script", "after_script"}
    jobs = {}
    for name, spec in config.items():
        if name in keywords or name.startswith(".") or not isinstance(spec, dict):
            continue
        merged: dict[str, Any] = {}
        for parent in _extends(spec):
            merged.update(config[parent])
        merged.update({k: v for k, v in spec.items() if k != "extends"})
        jobs[name] = merged
    return jobs


def _extends(spec: dict[str, Any]) -> list[str]:
    parents = spec.get("extends") or []
    return [parents] if isinstance(parents, str) else list(parents)


def flatten(lines: Any) -> list[str]:
    """GitLab flattens nested script arrays (what YAML anchors of lists produce)."""
    out: list[str] = []
    for item in lines or []:
        out.extend(flatten(item) if isinstance(item, list) else [str(item)])
    return out


def gitlab_variables(config: dict[str, Any], predefined: dict[str, str], overrides: dict[str, str]
                     ) -> dict[str, str]:
    """Global variables, each expanded against the predefined ones and those before it, as GitLab does."""
    missing = set(overrides) - set(config.get("variables") or {})
    assert not missing, f"the pipeline declares no {sorted(missing)}"
    values = dict(predefined)
    for name, raw in (config.get("variables") or {}).items():
        value = overrides.get(name, raw)
        values[name] = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: values.get(m.group(1), ""),
                              str(value))
    return values


def run_gitlab_job(config: dict[str, Any], job: str, *, variables: dict[str, str], base_env: dict[str, str],
                   workspace: Path) -> JobRun:
    spec = gitlab_jobs(config)[job]
    script = ["set -eo pipefail", *flatten(spec.get("before_script")), *flatten(spec.get("script"))]
    env = {**base_env, **variables, "CI": "true"}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-c", "\n".join(script)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=900)
    return JobRun([StepResult(job, done.returncode, done.stdout + done.stderr)])


def shell_names(text: str) -> set[str]:
    """$NAME and ${NAME…} references in shell text."""
    return set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))


def assigned_names(text: str) -> set[str]:
    return set(re.findall(r"(?:^|[\s;(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", text)) | \
        set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):=", text))


def venv_env(venv: Path, home: Path) -> dict[str, str]:
    """A clean environment: the venv first on PATH, its own HOME (so its own ~/.docker), nothing of the test's."""
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "PIP_CONFIG_FILE")}
    return {**keep, "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
