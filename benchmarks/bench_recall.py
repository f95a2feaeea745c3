"""How much of the public API the static provider lists, against each language's own parser.

Real packages come from the package registries into a cache directory
(``benchmarks/.cache/`` by default, git-ignored): PyPI sdists (httpx, attrs,
click, rich), npm tarballs (date-fns's ESM ``.js`` and ``.d.ts``, zod's and
rxjs's TypeScript sources), Debian's ``golang-*-dev`` and ``librust-*-dev`` source
packages and ``openjdk-17-source`` (``java.util`` and ``java.util.concurrent``).
An independent ground truth lists each file's public declarations, from a small
program per language in ``benchmarks/recall/`` built on that language's own
tooling: Python's ``ast``, Go's ``go/ast``, Rust's ``syn`` (built offline
against the ``librust-*-dev`` sources), the TypeScript compiler API and javac's
tree API (``com.sun.source.tree``). The static provider (``build_skeleton``)
reads the same files in-process.

Public declaration, per language (what the spec promises):

- Python: module-level names not starting with ``_``, or exactly those in a
  literal ``__all__`` (list or tuple; an imported name listed there is a
  re-export); names bound in top-level ``if``/``try``/``with`` blocks count,
  under ``if __name__ == "__main__"`` not; chained assignments bind every
  name. Public classes' methods not starting with ``_`` and dunder methods,
  properties, class attributes, nested classes. ``@overload``-ed functions are
  their overload signatures.
- Go: exported functions, methods of exported types, types (struct,
  interface, other), exported named struct fields and interface methods,
  constants and variables, grouped ``var/const/type ( ... )`` blocks included.
- Rust: ``pub`` items (functions, structs, enums, unions, traits, type
  aliases, constants, statics, modules) also inside inline ``pub mod x { }``
  (named ``x::Item``), ``#[macro_export]`` macros, ``pub`` fields, enum
  variants, trait methods, associated types and constants (``Trait.Item``),
  ``pub`` methods and constants of inherent ``impl``s.
- TypeScript/JavaScript: exported declarations (``export``, ``export
  default``, ``export { local }``), each overload signature (the
  implementation behind overloads is not listed), a type and a value of the
  same name both, re-exports (``export { a } from``, ``export * from``, named
  ``* from "m"``); members of exported classes, interfaces and enums not
  ``private`` or ``#private``, nor starting with ``_`` unless declared
  ``public`` or ``protected``, and constructor parameter properties. A file
  that exports nothing is a script: its top-level declarations not starting
  with ``_``.
- Java: public top-level types; their public and protected members (every
  member of an interface or annotation type) incl. each overload and
  constructor, enum constants, public and protected nested types.

A declaration is matched by (name, kind, signature). The signature is the
source text from the declaration's start (decorators, modifiers and
annotations included; doc comments and Rust attributes not) up to its body;
for a value (variable, constant, field, attribute) the whole declaration when
it is on one line and at most 100 characters, else up to its value. Both
sides are compared normalised: comments dropped, whitespace runs made one
space and dropped next to punctuation (kept between two word characters), and
the trailing ``:;={,`` that opens a body cut. Every other character must be
equal: layout is not compared, content is.

Printed: per language the files, the declarations the ground truth lists,
those the provider lists, recall and precision of (name, kind, signature),
the share of the (name, kind) matches whose signature is exact, the share of
the matches whose signature breaks lines where the source does (each line
compared normalised as above, blank and comment-only lines dropped), and files
the provider crashed on. ``--findings FILE`` writes the misses, a sample per
language and cause.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_recall``.
Needs pip, npm, node, apt-get (``apt-get update`` once), dpkg-deb, go, cargo and
javac; exits 2 saying which is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._common import machine, table
from specgen_action.parsing import language_for
from specgen_action.skeleton import build_skeleton
from specgen_action.source import Source

__all__ = [
    "Decl",
    "Tally",
    "compare",
    "main",
    "measure_files",
    "normalise",
    "python_truth_command",
    "truth_signature",
]

TRUTH = Path(__file__).resolve().parent / "recall"
LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")
GOAL = 0.995
_SHORT_VALUE = 100
_QUICK_FILES = 8
_SAMPLES = 6

PYPI = ("httpx==0.28.1", "attrs==26.1.0", "click==8.5.1", "rich==15.0.0")
NPM = ("date-fns@4.4.0", "zod@4.6.7", "rxjs@7.8.1")
GO_DEBS = (
    "golang-github-pkg-errors-dev",
    "golang-github-google-uuid-dev",
    "golang-github-spf13-pflag-dev",
    "golang-github-gorilla-mux-dev",
    "golang-github-stretchr-testify-dev",
)
RUST_DEBS = (
    "librust-anyhow-dev",
    "librust-once-cell-dev",
    "librust-bitflags-dev",
    "librust-log-dev",
    "librust-syn-dev",
    "librust-num-traits-dev",
    "librust-smallvec-dev",
    "librust-indexmap-dev",
)
RUST_TOOL_DEBS = (
    "librust-syn-dev",
    "librust-proc-macro2-dev",
    "librust-quote-dev",
    "librust-unicode-ident-dev",
)
JAVA_DEBS = ("openjdk-17-source",)
TYPESCRIPT = "typescript@5.6.3"


class Unavailable(Exception):
    """A tool or package the benchmark needs cannot be had."""


@dataclass(frozen=True)
class Decl:
    """One public declaration: name, kind and normalised signature."""

    name: str
    kind: str
    signature: str
    line: int = 0
    lines: tuple[str, ...] = ()
    """The signature's non-blank lines, each normalised: where its line breaks fall."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.kind, self.signature)


