"""Run a composite ``action.yml`` the way the GitHub Actions runner does, locally.

Only what a composite action needs, done as the runner does it:

- ``${{ }}`` expressions and ``if:`` conditions: literals, context properties
  (``inputs``, ``steps.<id>.outputs``/``outcome``/``conclusion``, ``runner``,
  ``github``, ``env``), ``!``, ``==``, ``!=``, ``&&``, ``||``, parentheses,
  and the status functions ``always()``, ``success()``, ``failure()``,
  ``cancelled()``. Comparison is case-insensitive for strings, ``&&``/``||``
  return an operand, and a step without ``if:`` means ``success()``.
- ``run:`` steps go through their shell's template (``bash --noprofile
  --norc -eo pipefail {0}`` for ``shell: bash``) with the runner's variables
  and fresh file-command files per step (``GITHUB_OUTPUT``, ``GITHUB_ENV``,
  ``GITHUB_PATH``, ``GITHUB_STATE``, ``GITHUB_STEP_SUMMARY``); ``key=value``
  and heredoc ``key<<DELIM`` forms are both read back.
- Workflow commands on stdout (``::error``, ``::warning``, ``::notice``,
  ``::add-mask::``, ``::stop-commands::``, ``::group::``) become annotations,
  masks and log lines, unescaped as the runner does.
- ``uses:`` steps are the only emulated part: actions/setup-python answers
  with a given interpreter; actions/cache restore/save copy directories into
  and out of a :class:`CacheStore` and warn as actions/cache does when the
  path to save does not exist.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ActionRun",
    "Annotation",
    "CacheStore",
    "ExpressionError",
    "StepResult",
    "condition",
    "evaluate",
    "interpolate",
    "read_file_command",
    "run_action",
]

SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python", "{0}"],
}


class ExpressionError(Exception):
    """An expression this emulator (or the runner) cannot evaluate."""


# -- expressions ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||<=|>=|[!<>().\[\],])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise ExpressionError(f"cannot parse {text!r} at {pos}")
        kind = found.lastgroup
        assert kind is not None
        out.append((kind, found.group(kind)))
        pos = found.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _coerce_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return float("nan")
    return float("nan")


def _equal(a: Any, b: Any) -> bool:
    # The runner compares strings case-insensitively and other mixes as numbers.
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and not isinstance(a, (int, float)):
        return bool(a == b)
    return _coerce_number(a) == _coerce_number(b)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        token = self.take()
        kind, text = token
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if token == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            self.take("(")
            self.take(")")
            if text not in self.status:
                raise ExpressionError(f"function {text}() is not emulated")
            return self.status[text]
        if text not in self.context:
            raise ExpressionError(f"unknown context {text!r}")
        value = self.context[text]
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            value = value.get(key) if isinstance(value, Mapping) else None
        return value


def evaluate(
    text: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None
) -> Any:
    """The value of one expression (without the ``${{ }}``)."""
    return _Parser(text, context, status or {}).parse()


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def interpolate(text: str, context: Mapping[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by its value as a string."""
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: _as_string(evaluate(m.group(1), context)), str(text)
    )


def condition(text: str | bool | None, context: Mapping[str, Any], failed: bool) -> bool:
    """Whether a step with ``if: text`` runs, ``failed`` saying whether an earlier step failed."""
    status = {"always": True, "success": not failed, "failure": failed, "cancelled": False}
    if text is None:
        return not failed
    if isinstance(text, bool):
        return text and not failed
    raw = text.strip()
    if raw.startswith("${{") and raw.endswith("}}"):
        raw = raw[3:-2]
    # As the runner does: a condition naming no status function means success() && (...).
    value = _truthy(evaluate(raw, context, status))
    if not re.search(r"\b(always|success|failure|cancelled)\s*\(", raw):
        return value and not failed
    return value


# -- file and workflow commands ------------------------------------------------------------


