"""``specgen diff``: agreement with griffe on real releases, and speed on large pull requests.

1. **Agreement with griffe** (Python). Consecutive releases of real PyPI
   packages (wheels, downloaded with pip into ``benchmarks/.cache/``, which
   git ignores) are compared twice: by ``specgen diff`` (the old release
   committed in a fresh git repository, the new one in its work tree) and by
   griffe's ``find_breaking_changes``. Only the kinds both model count: an
   object removed; a parameter removed, moved, added as required, changed
   kind or made required. A symbol is the module it is defined in and its
   name there (griffe's canonical path); recall is the share of griffe's symbols
   ``specgen diff`` finds, precision the share of its own that griffe finds.
   Needs ``pip install griffe`` (the ``bench`` extra) and PyPI; ``--quick``
   compares two tiny hand-written releases instead, offline.
2. **Speed**: ``specgen diff --base HEAD`` as a whole process on a synthetic
   pull request changing N Python, Go, TypeScript, Rust and Java files
   (a parameter removed and one added in each), best of 3.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_api_diff``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import machine, table
from specgen_action.apidiff.command import ref_diff
from specgen_action.select.selection import Filters

__all__ = ["main"]

RELEASES = (
    ("httpx", "0.27.2", "0.28.0"),
    ("click", "7.1.2", "8.0.0"),
    ("jinja2", "3.0.3", "3.1.0"),
    ("packaging", "21.3", "22.0"),
    ("attrs", "22.2.0", "23.1.0"),
    ("requests", "2.31.0", "2.32.0"),
    ("markdown", "3.5.2", "3.6"),
    ("werkzeug", "2.2.3", "2.3.0"),
    ("urllib3", "1.26.18", "2.0.0"),
)
"""Package, old release, new release: each pair is consecutive minor or major releases.

Left out: flask 2.3.3 → 3.0.0, where griffe does not follow ``Flask``'s base class
into the namespace package ``flask/sansio`` (it has no ``__init__.py``) and so
reports each of the 150 members ``Flask`` now inherits as removed."""

_GRIFFE_KINDS = frozenset(
    {
        "Public object was removed",
        "Parameter was removed",
        "Positional parameter was moved",
        "Parameter was added as required",
        "Parameter kind was changed",
        "Parameter is now required",
    }
)
_OURS = re.compile(
    r"^(parameter `[^`]*` (removed|renamed to|moved from|made required|changed from))"
    r"|^required parameter `[^`]*` added"
)
_GOAL_S = {200: 2.0, 2_000: 10.0}
_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}

Symbol = tuple[str, str]
_MODULE = "<module>"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **_ENV}
    )


def _wheel(cache: Path, name: str, version: str) -> Path:
    """The release's wheel, downloaded once into ``cache/wheels``."""
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = [
        p
        for p in wheels.iterdir()
        if p.match(pattern) or p.name.lower().startswith(f"{name.lower()}-{version}-")
    ]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                str(wheels),
                f"{name}=={version}",
            ],
            check=True,
            capture_output=True,
        )
        found = [
            p for p in wheels.iterdir() if p.name.lower().startswith(f"{name.lower()}-{version}-")
        ]
    return found[0]


def _unpack(wheel: Path, into: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if ".dist-info/" not in member and member.endswith((".py", ".pyi")):
                archive.extract(member, into)


def ours(old: Path, new: Path, work: Path) -> set[Symbol]:
    """The symbols ``specgen diff`` finds broken in a kind griffe models too."""
    shutil.copytree(old, work)
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "old")
    for path in work.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(new, work, dirs_exist_ok=True)
    diff = ref_diff(work, "HEAD", [], Filters(include=("*.py", "*.pyi")), 10 * 1024 * 1024)
    # A deleted module is one removal, as griffe counts it, not one per symbol; and a
    # deleted package takes its modules with it.
    found = {
        (_module(change.path), _MODULE if change.reasons == ("file deleted",) else change.symbol)
        for change in diff.breaking
        if change.change == "removed" or any(_OURS.match(reason) for reason in change.reasons)
    }
    gone = {module for module, symbol in found if symbol == _MODULE}
    gone |= {
        _module(init.relative_to(old).as_posix())
        for init in old.rglob("__init__.py")
        if not (new / init.relative_to(old)).exists()
    }
    kept = set()
    for module, symbol in found:
        outer = [package for package in gone if module.startswith(package + ".")]
        kept.add((min(outer, key=len), _MODULE) if outer else (module, symbol))
    return kept