@dataclass
class Tally:
    """One language's counts."""

    files: int = 0
    truth: int = 0
    listed: int = 0
    matched: int = 0
    named: int = 0
    same_lines: int = 0
    crashes: int = 0
    truth_errors: int = 0
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    causes: Counter[str] = field(default_factory=Counter)


# ---------------------------------------------------------------- normalising

_SPACE = re.compile(r"\s+")
_PUNCT_SPACE = re.compile(r" ?([^\w$ ]) ?")
_BODY_OPENERS = " \t\n:;={,"
_QUOTES = re.compile("[\"']")


def _strip_comments(text: str, language: str) -> str:
    """``text`` without comments; string and character literals kept whole."""
    out: list[str] = []
    index, size = 0, len(text)
    hash_comments = language == "python"
    quotes = "'\"" if language == "python" else ('"`' if language == "rust" else "'\"`")
    while index < size:
        char = text[index]
        line_comment = "#" if hash_comments else "//"
        if text.startswith(line_comment, index):
            end = text.find("\n", index)
            index = size if end < 0 else end
            out.append(" ")
        elif not hash_comments and text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = size if end < 0 else end + 2
            out.append(" ")
        elif char in quotes:
            delimiter = char
            if language == "python" and text.startswith(char * 3, index):
                delimiter = char * 3
            end = index + len(delimiter)
            while end < size and not text.startswith(delimiter, end):
                end += 2 if text[end] == "\\" else 1
            end = min(size, end + len(delimiter))
            out.append(text[index:end])
            index = end
        else:
            out.append(char)
            index += 1
    return "".join(out)


def normalise(signature: str) -> str:
    """Whitespace made one space, dropped next to punctuation, body opener cut."""
    text = _SPACE.sub(" ", signature).strip()
    text = _PUNCT_SPACE.sub(r"\1", text)
    return text.rstrip(_BODY_OPENERS) or text


def truth_signature(full: str, head: str, value: bool, language: str) -> str:
    """The signature the spec promises for a ground-truth declaration, normalised."""
    return normalise(_truth_shown(full, head, value, language))


def line_shape(signature: str) -> tuple[str, ...]:
    """Each non-blank line of ``signature`` normalised, the body opener cut from the last."""
    lines = [
        _PUNCT_SPACE.sub(r"\1", _SPACE.sub(" ", line).strip()) for line in signature.split("\n")
    ]
    lines = [line for line in lines if line]
    while lines and not lines[-1].rstrip(_BODY_OPENERS):
        lines.pop()
    if lines:
        lines[-1] = lines[-1].rstrip(_BODY_OPENERS)
    return tuple(lines)


