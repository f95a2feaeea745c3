"""The action's set-up: a cold install against a warm one restored from the cache.

Runs the two commands action.yml runs, as it runs them (the base interpreter,
``PYTHONPATH`` at this checkout, ``RUNNER_TEMP`` a temporary directory):

1. cold: ``install key`` then ``install ensure`` on an empty ``RUNNER_TEMP``
   (``python -m venv`` + ``pip install`` of this checkout, so the packages come
   from whatever index pip is configured with);
2. the environment packed as actions/cache packs it (``tar`` + ``zstd``), its
   size, and the unpacking a restore does;
3. warm: ``install ensure`` on the restored environment, best and median of
   ``--repeat`` runs (the stamp matches, the package imports, pip never runs).

``--quick`` skips pip (no network): the environment reuses this interpreter's
packages through a ``.pth`` file, so only the warm path and the packing run.

Run from the repository root: ``.venv/bin/python benchmarks/bench_install.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks._common import machine, table  # noqa: E402
from specgen_action.github.install import STAMP  # noqa: E402


def _step(python: str, temp: Path, command: str, key: str = "") -> tuple[float, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
        "GITHUB_OUTPUT": str(temp / "output"),
        "VENV_KEY": key,
    }
    (temp / "output").write_text("")
    started = time.perf_counter()
    subprocess.run(
        [python, "-m", "specgen_action.github.install", command], env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    lines = (temp / "output").read_text().splitlines()
    outputs = {line.split("<<")[0]: lines[i + 1] for i, line in enumerate(lines) if "<<" in line}
    return elapsed, outputs.get("key", "")


def _prebuilt(venv: Path, key: str) -> None:
    """--quick: an environment that borrows this interpreter's packages (no pip, no network)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    purelib = sysconfig.get_paths()["purelib"]
    (site / "_bench.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    (venv / STAMP).write_text(key + "\n")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no pip: warm path and packing only")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs (default 5)")
    args = parser.parse_args()
    python = getattr(sys, "_base_executable", sys.executable)
    zstd = shutil.which("zstd")
    with tempfile.TemporaryDirectory(prefix="specgen-bench-install-") as tmp:
        temp = Path(tmp) / "runner-temp"
        temp.mkdir()
        venv = temp / "specgen-venv"
        key_s, key = _step(python, temp, "key")
        rows: list[list[object]] = [["key (hash the action's files)", f"{key_s:.2f}", ""]]
        if args.quick:
            _prebuilt(venv, key)
            rows.append(["cold install", "skipped (--quick)", ""])
        else:
            cold_s, _ = _step(python, temp, "ensure", key)
            rows.append(["cold install (venv + pip install)", f"{cold_s:.2f}", ""])
        archive = Path(tmp) / "cache.tzst"
        compress = ["--use-compress-program", "zstd -T0"] if zstd else ["-z"]
        subprocess.run(["tar", *compress, "-cf", str(archive), "-C", str(temp), venv.name],
                       check=True)  # fmt: skip
        size = f"{_size(venv) / 1e6:.0f} MB, archive {archive.stat().st_size / 1e6:.0f} MB"
        shutil.rmtree(venv)
        started = time.perf_counter()
        subprocess.run(["tar", *compress, "-xf", str(archive), "-C", str(temp)], check=True)
        rows.append(["unpack the restored cache", f"{time.perf_counter() - started:.2f}", size])
        warm = [_step(python, temp, "ensure", key)[0] for _ in range(max(args.repeat, 1))]
        rows.append(
            [
                "warm install (stamp + import check, no pip)",
                f"{min(warm):.2f}",
                f"median {statistics.median(warm):.2f} of {len(warm)}",
            ]
        )
    print(machine())
    print()
    print(table(["step", "seconds", "notes"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
