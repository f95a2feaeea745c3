"""The offline pipeline over a large real code tree, side by side with its floors.

The tree is this interpreter's standard library (its Python files; ``test/``,
``site-packages`` and ``__pycache__`` left out), copied into a fresh git
repository. Printed:

1. ``generate`` (static provider) in-process via the pipeline API and as a
   whole ``specgen`` process, writing every spec and with every spec already
   up to date; files/second and the ratio to the
   floor, which is reading and parsing the same files with the same parser
   (``specgen_action.parsing.parse``).
2. ``specgen check`` over N spec'd files as a whole process (best of 5 after
   a warm-up), beside an empty interpreter start; ``--profile`` adds where its
   time goes (imports by package, the git subprocesses, hashing, cProfile).

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_static``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._common import machine, table
from specgen_action.chunking import DEFAULT_CHUNK_TOKENS
from specgen_action.config import DEFAULT_EXCLUDE, DEFAULT_INCLUDE
from specgen_action.engine.context import Limits, RunContext
from specgen_action.engine.pipeline import generate
from specgen_action.parsing import language_for, parse
from specgen_action.providers.static import StaticProvider
from specgen_action.report.model import RunReport
from specgen_action.select.selection import Filters, select_all
from specgen_action.source import DEFAULT_MAX_BYTES

__all__ = ["main"]

_CHECK_GOAL_S = 0.3
_FLOOR_GOAL = 3.0
_QUICK_FILES = 40
_SUBDIR = "stdlib"


def main(argv: Sequence[str] | None = None) -> int:
    """Build the trees, run every measurement, print the Markdown tables."""
    args = _arguments().parse_args(argv)
    if args.quick:
        args.files = args.files or _QUICK_FILES
        args.check_files = min(args.check_files, _QUICK_FILES)
        args.repeat = 1
        args.check_repeat = 1
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    with tempfile.TemporaryDirectory(prefix="specgen-bench-") as temp:
        work = Path(temp)
        as_is = _clean_env(work / "home")
        # Child processes keep their bytecode, as an installed tool does, under a private
        # prefix so nothing is written into the work tree (PYTHONDONTWRITEBYTECODE would
        # otherwise recompile the package on every start).
        env = {k: v for k, v in as_is.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        print(f"Machine: {machine()}\n")
        tree_files = _stdlib_files(stdlib, include_tests=False)[: args.files or None]
        root = _make_tree(work / "tree", stdlib, tree_files, env)
        print(_pipeline_section(root, stdlib, len(tree_files), args.repeat, env))
        print()
        check_files = _stdlib_files(stdlib, include_tests=True)[: args.check_files]
        check_root = _make_tree(work / "check", stdlib, check_files, env)
        print(_check_section(check_root, len(check_files), args.check_repeat, env, as_is))
        if args.profile:
            print()
            print(_profile_section(check_root, env))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help=f"{_QUICK_FILES} files, one run each (smoke test)"
    )
    parser.add_argument(
        "--files", type=int, default=0, help="use the first N stdlib files (0: all of them)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per generate row (best kept)")
    parser.add_argument(
        "--check-files", type=int, default=1000, help="spec'd files in the check tree"
    )
    parser.add_argument(
        "--check-repeat", type=int, default=5, help="timed check runs after one warm-up"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also break the check process time down"
    )
    return parser


# -- the trees --------------------------------------------------------------------------


def _stdlib_files(stdlib: Path, *, include_tests: bool) -> list[str]:
    """Repository-relative POSIX paths of the stdlib's ``.py`` files, sorted."""
    skip_top = {"site-packages", "__pycache__"} | (set() if include_tests else {"test"})
    found: list[str] = []
    for current, dirs, files in os.walk(stdlib):
        here = Path(current)
        top = here == stdlib
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not (top and d in skip_top))
        for name in files:
            if name.endswith(".py") and not (here / name).is_symlink():
                found.append((here / name).relative_to(stdlib).as_posix())
    return sorted(found)