def _truth_shown(full: str, head: str, value: bool, language: str) -> str:
    """The source text the signature shows, comments dropped."""
    full = _strip_comments(full, language).strip().rstrip(_BODY_OPENERS)
    head = _strip_comments(head, language)
    one_line = "\n" not in full
    return full if value and one_line and len(full) <= _SHORT_VALUE else head


# ---------------------------------------------------------------- comparing


def compare(tally: Tally, path: str, truth: Iterable[Decl], listed: Iterable[Decl]) -> None:
    """Add one file's ground truth and listing to ``tally``, recording the misses."""
    expected = {decl.key: decl for decl in truth}
    got = {decl.key: decl for decl in listed}
    tally.files += 1
    tally.truth += len(expected)
    tally.listed += len(got)
    matched = expected.keys() & got.keys()
    tally.matched += len(matched)
    for key in sorted(matched):
        truth_lines, listed_lines = expected[key].lines, got[key].lines
        if truth_lines == listed_lines:
            tally.same_lines += 1
        else:
            _record(
                tally,
                f"line breaks differ: {key[1]}",
                f"{path}:{expected[key].line} `{key[0]}`\n  - truth: `"
                + " ⏎ ".join(truth_lines)
                + "`\n  - listed: `"
                + " ⏎ ".join(listed_lines)
                + "`",
            )
    expected_named = Counter((name, kind) for name, kind, _ in expected)
    got_named = Counter((name, kind) for name, kind, _ in got)
    tally.named += sum((expected_named & got_named).values())
    got_by_name: dict[str, list[Decl]] = defaultdict(list)
    for decl in got.values():
        got_by_name[decl.name].append(decl)
    expected_names = {name for name, _, _ in expected}
    for key, decl in expected.items():
        if key in got:
            continue
        same_name = got_by_name.get(decl.name, [])
        same_kind = [other for other in same_name if other.kind == decl.kind]
        if same_kind:
            cause = f"signature differs: {decl.kind}"
            note = f"`{decl.name}`\n  - truth: `{decl.signature}`\n  - listed: " + ", ".join(
                f"`{other.signature}`" for other in same_kind
            )
        elif same_name:
            cause = f"kind differs: {decl.kind} listed as {same_name[0].kind}"
            note = f"`{decl.name}`: `{decl.signature}`"
        else:
            cause = f"not listed: {decl.kind}"
            note = f"`{decl.name}`: `{decl.signature}`"
        _record(tally, cause, f"{path}:{decl.line} {note}")
    for key, decl in got.items():
        if key in expected or decl.name in expected_names:
            continue
        _record(
            tally,
            f"not in the truth: {decl.kind}",
            f"{path}:{decl.line} `{decl.name}`: `{decl.signature}`",
        )


def _record(tally: Tally, cause: str, note: str) -> None:
    tally.causes[cause] += 1
    if len(tally.misses[cause]) < _SAMPLES:
        tally.misses[cause].append(note)


def _listed(path: Path, text: str, language: str) -> list[Decl]:
    spec = build_skeleton(Source(path=str(path), text=text, sha256="", language=language))
    return [
        Decl(
            _QUOTES.sub("", symbol.name),
            symbol.kind,
            normalise(symbol.signature),
            symbol.line_start,
            line_shape(symbol.signature),
        )
        for symbol in spec.symbols
    ]


# ---------------------------------------------------------------- fetching