def griffes(old: Path, new: Path) -> set[Symbol]:
    """The symbols griffe's ``find_breaking_changes`` finds broken, in the modelled kinds,
    over every top-level package of the release."""
    import griffe

    found: set[Symbol] = set()
    packages = sorted(p.name for p in old.iterdir() if (p / "__init__.py").is_file())
    for package in packages:
        if not (new / package / "__init__.py").is_file():
            continue
        before = griffe.load(package, search_paths=[old], allow_inspection=False)
        after = griffe.load(package, search_paths=[new], allow_inspection=False)
        found |= _breakages(griffe.find_breaking_changes(before, after), old, new)
    return found


def _breakages(breakages: Iterable[Any], old: Path, new: Path) -> set[Symbol]:
    import griffe

    found: set[Symbol] = set()
    for breakage in breakages:
        if breakage.obj.name.startswith("__") and breakage.obj.parent.is_module:
            continue  # a module's dunders are metadata; specgen diff does not list them
        if breakage.kind.value not in _GRIFFE_KINDS:
            continue
        obj = breakage.obj
        try:
            target = obj.final_target if obj.is_alias else obj
        except griffe.AliasResolutionError:  # another distribution's object: its alias here
            target = obj.parent
            if target is None or target.filepath is None or isinstance(target.filepath, list):
                continue
            found.add((_module(_relative(target.filepath, old, new)), obj.name))
            continue
        if target.filepath is None or isinstance(target.filepath, list):
            continue
        module = _module(_relative(target.filepath, old, new))
        if target.is_module:
            found.add((module, _MODULE))
        else:
            found.add((module, target.canonical_path.removeprefix(module + ".")))
    return found


def _relative(path: Path, old: Path, new: Path) -> str:
    return path.relative_to(old if path.is_relative_to(old) else new).as_posix()


def _module(path: str) -> str:
    """``a/b.py``, ``a/b.pyi`` and ``a/b/__init__.py`` are all module ``a.b``."""
    return path.rsplit(".", 1)[0].replace("/", ".").removesuffix(".__init__")


_INIT = '__all__ = ["Client", "fetch"]\n\nfrom ._core import Client, fetch\n'


def _quick_releases(root: Path) -> list[tuple[str, Path, Path]]:
    """Two tiny releases of a package, offline: removals, a move, a rename, a re-export."""
    old, new = root / "old", root / "new"
    files = {
        "tiny/__init__.py": (_INIT, _INIT),
        "tiny/_core.py": (
            "def fetch(url, proxies=None, *, timeout=5):\n    pass\n\n"
            "class Client:\n    def get(self, url, retries):\n        pass\n\n"
            "    def close(self):\n        pass\n",
            "def fetch(url, *, timeout=5, token):\n    pass\n\n"
            "class Client:\n    def get(self, retries, url):\n        pass\n",
        ),
        "tiny/api.py": (
            "def run(a, b=1):\n    pass\n\ndef gone():\n    pass\n",
            "def run(a, *, b=1):\n    pass\n",
        ),
    }
    for path, (before, after) in files.items():
        for side, text in ((old, before), (new, after)):
            (side / path).parent.mkdir(parents=True, exist_ok=True)
            (side / path).write_text(text, encoding="utf-8")
    return [("tiny", old, new)]


def agreement(cache: Path, quick: bool) -> str:
    """The recall/precision table over every release pair."""
    rows: list[list[object]] = []
    total_ours: set[tuple[str, Symbol]] = set()
    total_griffe: set[tuple[str, Symbol]] = set()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        if quick:
            pairs = [(name, old, new, "old", "new") for name, old, new in _quick_releases(root)]
        else:
            pairs = []
            for name, before, after in RELEASES:
                old, new = root / f"{name}-{before}", root / f"{name}-{after}"
                _unpack(_wheel(cache, name, before), old)
                _unpack(_wheel(cache, name, after), new)
                pairs.append((name, old, new, before, after))
        for name, old, new, before, after in pairs:
            mine = ours(old, new, root / f"work-{name}")
            theirs = griffes(old, new)
            both = mine & theirs
            total_ours |= {(name, s) for s in mine}
            total_griffe |= {(name, s) for s in theirs}
            rows.append(
                [
                    f"{name} {before} → {after}",
                    len(theirs),
                    len(mine),
                    len(both),
                    _percent(len(both), len(theirs)),
                    _percent(len(both), len(mine)),
                ]
            )
    both_total = len(total_ours & total_griffe)
    rows.append(
        [
            "**all**",
            len(total_griffe),
            len(total_ours),
            both_total,
            _percent(both_total, len(total_griffe)),
            _percent(both_total, len(total_ours)),
        ]
    )
    header = ("Release pair", "griffe", "specgen diff", "both", "recall", "precision")
    return table(header, rows)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