def _make_tree(root: Path, stdlib: Path, files: Sequence[str], env: dict[str, str]) -> Path:
    # Under a subdirectory: stdlib copies at the top would shadow the real modules for
    # any interpreter started there with the working directory on sys.path.
    for rel in files:
        target = root / _SUBDIR / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stdlib / rel, target)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


# -- generate: pipeline vs floor --------------------------------------------------------


def _floor(root: Path, paths: Sequence[str]) -> tuple[float, float]:
    """(read + decode + parse, parse only) seconds for ``paths`` with the pipeline's parser."""
    start = time.perf_counter()
    texts = []
    for path in paths:
        text = (root / path).read_bytes().decode("utf-8-sig")
        texts.append((text, language_for(path)))
        parse(text, texts[-1][1])
    total = time.perf_counter() - start
    start = time.perf_counter()
    for text, language in texts:
        parse(text, language)
    return total, time.perf_counter() - start


def _run_pipeline(root: Path) -> tuple[float, RunReport]:
    start = time.perf_counter()
    selection = select_all(root, Filters(DEFAULT_INCLUDE, DEFAULT_EXCLUDE, "specs"))
    report = generate(
        root,
        selection,
        StaticProvider(),
        RunContext(
            out_dir=root / "specs",
            limits=Limits(),
            timeout_s=3600,
            cache_dir=None,
            max_bytes=DEFAULT_MAX_BYTES,
            chunk_tokens=DEFAULT_CHUNK_TOKENS,
            find_orphans=True,
        ),
    )
    return time.perf_counter() - start, report


def _run_process(root: Path, env: dict[str, str]) -> float:
    command = [*_specgen(), "generate", "--all", "--provider", "static", "--no-cache"]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.strip()}")
    return elapsed


def _generate_row(
    label: str, count: int, inner: float, outer: float | None, floor: float
) -> list[object]:
    return [
        label,
        count,
        _s(inner),
        _s(outer) if outer is not None else "",
        _rate(count, inner),
        _rate(count, outer) if outer is not None else "",
        f"{inner / floor:.2f}x",
        f"{outer / floor:.2f}x" if outer is not None else "",
    ]


# (label, remove the specs first); the static provider never uses the cache.
_SCENARIOS = (
    ("every spec written, no specs before", True),
    ("every spec up to date (no-op)", False),
)


def _pipeline_section(
    root: Path, stdlib: Path, count: int, repeat: int, env: dict[str, str]
) -> str:
    specs = root / "specs"
    # Warm-up: load the grammar, fill the page cache, and learn what the pipeline selects.
    _, report = _run_pipeline(root)
    selected = [f.path for f in report.files if f.status != "skipped"]
    skipped = report.totals.skipped
    shutil.rmtree(specs, ignore_errors=True)
    _run_process(root, env)  # and fills the child processes' bytecode cache
    _floor(root, selected)
    floors = [_floor(root, selected) for _ in range(repeat)]
    floor = min(f[0] for f in floors)
    parse_only = min(f[1] for f in floors)
    count_ok = len(selected)
    rows: list[list[object]] = [
        _generate_row("floor: read + parse (`parsing.parse`)", count_ok, floor, None, floor),
        _generate_row("floor: parse only", count_ok, parse_only, None, floor),
    ]
    full: tuple[float, float] = (0.0, 0.0)
    for label, clear_specs in _SCENARIOS:
        inner_runs, outer_runs = [], []
        for _ in range(repeat):
            if clear_specs:
                shutil.rmtree(specs, ignore_errors=True)
            inner_runs.append(_run_pipeline(root)[0])
        for _ in range(repeat):
            if clear_specs:
                shutil.rmtree(specs, ignore_errors=True)
            outer_runs.append(_run_process(root, env))
        inner, outer = min(inner_runs), min(outer_runs)
        if clear_specs:
            full = (inner, outer)
        rows.append(_generate_row(label, count_ok, inner, outer, floor))
    header = [
        "run",
        "files",
        "in-process s",
        "process s",
        "files/s in-process",
        "files/s process",
        "in-process / floor",
        "process / floor",
    ]
    verdict = "met" if full[0] / floor <= _FLOOR_GOAL else "MISSED"
    lines = [
        f"### Offline pipeline: `specgen generate --all --provider static` over the stdlib "
        f"({stdlib}, {count} `.py` files, `test/` and `site-packages` excluded)",
        "",
        table(header, rows),
        "",
        f"Best of {repeat} runs each, after one warm-up run. In-process = `select_all` + "
        "`pipeline.generate` in this interpreter; process = a whole `specgen` run "
        f"(`{' '.join(Path(p).name for p in _specgen())}`), imports and git included. "
        f"Skipped by the reader: {skipped}. Goal: full run within {_FLOOR_GOAL:g}x the "
        f"read + parse floor: {verdict} in-process ({full[0] / floor:.2f}x), process "
        f"{full[1] / floor:.2f}x.",
    ]
    return "\n".join(lines)