def _run(command: Sequence[str], what: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(  # type: ignore[call-overload]
            list(command), capture_output=True, text=True, timeout=900, **kwargs
        )
    except FileNotFoundError as error:
        raise Unavailable(f"{what}: {command[0]} is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise Unavailable(f"{what}: `{' '.join(command)}` took too long") from error
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{what}: `{' '.join(command)}` failed: " + " / ".join(detail))
    return proc  # type: ignore[no-any-return]


def _need(tool: str, hint: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise Unavailable(f"{tool} is not installed ({hint})")
    return found


def _debs(cache: Path, packages: Sequence[str]) -> list[Path]:
    """Each Debian package unpacked under ``cache/deb/<package>/``."""
    _need("apt-get", "Debian's apt")
    _need("dpkg-deb", "Debian's dpkg")
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    roots = []
    for package in packages:
        root = cache / "deb" / package
        if not root.exists():
            if not list(downloads.glob(f"{package}_*.deb")):
                _run(
                    ["apt-get", "download", package],
                    f"Debian package {package} (run `apt-get update` once first)",
                    cwd=downloads,
                )
            deb = sorted(downloads.glob(f"{package}_*.deb"))[-1]
            partial = root.with_name(root.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            _run(["dpkg-deb", "-x", str(deb), str(partial)], f"unpacking {deb.name}")
            partial.rename(root)
        roots.append(root)
    return roots


def _unpack_tar(archive: Path, into: Path) -> Path:
    if not into.exists():
        partial = into.with_name(into.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with tarfile.open(archive) as tar:
            tar.extractall(partial, filter="data")
        partial.rename(into)
    return into


def _pypi(cache: Path) -> list[Path]:
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    roots = []
    for requirement in PYPI:
        name, version = requirement.split("==")
        archives = list(downloads.glob(f"{name}-{version}.tar.gz"))
        if not archives:
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "-d",
                    str(downloads),
                    requirement,
                ],
                f"PyPI sdist {requirement}",
            )
            archives = list(downloads.glob(f"{name}-{version}.tar.gz"))
        if not archives:
            raise Unavailable(f"PyPI sdist {requirement}: no {name}-{version}.tar.gz downloaded")
        roots.append(_unpack_tar(archives[0], cache / "pypi" / f"{name}-{version}"))
    return roots


def _npm(cache: Path) -> dict[str, Path]:
    _need("npm", "Node.js's npm")
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    roots = {}
    for spec in NPM:
        name, version = spec.rsplit("@", 1)
        archive = downloads / f"{name}-{version}.tgz"
        if not archive.exists():
            _run(["npm", "pack", "--silent", spec], f"npm package {spec}", cwd=downloads)
        roots[name] = _unpack_tar(archive, cache / "npm" / f"{name}-{version}") / "package"
    return roots


_SKIP_PARTS = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "examples",
        "benches",
        "benchmarks",
        "testdata",
        "__tests__",
        "fuzz",
        "vendor",
    }
)


def _files(roots: Iterable[Path], keep: Callable[[Path], bool]) -> list[Path]:
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).parts
            if path.is_file() and not _SKIP_PARTS & set(relative[:-1]) and keep(path):
                found.append(path)
    return found


def _corpus(language: str, cache: Path) -> list[Path]:
    """The files of one language, fetched and unpacked once."""
    if language == "python":
        return _files(
            _pypi(cache),
            lambda p: p.suffix == ".py" and p.name not in ("setup.py", "noxfile.py", "conftest.py"),
        )
    if language in ("javascript", "typescript"):
        roots = _npm(cache)
        date_fns = roots["date-fns"]
        if language == "javascript":
            return sorted(date_fns.glob("*.js"))
        sources = _files(
            [roots["zod"] / "src", roots["rxjs"] / "src"],
            lambda p: p.suffix == ".ts" and not p.name.endswith(".d.ts") and ".test." not in p.name,
        )
        return sources + sorted(date_fns.glob("*.d.ts"))
    if language == "go":
        return _files(
            _debs(cache, GO_DEBS),
            lambda p: p.suffix == ".go" and not p.name.endswith("_test.go"),
        )
    if language == "rust":
        crates = [
            crate
            for deb in _debs(cache, RUST_DEBS)
            for crate in (deb / "usr/share/cargo/registry").iterdir()
        ]
        return _files([crate / "src" for crate in crates], lambda p: p.suffix == ".rs")
    if language == "java":
        (deb,) = _debs(cache, JAVA_DEBS)
        archive = next(deb.glob("usr/lib/jvm/*/lib/src.zip"), None)
        if archive is None:
            raise Unavailable("openjdk-17-source: no src.zip in the package")
        into = cache / "java" / "src"
        if not into.exists():
            partial = into.with_name("src.partial")
            shutil.rmtree(partial, ignore_errors=True)
            with zipfile.ZipFile(archive) as zipped:
                for name in zipped.namelist():
                    if re.fullmatch(r"java\.base/java/util/(concurrent/)?[^/]+\.java", name):
                        zipped.extract(name, partial)
            partial.rename(into)
        util = into / "java.base/java/util"
        return sorted(util.glob("*.java")) + sorted(util.glob("concurrent/*.java"))
    raise ValueError(language)