# -- speed ------------------------------------------------------------------------------------

_TEMPLATES = {
    "py": (
        "def run_{i}(self, url, proxies=None):\n    return url\n",
        "def run_{i}(self, url, token, timeout=1):\n    return url\n",
    ),
    "go": (
        "package p{i}\n\nfunc Run{i}(url string, proxies []string) error {{ return nil }}\n",
        "package p{i}\n\nfunc Run{i}(url string, token string) error {{ return nil }}\n",
    ),
    "ts": (
        "export function run{i}(url: string, proxies?: string[]): void {{}}\n",
        "export function run{i}(url: string, token: string): void {{}}\n",
    ),
    "rs": (
        "pub fn run_{i}(url: &str, proxies: &[String]) {{}}\n",
        "pub fn run_{i}(url: &str, token: &str) {{}}\n",
    ),
    "java": (
        "public class Run{i} {{\n    public void run(String url, String proxies) {{}}\n}}\n",
        "public class Run{i} {{\n    public void run(String url, String token) {{}}\n}}\n",
    ),
}
_FILLER = "\n\n".join(f"def helper_{j}(a, b=2):\n    return a + b" for j in range(30)) + "\n"


def _synthetic(root: Path, files: int) -> None:
    """A repository whose work tree changes ``files`` files of five languages."""
    kinds = list(_TEMPLATES)
    for side in (0, 1):
        for i in range(files):
            ext = kinds[i % len(kinds)]
            text = _TEMPLATES[ext][side].format(i=i)
            if ext == "py":
                text += _FILLER
            path = root / f"src/m{i // 100}/f{i}.{ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if side == 0:
            _git(root, "init", "-q", "-b", "main")
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "base")


def speed(sizes: Sequence[int]) -> str:
    """Wall time of ``specgen diff`` as a process on each synthetic pull request."""
    rows: list[list[object]] = []
    for files in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            _synthetic(root, files)
            times, cpu = [], []
            for _ in range(3):
                start, used = time.perf_counter(), _children_cpu()
                proc = subprocess.run(
                    [sys.executable, "-m", "specgen_action", "diff", "--base", "HEAD"],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                times.append(time.perf_counter() - start)
                cpu.append(_children_cpu() - used)
            changes = proc.stdout.count("\n")
            goal = _GOAL_S.get(files)
            best = min(times)
            rows.append(
                [
                    files,
                    changes,
                    f"{best:.2f}",
                    f"{min(cpu):.2f}",
                    f"{files / best:.0f}",
                    f"{goal:g}" if goal else "",
                    f"{best / goal:.2f}" if goal else "",
                ]
            )
    header = (
        "Changed files",
        "Changes listed",
        "Wall, best of 3 (s)",
        "CPU, best of 3 (s)",
        "Files/s",
        "Goal (s)",
        "Wall / goal",
    )
    load = os.getloadavg()[0]
    return (
        table(header, rows)
        + f"\n\n_Load average while measuring: {load:.1f} on {os.cpu_count()} cores._"
    )


def _children_cpu() -> float:
    """CPU seconds (user and system) used so far by finished child processes, git included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    """Print both tables."""
    args = _arguments().parse_args(argv)
    print(f"# specgen diff ({machine()})\n")
    print("## Agreement with griffe (Python)\n")
    print(agreement(args.cache.resolve(), args.quick) + "\n")
    print("## Speed (one `specgen diff --base HEAD` process)\n")
    print(speed([20] if args.quick else [200, 2_000]))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny offline inputs (a smoke run)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(__file__).parent / ".cache",
        help="where the wheels go (default: benchmarks/.cache)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