def read_file_command(path: Path) -> dict[str, str]:
    """The values a step wrote to a file command (``GITHUB_OUTPUT``, ``GITHUB_ENV``...)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ExpressionError(f"unterminated heredoc {delimiter!r} in {path.name}")
            i += 1
            values[name] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


@dataclass
class Annotation:
    """One ``::error``/``::warning``/``::notice`` the runner would show."""

    level: str
    message: str
    properties: dict[str, str]
    step: str


_COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")


# -- the cache ----------------------------------------------------------------------------


@dataclass
class CacheStore:
    """What actions/cache would keep between runs: key -> a saved copy of the path."""

    root: Path
    saved: dict[str, Path] = field(default_factory=dict)
    restored: list[tuple[str, str]] = field(default_factory=list)
    """(key asked for, key found or "") for every restore."""

    def put(self, key: str, source: Path) -> bool:
        if key in self.saved:
            return False
        target = self.root / uuid.uuid4().hex
        shutil.copytree(source, target, symlinks=True)
        self.saved[key] = target
        return True

    def get(self, key: str, prefixes: list[str]) -> str | None:
        if key in self.saved:
            return key
        for prefix in prefixes:
            matches = [k for k in self.saved if k.startswith(prefix)]
            if matches:
                return matches[-1]
        return None


# -- running ------------------------------------------------------------------------------


@dataclass
class StepResult:
    """One step as the runner ran (or skipped) it."""

    name: str
    id: str
    outcome: str
    """success, failure or skipped."""
    outputs: dict[str, str]
    log: str
    seconds: float


@dataclass
class ActionRun:
    """The whole action run: its steps, outputs, annotations, summary and log."""

    steps: list[StepResult]
    outputs: dict[str, str]
    annotations: list[Annotation]
    summary: str
    log: str
    failed: bool
    masks: list[str]

    def step(self, name: str) -> StepResult:
        """The step called ``name``."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def messages(self, level: str) -> list[str]:
        """The messages of the annotations of ``level``."""
        return [a.message for a in self.annotations if a.level == level]


def _uses_step(
    uses: str, with_: dict[str, str], cache: CacheStore, python: str, log: list[str]
) -> tuple[dict[str, str], list[Annotation], bool]:
    """Emulate a ``uses:`` step; returns outputs, annotations and whether it succeeded."""
    name = uses.split("@", 1)[0]
    if name == "actions/setup-python":
        version = ".".join(map(str, sys.version_info[:3]))
        log.append(f"Successfully set up CPython ({version})")
        return {"python-path": python, "python-version": version}, [], True
    if name == "actions/cache/restore":
        path = Path(with_["path"])
        prefixes = [line.strip() for line in with_.get("restore-keys", "").splitlines() if line]
        found = cache.get(with_["key"], prefixes)
        cache.restored.append((with_["key"], found or ""))
        if found is None:
            log.append(f"Cache not found for input keys: {with_['key']}")
            return {}, [], True
        if path.exists():
            shutil.rmtree(path)
        shutil.copytree(cache.saved[found], path, symlinks=True)
        log.append(f"Cache restored from key: {found}")
        hit = "true" if found == with_["key"] else "false"
        outputs = {"cache-hit": hit, "cache-primary-key": with_["key"], "cache-matched-key": found}
        return outputs, [], True
    if name == "actions/cache/save":
        path = Path(with_["path"])
        if not path.exists():
            message = (
                "Path Validation Error: Path(s) specified in the action for caching do(es) "
                "not exist, hence no cache is being saved."
            )
            return {}, [Annotation("warning", message, {}, uses)], True
        if not cache.put(with_["key"], path):
            message = f"Failed to save: Unable to reserve cache with key {with_['key']}"
            return {}, [Annotation("warning", message, {}, uses)], True
        log.append(f"Cache saved with key: {with_['key']}")
        return {}, [], True
    raise ExpressionError(f"no emulation for uses: {uses}")