# ---------------------------------------------------------------- ground truth


def python_truth_command() -> list[str]:
    """The Python ground truth: the standard library's ``ast``, no download."""
    return [sys.executable, str(TRUTH / "truth_python.py")]


def _truth_command(language: str, cache: Path) -> list[str]:
    """The command that reads paths on stdin and prints each file's declarations."""
    if language == "python":
        return python_truth_command()
    if language == "go":
        go = _need("go", "apt-get install golang-go")
        binary = cache / "tools" / "truth_go"
        if not binary.exists() or binary.stat().st_mtime < (TRUTH / "truth_go.go").stat().st_mtime:
            binary.parent.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "GOCACHE": str(cache / "tools" / "gocache")}
            _run(
                [go, "build", "-o", str(binary), str(TRUTH / "truth_go.go")],
                "building truth_go",
                env=env,
            )
        return [str(binary)]
    if language in ("javascript", "typescript"):
        node = _need("node", "Node.js")
        tools = cache / "tools" / "node"
        if not (tools / "node_modules" / "typescript").exists():
            tools.mkdir(parents=True, exist_ok=True)
            _need("npm", "Node.js's npm")
            _run(
                ["npm", "install", "--silent", "--no-save", "--prefix", str(tools), TYPESCRIPT],
                f"npm package {TYPESCRIPT}",
            )
        return [node, str(TRUTH / "truth_ts.js"), str(tools / "node_modules" / "typescript")]
    if language == "java":
        javac = _need("javac", "a JDK 17: apt-get install openjdk-17-jdk-headless")
        java = _need("java", "a JDK 17")
        classes = cache / "tools" / "java"
        source = TRUTH / "TruthJava.java"
        built = classes / "TruthJava.class"
        if not built.exists() or built.stat().st_mtime < source.stat().st_mtime:
            classes.mkdir(parents=True, exist_ok=True)
            _run([javac, "-d", str(classes), str(source)], "compiling TruthJava.java")
        return [java, "-cp", str(classes), "TruthJava"]
    if language == "rust":
        cargo = _need("cargo", "Rust's cargo")
        registry = cache / "tools" / "registry"
        registry.mkdir(parents=True, exist_ok=True)
        for deb in _debs(cache, RUST_TOOL_DEBS):
            for crate in (deb / "usr/share/cargo/registry").iterdir():
                link = registry / crate.name
                if not link.exists():
                    link.symlink_to(crate)
        project = cache / "tools" / "truth_rust"
        if project.exists():
            shutil.rmtree(project / "src", ignore_errors=True)
        (project / "src").mkdir(parents=True, exist_ok=True)
        (project / ".cargo").mkdir(exist_ok=True)
        shutil.copy(TRUTH / "truth_rust" / "Cargo.toml", project / "Cargo.toml")
        shutil.copy(TRUTH / "truth_rust" / "main.rs", project / "src" / "main.rs")
        (project / ".cargo" / "config.toml").write_text(
            '[source.crates-io]\nreplace-with = "debian"\n\n'
            f'[source.debian]\ndirectory = "{registry}"\n\n[net]\noffline = true\n'
        )
        _run(
            [cargo, "build", "--release", "--quiet", "--offline"],
            "building truth_rust against the librust-*-dev sources",
            cwd=project,
        )
        return [str(project / "target" / "release" / "truth_rust")]
    raise ValueError(language)


def _truth(
    command: Sequence[str], language: str, files: Sequence[Path]
) -> dict[str, dict[str, object]]:
    proc = _run(command, f"{language} ground truth", input="".join(f"{p}\n" for p in files))
    answers: dict[str, dict[str, object]] = {}
    for line in proc.stdout.splitlines():
        answer = json.loads(line)
        answers[answer["file"]] = answer
    return answers


# ---------------------------------------------------------------- the run


def measure(language: str, cache: Path, limit: int | None) -> Tally:
    """Fetch, read with the ground truth and the provider, compare."""
    files = _corpus(language, cache)[:limit]
    if not files:
        raise Unavailable(f"{language}: no files in the fetched packages")
    command = _truth_command(language, cache)
    return measure_files(language, files, command, lambda path: _shown(path, cache))