# -- check: a whole process ----------------------------------------------------------------


def _check_section(
    root: Path, count: int, repeat: int, env: dict[str, str], as_is: dict[str, str]
) -> str:
    _, report = _run_pipeline(root)
    check = [*_specgen(), "check", "--all"]
    bytecode = ", ".join(
        f"{name}={as_is.get(name, 'unset')}"
        for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    )
    references = [
        ("`python -c pass` (interpreter start)", [sys.executable, "-P", "-c", "pass"], env),
        ("`python -I -S -c pass` (no site)", [sys.executable, "-I", "-S", "-c", "pass"], env),
        ("`specgen --version` (console script, argparse)", [*_specgen(), "--version"], env),
        (f"`specgen check --all` ({count} spec'd files)", check, env),
        (f"the same, bytecode settings as inherited ({bytecode})", check, as_is),
    ]
    rows: list[list[object]] = []
    check_best = 0.0
    for label, command, child_env in references:
        code = _timed(command, root, child_env)[1]  # warm-up
        times = [_timed(command, root, child_env)[0] for _ in range(repeat)]
        best = min(times)
        rows.append([label, _s(best), _s(statistics.median(times)), code])
        if command is check and code != 0:
            raise SystemExit(f"specgen check exited {code} on freshly generated specs")
        if command is check and child_env is env:
            check_best = best
    verdict = "met" if check_best < _CHECK_GOAL_S else "MISSED"
    lines = [
        f"### `specgen check --all` as a whole process ({count} spec'd files)",
        "",
        table(["command", "best s", "median s", "exit"], rows),
        "",
        f"Best and median of {repeat} runs after one warm-up, bytecode cached (in a private "
        "`PYTHONPYCACHEPREFIX`) unless the row says otherwise. Specs written by the static "
        f"pipeline ({report.totals.written} written, {report.totals.skipped} skipped). "
        f"Goal: under {_CHECK_GOAL_S:g} s: {verdict} ({check_best:.3f} s).",
    ]
    return "\n".join(lines)


# -- check: where the time goes -----------------------------------------------------------------

_PHASES = r"""
import time
t = [("start", time.perf_counter())]
def mark(name):
    t.append((name, time.perf_counter()))
import specgen_action
mark("import specgen_action")
import pydantic
from pydantic import BaseModel
mark("import pydantic, pydantic.BaseModel")
import specgen_action.cli, specgen_action.config
mark("import specgen_action.cli + .config")
import specgen_action.select.selection
mark("import specgen_action.select.selection")
import specgen_action.specs.drift, specgen_action.specs.writer
mark("import specgen_action.specs.drift + .writer")
import specgen_action.report.console
mark("import specgen_action.report.console")
from pathlib import Path
from specgen_action.config import build_config, read_pyproject
from specgen_action.git import repo_root
from specgen_action.select.selection import Filters, select_all
root = repo_root(Path.cwd())
mark("git rev-parse (repo_root)")
config = build_config({}, {}, read_pyproject(root))
mark("build_config")
sel = select_all(root, Filters(tuple(config.include), tuple(config.exclude), "specs"))
mark("git ls-files + filters (select_all)")
from specgen_action.specs.writer import orphaned_sources
orphans = orphaned_sources(root, root / "specs")
mark("orphaned_sources (walk specs/)")
from specgen_action.specs.drift import check_specs
checks = check_specs(root, root / "specs", sel.paths, orphans, config.max_bytes)
mark("check_specs (read + sha256 sources, read spec heads)")
assert not any(c.drifted for c in checks), checks
for (_, a), (name, b) in zip(t, t[1:]):
    print(f"{name}\t{b - a:.4f}")
"""