def _parse_log(text: str, step: str, masks: list[str]) -> tuple[list[str], list[Annotation]]:
    lines: list[str] = []
    annotations: list[Annotation] = []
    stopped: str | None = None
    for line in text.splitlines():
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            else:
                lines.append(line)
            continue
        found = _COMMAND.match(line)
        if not found:
            lines.append(line)
            continue
        command, props_text, data = found.group(1), found.group(2) or "", found.group(3)
        if command == "stop-commands":
            stopped = data
            continue
        if command == "add-mask":
            masks.append(_unescape_data(data))
            continue
        if command in ("error", "warning", "notice"):
            props = {}
            for pair in filter(None, props_text.split(",")):
                key, _, value = pair.partition("=")
                props[key] = _unescape_property(value)
            annotations.append(Annotation(command, _unescape_data(data), props, step))
        lines.append(line)
    return lines, annotations


def run_action(
    action_dir: Path,
    *,
    inputs: Mapping[str, str],
    workspace: Path,
    temp: Path,
    cache: CacheStore,
    python: str,
    event_name: str,
    event: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    github: Mapping[str, Any] | None = None,
    timeout: float = 300,
) -> ActionRun:
    """Run ``action_dir/action.yml`` with ``inputs`` in ``workspace`` for one event.

    ``env`` is the job's environment (the runner's own variables are added);
    ``github`` overrides fields of the ``github`` context (``repository``,
    ``sha``, ``ref``, ``token``...).
    """
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    temp.mkdir(parents=True, exist_ok=True)
    event_path = temp / "_event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    gh: dict[str, Any] = {
        "action_path": str(action_dir),
        "action_ref": "v1",
        "workspace": str(workspace),
        "event_name": event_name,
        "event_path": str(event_path),
        "event": dict(event),
        "repository": "octo/widgets",
        "repository_owner": "octo",
        "run_id": "4242",
        "run_attempt": "1",
        "sha": "0" * 40,
        "ref": "refs/heads/main",
        "token": "ghs_job_token",
        "server_url": "https://github.com",
        "api_url": "https://api.github.com",
        "workflow": "specs",
        "job": "specs",
        **(github or {}),
    }
    runner = {"os": "Linux", "arch": "X64", "temp": str(temp), "name": "emulated"}
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(temp)),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(action_dir),
        "GITHUB_ACTION_REF": str(gh["action_ref"]),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": str(gh["repository"]),
        "GITHUB_REPOSITORY_OWNER": str(gh["repository_owner"]),
        "GITHUB_RUN_ID": str(gh["run_id"]),
        "GITHUB_RUN_ATTEMPT": str(gh["run_attempt"]),
        "GITHUB_SHA": str(gh["sha"]),
        "GITHUB_REF": str(gh["ref"]),
        "GITHUB_REF_NAME": str(gh["ref"]).rsplit("/", 1)[-1],
        "GITHUB_SERVER_URL": str(gh["server_url"]),
        "GITHUB_API_URL": str(gh["api_url"]),
        "GITHUB_WORKFLOW": str(gh["workflow"]),
        "GITHUB_JOB": str(gh["job"]),
        "RUNNER_OS": runner["os"],
        "RUNNER_ARCH": runner["arch"],
        "RUNNER_TEMP": str(temp),
        **(env or {}),
    }
    for name in ("LC_ALL", "LANG"):
        if name in os.environ:
            base_env.setdefault(name, os.environ[name])
    context: dict[str, Any] = {
        "github": gh,
        "runner": runner,
        "env": dict(env or {}),
        "steps": {},
        "inputs": {},
    }
    values: dict[str, str] = {}
    for name, spec in (action.get("inputs") or {}).items():
        if name in inputs:
            values[name] = inputs[name]
        else:
            values[name] = interpolate(str(spec.get("default", "")), context)
    unknown = set(inputs) - set(values)
    if unknown:
        raise ExpressionError(f"unknown inputs {sorted(unknown)}")
    context["inputs"] = values

    results: list[StepResult] = []
    annotations: list[Annotation] = []
    masks: list[str] = []
    summaries: list[str] = []
    log: list[str] = []
    extra_env: dict[str, str] = {}
    extra_path: list[str] = []
    failed = False
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index}"
        step_id = step.get("id") or f"__{index}"
        if not condition(step.get("if"), context, failed):
            results.append(StepResult(name, step_id, "skipped", {}, "", 0.0))
            context["steps"][step_id] = {"outputs": {}, "outcome": "skipped",
                                         "conclusion": "skipped"}  # fmt: skip
            continue
        started = time.monotonic()
        step_log: list[str] = [f"##[group]Run {name}"]
        if "uses" in step:
            with_ = {k: interpolate(str(v), context) for k, v in (step.get("with") or {}).items()}
            outputs, found, ok = _uses_step(step["uses"], with_, cache, python, step_log)
            for item in found:
                item.step = name
            annotations.extend(found)
        else:
            files = {kind: temp / f"_{kind}_{uuid.uuid4().hex}" for kind in
                     ("output", "env", "path", "state", "summary")}  # fmt: skip
            for path in files.values():
                path.touch()
            step_env = {**base_env, **extra_env}
            step_env.update({k: interpolate(str(v), context) for k, v in
                             (step.get("env") or {}).items()})  # fmt: skip
            step_env.update(
                GITHUB_OUTPUT=str(files["output"]),
                GITHUB_ENV=str(files["env"]),
                GITHUB_PATH=str(files["path"]),
                GITHUB_STATE=str(files["state"]),
                GITHUB_STEP_SUMMARY=str(files["summary"]),
                GITHUB_ACTION=step_id,
            )
            if extra_path:
                step_env["PATH"] = os.pathsep.join([*reversed(extra_path), step_env["PATH"]])
            if "${{" in step["run"]:
                # The runner would interpolate it; this project never does that (injection).
                raise ExpressionError(f"{name}: ${{{{ }}}} inside run:")
            script = temp / f"_step_{uuid.uuid4().hex}.sh"
            script.write_text(step["run"], encoding="utf-8")
            shell = SHELLS[step.get("shell", "bash")]
            command = [part.replace("{0}", str(script)) for part in shell]
            cwd = workspace
            if step.get("working-directory"):
                cwd = workspace / interpolate(step["working-directory"], context)
            proc = subprocess.run(
                command,
                cwd=cwd,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            lines, found = _parse_log(proc.stdout, name, masks)
            annotations.extend(found)
            step_log += lines + proc.stderr.splitlines()
            ok = proc.returncode == 0
            if not ok:
                step_log.append(f"##[error]Process completed with exit code {proc.returncode}.")
            outputs = read_file_command(files["output"])
            extra_env.update(read_file_command(files["env"]))
            extra_path += [p for p in files["path"].read_text().splitlines() if p]
            summary = files["summary"].read_text(encoding="utf-8")
            if summary:
                summaries.append(summary)
        outcome = "success" if ok else "failure"
        if not ok and not step.get("continue-on-error"):
            failed = True
        elapsed = time.monotonic() - started
        text = "\n".join(step_log)
        for secret in masks:
            if secret:
                text = text.replace(secret, "***")
        log.append(text)
        results.append(StepResult(name, step_id, outcome, outputs, text, elapsed))
        context["steps"][step_id] = {"outputs": outputs, "outcome": outcome,
                                     "conclusion": outcome}  # fmt: skip
    action_outputs = {
        name: interpolate(str(spec.get("value", "")), context)
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(
        steps=results,
        outputs=action_outputs,
        annotations=annotations,
        summary="\n".join(summaries),
        log="\n".join(log),
        failed=failed,
        masks=masks,
    )