def measure_files(
    language: str,
    files: Sequence[Path],
    command: Sequence[str],
    shown: Callable[[Path], str] = str,
) -> Tally:
    """Read ``files`` with the ground-truth ``command`` and the provider; compare per file."""
    answers = _truth(command, language, files)
    tally = Tally()
    for path in files:
        answer = answers.get(str(path), {"error": "no answer"})
        if "error" in answer:
            tally.truth_errors += 1
            _record(
                tally, "ground truth could not read the file", f"{shown(path)}: {answer['error']}"
            )
            continue
        truth = []
        for d in answer["decls"]:  # type: ignore[attr-defined]
            text = _truth_shown(d["full"], d["head"], d["value"], language)
            name = _QUOTES.sub("", d["name"])
            truth.append(Decl(name, d["kind"], normalise(text), d["line"], line_shape(text)))
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            listed = _listed(path, text, language_for(str(path)))
        except Exception as error:  # a crash is a measured outcome
            tally.crashes += 1
            tally.files += 1
            tally.truth += len({d.key for d in truth})
            _record(tally, "crash", f"{shown(path)}: {type(error).__name__}: {error}")
            continue
        compare(tally, shown(path), truth, listed)
    return tally


def _shown(path: Path, cache: Path) -> str:
    parts = path.relative_to(cache).parts
    return "/".join(parts[2:] if parts[0] in ("deb", "npm", "pypi") else parts[1:])


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "n/a"


def _row(language: str, tally: Tally) -> list[object]:
    return [
        language,
        tally.files,
        tally.truth,
        tally.listed,
        _percent(tally.matched, tally.truth),
        _percent(tally.matched, tally.listed),
        _percent(tally.matched, tally.named),
        _percent(tally.same_lines, tally.matched),
        tally.crashes,
    ]


HEADER = (
    "language",
    "files",
    "declarations (truth)",
    "listed",
    "recall",
    "precision",
    "exact signatures",
    "same line breaks",
    "crashes",
)


def findings(tallies: dict[str, Tally]) -> str:
    """The misses as Markdown: per language, each cause with its count and a sample."""
    lines = ["# Recall findings", "", "Written by `benchmarks/bench_recall.py --findings`.", ""]
    lines.append(table(HEADER, [_row(language, tally) for language, tally in tallies.items()]))
    for language, tally in tallies.items():
        lines += ["", f"## {language}", ""]
        if not tally.causes:
            lines.append("No misses.")
        for cause, count in tally.causes.most_common():
            lines += [f"### {cause} ({count})", ""]
            lines += [f"- {note}" for note in tally.misses[cause]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every chosen language and print the table."""
    args = _arguments().parse_args(argv)
    cache = args.cache.resolve()
    limit = _QUICK_FILES if args.quick else args.files
    tallies: dict[str, Tally] = {}
    started = time.perf_counter()
    try:
        for language in args.lang:
            tallies[language] = measure(language, cache, limit)
            print(f"{language}: {tallies[language].files} files", file=sys.stderr)
    except Unavailable as error:
        print(f"bench_recall: {error}", file=sys.stderr)
        return 2
    print(f"Machine: {machine()}\n")
    print(table(HEADER, [_row(language, tally) for language, tally in tallies.items()]))
    errors = sum(tally.truth_errors for tally in tallies.values())
    print(
        f"\nGoal: at least {GOAL:.1%} recall and precision per language, every signature "
        f"exact, no crash. Files the ground truth could not read (left out): {errors}. "
        f"{time.perf_counter() - started:.0f} s."
    )
    if args.findings:
        args.findings.write_text(findings(tallies))
    return 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--lang",
        nargs="+",
        choices=LANGUAGES,
        default=list(LANGUAGES),
        help="languages to measure (default: all)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(__file__).parent / ".cache",
        help="where packages and the ground-truth tools go (default: benchmarks/.cache)",
    )
    parser.add_argument(
        "--files", type=int, default=None, help="at most this many files per language"
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=None,
        help="write the misses, a sample per language and cause, to this file",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"the first {_QUICK_FILES} files per language"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