def _profile_section(root: Path, env: dict[str, str]) -> str:
    # 1. Phases, each measured once in a fresh process (best of 3 processes).
    runs = []
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-P", "-c", _PHASES], cwd=root, env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(f"the phase timing process failed: {proc.stderr.strip()}")
        pairs = (line.split("\t") for line in proc.stdout.splitlines())
        runs.append([(name, float(value)) for name, value in pairs])
    best = min(runs, key=lambda run: sum(v for _, v in run))
    total = sum(v for _, v in best)
    phase_rows = [[name, _ms(value), f"{value / total:.0%}"] for name, value in best]
    phase_rows.append(["total (after interpreter start)", _ms(total), "100%"])

    # 2. Import time by top-level package, from -X importtime of a real check run.
    proc = subprocess.run(
        [sys.executable, "-P", "-X", "importtime", "-m", "specgen_action", "check", "--all"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    by_package: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)", line)
        if match:
            package = match[3].split(".")[0]
            by_package[package] = by_package.get(package, 0) + int(match[1])
    imports_total = sum(by_package.values())
    top = sorted(by_package.items(), key=lambda item: -item[1])[:12]
    import_rows = [[f"`{name}`", _ms(us / 1e6), f"{us / imports_total:.0%}"] for name, us in top]
    import_rows.append(["all imports (self time summed)", _ms(imports_total / 1e6), "100%"])

    # 3. cProfile of the check itself, in this process (imports already paid).
    profile_rows = _cprofile_check(root)
    lines = [
        "### Where `specgen check` spends its time",
        "",
        "Phases, measured in one fresh process (imports in the order `check` needs them; "
        "each import row is the increment over the rows above):",
        "",
        table(["phase", "ms", "share"], phase_rows),
        "",
        "Imports by top-level package (`python -X importtime -m specgen_action check --all`, "
        "self times summed; importtime inflates absolute numbers, read the shares):",
        "",
        table(["package", "ms", "share"], import_rows),
        "",
        "cProfile of `check_specs` + selection in process (imports already loaded), "
        "top functions by own time:",
        "",
        table(["function", "calls", "own ms", "cumulative ms"], profile_rows),
    ]
    return "\n".join(lines)


def _cprofile_check(root: Path) -> list[list[object]]:
    from specgen_action.specs.drift import check_specs
    from specgen_action.specs.writer import orphaned_sources

    def work() -> None:
        selection = select_all(root, Filters(DEFAULT_INCLUDE, DEFAULT_EXCLUDE, "specs"))
        orphans = orphaned_sources(root, root / "specs")
        check_specs(root, root / "specs", selection.paths, orphans, DEFAULT_MAX_BYTES)

    work()
    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:10]  # type: ignore[attr-defined]
    rows: list[list[object]] = []
    for (filename, line, name), (_, calls, own, cumulative, _) in entries:
        where = f"{Path(filename).name}:{line}" if line else filename
        rows.append([f"`{name}` ({where})", calls, _ms(own), _ms(cumulative)])
    return rows


# -- small helpers -------------------------------------------------------------------------


def _timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, proc.returncode


def _specgen() -> list[str]:
    script = Path(sys.executable).with_name("specgen")
    return [str(script)] if script.is_file() else [sys.executable, "-P", "-m", "specgen_action"]


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GITHUB_", "GEMINI_", "GOOGLE_", "SPECGEN_", "RUNNER_"))
        and name != "CI"
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )
    return env


def _s(seconds: float) -> str:
    return f"{seconds:.3f}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


if __name__ == "__main__":
    sys.exit(main())
