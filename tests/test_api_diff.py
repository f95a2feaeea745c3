"""``specgen diff`` end to end: real git repositories, the CLI, the JSON it writes.

Each row of ``RULES`` is one rule of what breaks callers in one language:
the file at the base, the file now, and the record the diff must hold for
the symbol (or that it holds none).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import CLI, GitRepo


class Rule(NamedTuple):
    path: str
    before: str
    after: str
    symbol: str
    change: str | None
    """None: the diff must hold no record of ``symbol``."""
    breaking: bool = False
    reason: str = ""
    """A part of one of the record's reasons."""


PY_CLIENT = "class Client:\n    def get(self, url, proxies=None):\n        pass\n"
GO_DB = (
    "package db\n\ntype DB struct {\n\tKeys []string\n}\n\n"
    "func Open(path string) *DB { return nil }\n"
)
RS_ACCOUNT = (
    "pub struct Account;\n\nimpl Account {\n"
    "    pub fn deposit(&mut self, amount: u64, memo: &str) {}\n}\n"
)
JAVA_API = "public class Api {\n    public void send(String body) {}\n}\n"

RULES = {
    # Python: griffe's rules.
    "py parameter removed": Rule(
        "pkg/client.py",
        PY_CLIENT,
        PY_CLIENT.replace(", proxies=None", ""),
        "Client.get",
        "changed",
        True,
        "parameter `proxies` removed",
    ),
    "py parameter moved": Rule(
        "m.py",
        "def f(a, b):\n    pass\n",
        "def f(b, a):\n    pass\n",
        "f",
        "changed",
        True,
        "parameter `a` moved from position 1 to 2",
    ),
    "py required parameter added": Rule(
        "m.py",
        "def f(a):\n    pass\n",
        "def f(a, token):\n    pass\n",
        "f",
        "changed",
        True,
        "required parameter `token` added",
    ),
    "py optional parameter added": Rule(
        "m.py",
        "def f(a):\n    pass\n",
        "def f(a, retries=3):\n    pass\n",
        "f",
        "changed",
        False,
        "optional parameter `retries` added",
    ),
    "py keyword parameter renamed": Rule(
        "m.py",
        "def f(url):\n    pass\n",
        "def f(address):\n    pass\n",
        "f",
        "changed",
        True,
        "parameter `url` renamed to `address`",
    ),
    "py positional-only parameter renamed": Rule(
        "m.py",
        "def f(url, /):\n    pass\n",
        "def f(address, /):\n    pass\n",
        "f",
        "changed",
        False,
        "renamed",
    ),
    "py parameter made keyword-only": Rule(
        "m.py",
        "def f(a, b):\n    pass\n",
        "def f(a, *, b):\n    pass\n",
        "f",
        "changed",
        True,
        "from positional-or-keyword to keyword-only",
    ),
    "py parameter made required": Rule(
        "m.py",
        "def f(a=1):\n    pass\n",
        "def f(a):\n    pass\n",
        "f",
        "changed",
        True,
        "parameter `a` made required",
    ),
    "py removed parameter taken by **kwargs": Rule(
        "m.py",
        "def f(a, *, b=1):\n    pass\n",
        "def f(a, **options):\n    pass\n",
        "f",
        "changed",
        False,
        "optional parameter `options` added",
    ),
    "py Optional spelled as a union": Rule(
        "m.py",
        "from typing import Optional\n\ndef f(a: Optional[int] = None) -> Optional[str]:\n"
        "    pass\n",
        "from typing import Optional\n\ndef f(a: int | None = None) -> str | None:\n    pass\n",
        "f",
        None,
    ),
    "py body and docstring only": Rule(
        "m.py",
        'def f(a):\n    """One."""\n    return 1\n',
        'def f(a):\n    """Two."""\n    return 2\n',
        "f",
        None,
    ),
    "py private function": Rule(
        "m.py",
        "def _f(a):\n    pass\n",
        "def _f():\n    pass\n",
        "_f",
        None,
    ),
    "py function removed": Rule(
        "m.py",
        "def f():\n    pass\n\ndef g():\n    pass\n",
        "def g():\n    pass\n",
        "f",
        "removed",
        True,
        "removed",
    ),
    "py made private": Rule(
        "m.py",
        "def f():\n    pass\n",
        "def _f():\n    pass\n",
        "f",
        "removed",
        True,
        "made private (renamed to `_f`)",
    ),
    "py __all__ wins": Rule(
        "m.py",
        '__all__ = ["f", "g"]\n\ndef f():\n    pass\n\ndef g():\n    pass\n',
        '__all__ = ["g"]\n\ndef f():\n    pass\n\ndef g():\n    pass\n',
        "f",
        "removed",
        True,
        "left out of `__all__`",
    ),
    "py method removed": Rule(
        "m.py",
        PY_CLIENT,
        "class Client:\n    pass\n",
        "Client.get",
        "removed",
        True,
        "removed",
    ),
    "py symbol added": Rule(
        "m.py",
        "def f():\n    pass\n",
        "def f():\n    pass\n\ndef g():\n    pass\n",
        "g",
        "added",
    ),
    "py method now inherited from a private base": Rule(
        "m.py",
        "class Int:\n    def convert(self, value):\n        pass\n",
        "class _Base:\n    def convert(self, value):\n        pass\n\n"
        "class Int(_Base):\n    pass\n",
        "Int.convert",
        None,
    ),
    "py class moved to another module, imported back": Rule(
        "m.py",
        "class Accept:\n    def best(self):\n        pass\n",
        "from .accept import Accept as Accept\n",
        "Accept",
        None,
    ),
    "py instance attribute removed": Rule(
        "m.py",
        "class Pool:\n    def __init__(self):\n        self.strict = True\n        self.size = 1\n",
        "class Pool:\n    def __init__(self):\n        self.size = 1\n",
        "Pool.strict",
        "removed",
        True,
    ),
    "py module dunder": Rule(
        "m.py",
        '__version__ = "1"\n\ndef f():\n    pass\n',
        "def f():\n    pass\n",
        "__version__",
        None,
    ),
    "py module in a test folder": Rule(
        "tests/m.py",
        "def f(a):\n    pass\n",
        "def f():\n    pass\n",
        "f",
        None,
    ),
    # Go: exported names outside internal/; every added parameter breaks.
    "go parameter added": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("path string", "path string, mode int"),
        "Open",
        "changed",
        True,
        "required parameter `mode` added",
    ),
    "go variadic parameter added": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("path string", "path string, opts ...Option"),
        "Open",
        "changed",
        True,
        "required parameter `opts` added",
    ),
    "go parameter removed": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("path string", ""),
        "Open",
        "changed",
        True,
        "parameter `path` removed",
    ),
    "go parameter type changed": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("path string", "path []byte"),
        "Open",
        "changed",
        True,
        "type of `path` changed",
    ),
    "go parameter renamed": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("path string", "file string"),
        "Open",
        "changed",
        False,
        "renamed",
    ),
    "go field removed": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("\tKeys []string\n", ""),
        "DB.Keys",
        "removed",
        True,
    ),
    "go unexported": Rule(
        "db/db.go",
        GO_DB,
        GO_DB.replace("func Open", "func open"),
        "Open",
        "removed",
        True,
        "unexported (renamed to `open`)",
    ),
    "go internal package": Rule(
        "internal/db/db.go",
        GO_DB,
        GO_DB.replace("path string", ""),
        "Open",
        None,
    ),
    "go function added": Rule(
        "db/db.go",
        GO_DB,
        GO_DB + "\nfunc Close() {}\n",
        "Close",
        "added",
    ),
    # Rust: pub items, pub use; pub(crate)/pub(super) are not public.
    "rust method parameter removed": Rule(
        "src/account.rs",
        RS_ACCOUNT,
        RS_ACCOUNT.replace(", memo: &str", ""),
        "Account.deposit",
        "changed",
        True,
        "parameter `memo` removed",
    ),
    "rust parameter added": Rule(
        "src/lib.rs",
        "pub fn run(a: u8) {}\n",
        "pub fn run(a: u8, b: u8) {}\n",
        "run",
        "changed",
        True,
        "required parameter `b` added",
    ),
    "rust made pub(crate)": Rule(
        "src/lib.rs",
        "pub fn run() {}\n",
        "pub(crate) fn run() {}\n",
        "run",
        "removed",
        True,
        "made pub(crate)",
    ),
    "rust made pub(super)": Rule(
        "src/lib.rs",
        "pub fn run() {}\n",
        "pub(super) fn run() {}\n",
        "run",
        "removed",
        True,
        "made pub(super)",
    ),
    "rust struct field removed": Rule(
        "src/lib.rs",
        "pub struct Point {\n    pub x: i32,\n    pub y: i32,\n}\n",
        "pub struct Point {\n    pub x: i32,\n}\n",
        "Point.y",
        "removed",
        True,
    ),
    "rust private function": Rule(
        "src/lib.rs",
        "fn run(a: u8) {}\n",
        "fn run() {}\n",
        "run",
        None,
    ),
    "rust pub use removed": Rule(
        "src/lib.rs",
        "pub use crate::account::Account;\npub fn run() {}\n",
        "pub fn run() {}\n",
        "Account",
        "removed",
        True,
    ),
    # TypeScript and JavaScript: what a module exports.
    "ts optional parameter added": Rule(
        "src/a.ts",
        "export function f(a: string): void {}\n",
        "export function f(a: string, b?: number): void {}\n",
        "f",
        "changed",
        False,
        "optional parameter `b` added",
    ),
    "ts defaulted parameter added": Rule(
        "src/a.ts",
        "export function f(a: string): void {}\n",
        "export function f(a: string, b = 1): void {}\n",
        "f",
        "changed",
        False,
        "optional parameter `b` added",
    ),
    "ts required parameter added": Rule(
        "src/a.ts",
        "export function f(a: string): void {}\n",
        "export function f(a: string, b: number): void {}\n",
        "f",
        "changed",
        True,
        "required parameter `b` added",
    ),
    "ts parameter made required": Rule(
        "src/a.ts",
        "export class C {\n  get(a?: string): void {}\n}\n",
        "export class C {\n  get(a: string): void {}\n}\n",
        "C.get",
        "changed",
        True,
        "parameter `a` made required",
    ),
    "ts parameter moved": Rule(
        "src/a.ts",
        "export function f(a: string, b: number): void {}\n",
        "export function f(b: number, a: string): void {}\n",
        "f",
        "changed",
        True,
        "moved",
    ),
    "ts no longer exported": Rule(
        "src/a.ts",
        "export function f(): void {}\nexport const g = 1;\n",
        "function f(): void {}\nexport const g = 1;\n",
        "f",
        "removed",
        True,
        "no longer exported",
    ),
    "ts barrel re-export removed": Rule(
        "src/index.ts",
        "export { f, g } from './a';\n",
        "export { g } from './a';\n",
        "f",
        "removed",
        True,
    ),
    "ts interface member removed": Rule(
        "src/a.ts",
        "export interface Store {\n  get(key: string): string;\n  size: number;\n}\n",
        "export interface Store {\n  size: number;\n}\n",
        "Store.get",
        "removed",
        True,
    ),
    "ts not exported": Rule(
        "src/a.ts",
        "function h(a: string) {}\nexport const g = 1;\n",
        "function h() {}\nexport const g = 1;\n",
        "h",
        None,
    ),
    "js defaulted parameter added": Rule(
        "lib/a.js",
        "export function f(a) {}\n",
        "export function f(a, b = 2) {}\n",
        "f",
        "changed",
        False,
        "optional parameter `b` added",
    ),
    "js parameter removed": Rule(
        "lib/a.js",
        "export function f(a, b) {}\n",
        "export function f(a) {}\n",
        "f",
        "changed",
        True,
        "parameter `b` removed",
    ),
    # Java: public and protected members of public types; overloads.
    "java new overload beside the old one": Rule(
        "src/Api.java",
        JAVA_API,
        JAVA_API.replace("{}\n}", "{}\n    public void send(String body, int retries) {}\n}"),
        "Api.send",
        "added",
    ),
    "java parameter added": Rule(
        "src/Api.java",
        JAVA_API,
        JAVA_API.replace("String body", "String body, int retries"),
        "Api.send",
        "changed",
        True,
        "required parameter `retries` added",
    ),
    "java made package-private": Rule(
        "src/Api.java",
        JAVA_API,
        JAVA_API.replace("public void", "void"),
        "Api.send",
        "removed",
        True,
        "made package-private",
    ),
    "java made private": Rule(
        "src/Api.java",
        JAVA_API,
        JAVA_API.replace("public void", "private void"),
        "Api.send",
        "removed",
        True,
        "made private",
    ),
    "java protected member changed": Rule(
        "src/Api.java",
        JAVA_API.replace("public void", "protected void"),
        JAVA_API.replace("public void", "protected void").replace("String body", ""),
        "Api.send",
        "changed",
        True,
        "parameter `body` removed",
    ),
    "java interface method removed": Rule(
        "src/Store.java",
        "public interface Store {\n    String get(String key);\n    int size();\n}\n",
        "public interface Store {\n    int size();\n}\n",
        "Store.get",
        "removed",
        True,
    ),
    "java package-private class": Rule(
        "src/Api.java",
        JAVA_API.replace("public class", "class"),
        JAVA_API.replace("public class", "class").replace("String body", ""),
        "Api.send",
        None,
    ),
}


def run_diff(repo: GitRepo, cli: CLI, *args: str) -> tuple[Any, dict[str, Any]]:
    """``specgen diff ARGS --json FILE``: the result and the JSON document."""
    out = repo.root.parent / "api.json"
    result = cli("diff", *args, "--json", str(out))
    return result, json.loads(out.read_text(encoding="utf-8"))


def records(data: dict[str, Any], symbol: str) -> list[dict[str, Any]]:
    return [change for change in data["changes"] if change["symbol"] == symbol]


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_each_rule_decides_breaking_per_parameter(repo: GitRepo, cli: CLI, rule: Rule) -> None:
    """The rule's symbol gets exactly the record (change, breaking, reason) its language's
    rules give it, or none at all."""
    repo.write(rule.path, rule.before)
    repo.commit("base")
    repo.write(rule.path, rule.after)
    result, data = run_diff(repo, cli, "--base", "HEAD")
    assert result.code == 0, result.err
    found = records(data, rule.symbol)
    if rule.change is None:
        assert found == [], found
        return
    assert len(found) == 1, data["changes"]
    record = found[0]
    assert (record["change"], record["breaking"]) == (rule.change, rule.breaking), record
    assert record["path"] == rule.path
    assert not rule.reason or any(rule.reason in r for r in record["reasons"]), record["reasons"]


def test_a_private_module_is_public_where_its_package_re_exports_it(
    repo: GitRepo, cli: CLI
) -> None:
    """``from ._api import get`` in a public ``__init__.py`` makes ``_api.get`` public; what
    nothing re-exports stays private, and a private package's own ``__init__`` counts for
    nothing."""
    repo.write("pkg/__init__.py", '__all__ = ["get", "Session"]\nfrom ._api import get, Session\n')
    repo.write(
        "pkg/_api.py",
        "def get(url, proxies=None):\n    pass\n\ndef post(url):\n    pass\n"
        "\nclass Session:\n    def close(self, force):\n        pass\n",
    )
    repo.write("pkg/_impl/__init__.py", "from .core import run\n")
    repo.write("pkg/_impl/core.py", "def run(a):\n    pass\n")
    repo.commit("base")
    repo.write(
        "pkg/_api.py",
        "def get(url):\n    pass\n\ndef post():\n    pass\n"
        "\nclass Session:\n    def close(self):\n        pass\n",
    )
    repo.write("pkg/_impl/core.py", "def run():\n    pass\n")
    result, data = run_diff(repo, cli, "--base", "HEAD")
    assert result.code == 0, result.err
    found = {(c["path"], c["symbol"]): c["reasons"] for c in data["changes"]}
    assert found == {
        ("pkg/_api.py", "get"): ["parameter `proxies` removed"],
        ("pkg/_api.py", "Session.close"): ["parameter `force` removed"],
    }


def test_a_re_export_dropped_from_the_package_removes_the_name(repo: GitRepo, cli: CLI) -> None:
    """Deleting ``from ._api import get`` from ``__init__.py`` while ``_api.py`` changes too
    takes ``get`` out of the public API: a breaking removal."""
    repo.write("pkg/__init__.py", "from ._api import get\n")
    repo.write("pkg/_api.py", "def get(url):\n    pass\n")
    repo.commit("base")
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/_api.py", "def get(url, timeout=1):\n    pass\n")
    _, data = run_diff(repo, cli, "--base", "HEAD")
    [record] = records(data, "get")
    assert (record["change"], record["breaking"]) == ("removed", True)


def test_a_deleted_file_lists_its_public_symbols_as_removed(repo: GitRepo, cli: CLI) -> None:
    """Every public symbol of a deleted file is a breaking removal; a class's methods go with
    it in one record."""
    repo.write("pkg/old.py", PY_CLIENT + "\ndef helper():\n    pass\n\ndef _private():\n    pass\n")
    repo.write("pkg/keep.py", "def keep():\n    pass\n")
    repo.commit("base")
    (repo.root / "pkg/old.py").unlink()
    _, data = run_diff(repo, cli, "--base", "HEAD")
    assert [
        (c["symbol"], c["change"], c["breaking"], c["reasons"], c["line"]) for c in data["changes"]
    ] == [
        ("Client", "removed", True, ["file deleted"], 1),
        ("helper", "removed", True, ["file deleted"], 5),
    ]
    assert data["changes"][0]["path"] == "pkg/old.py"


def test_a_renamed_file_is_followed(repo: GitRepo, cli: CLI) -> None:
    """A file moved with ``git mv`` and edited is compared with its old self, under its new
    name: only the real change is reported."""
    body = "".join(f"def f{i}(a):\n    return {i}\n\n" for i in range(20))
    repo.write("pkg/old.py", body)
    repo.commit("base")
    repo.git("mv", "pkg/old.py", "pkg/new.py")
    repo.write("pkg/new.py", body.replace("def f3(a)", "def f3()"))
    _, data = run_diff(repo, cli, "--base", "HEAD")
    assert [(c["path"], c["symbol"], c["reasons"]) for c in data["changes"]] == [
        ("pkg/new.py", "f3", ["parameter `a` removed"])
    ]


def test_added_files_untracked_ones_too_only_add(repo: GitRepo, cli: CLI) -> None:
    """A new file, even one not yet added to git, adds its symbols: nothing breaks."""
    repo.write("README.md", "x\n")
    repo.commit("base")
    repo.write("src/lib.rs", "pub fn run() {}\n")
    result, data = run_diff(repo, cli, "--base", "HEAD", "--fail-on-breaking")
    assert result.code == 0
    assert [(c["symbol"], c["change"], c["breaking"]) for c in data["changes"]] == [
        ("run", "added", False)
    ]


def test_unreadable_sides_are_skipped_with_their_reason(repo: GitRepo, cli: CLI) -> None:
    """A binary file, one over the size cap and one that does not parse are listed as skipped
    with the reason, on the console and in the JSON; the run still succeeds."""
    repo.write("a/bin.py", "def f():\n    pass\n")
    repo.write("a/big.py", "def f():\n    pass\n")
    repo.write("a/broken.py", "def f():\n    pass\n")
    repo.write("a/fine.py", "def f():\n    pass\n")
    repo.commit("base")
    repo.write("a/bin.py", b"def f():\0\n")
    repo.write("a/big.py", "def f(a):\n    pass\n" + "#" * 500 + "\n")
    repo.write("a/broken.py", "def f(:\n")
    repo.write("a/fine.py", "def f(a):\n    pass\n")
    result, data = run_diff(repo, cli, "--base", "HEAD", "--max-bytes", "300")
    assert result.code == 0, result.err
    reasons = {item["path"]: item["reason"] for item in data["skipped"]}
    assert reasons == {
        "a/bin.py": "binary file (contains NUL bytes) in the new version",
        "a/big.py": "larger than the size cap (520 > 300 bytes) in the new version",
        "a/broken.py": "does not parse in the new version (syntax errors)",
    }
    assert "skipped  a/broken.py: does not parse in the new version (syntax errors)" in result.out
    assert [c["path"] for c in data["changes"]] == ["a/fine.py"]


def test_a_base_over_the_size_cap_is_skipped_without_reading_it(repo: GitRepo, cli: CLI) -> None:
    """The base's blob size is read from the tree first: one over the cap is skipped."""
    repo.write("big.go", "package big\n\nfunc F() {}\n" + "// x\n" * 100)
    repo.commit("base")
    repo.write("big.go", "package big\n\nfunc F(a int) {}\n")
    _, data = run_diff(repo, cli, "--base", "HEAD", "--max-bytes", "100")
    assert data["skipped"] == [
        {"path": "big.go", "reason": "larger than the size cap (525 > 100 bytes) at the base"}
    ]


def test_json_shape_exit_codes_and_table_order(repo: GitRepo, cli: CLI) -> None:
    """The JSON is ``{"version": 1, "base": SHA, "changes": [...]}`` with every record field;
    the table lists breaking changes first; ``--fail-on-breaking`` exits 1 only when
    something breaks."""
    repo.write("m.py", "def a(x):\n    pass\n\ndef b(x):\n    pass\n")
    base = repo.commit("base")
    repo.write("m.py", "def a(x, y=1):\n    pass\n\ndef b():\n    pass\n")
    result, data = run_diff(repo, cli, "--base", "HEAD")
    assert result.code == 0
    assert (data["version"], data["base"]) == (1, base)
    assert set(data["changes"][0]) == {
        "path",
        "symbol",
        "change",
        "breaking",
        "reasons",
        "old",
        "new",
        "line",
    }
    assert [c["symbol"] for c in data["changes"]] == ["b", "a"]
    lines = result.out.splitlines()
    assert lines[0].split() == ["BREAKING", "changed", "m.py:4", "b", "parameter", "`x`", "removed"]
    assert lines[1].split()[:3] == ["changed", "m.py:1", "a"]
    assert "2 public API change(s), 1 breaking" in result.err
    assert cli("diff", "--base", "HEAD", "--fail-on-breaking").code == 1
    repo.write("m.py", "def a(x, y=1):\n    pass\n\ndef b(x):\n    pass\n")
    assert cli("diff", "--base", "HEAD", "--fail-on-breaking").code == 0


def test_paths_narrow_the_comparison(repo: GitRepo, cli: CLI) -> None:
    """``PATHS`` keep only the changes of those files and folders."""
    repo.write("a/m.py", "def f(x):\n    pass\n")
    repo.write("b/m.py", "def f(x):\n    pass\n")
    repo.commit("base")
    repo.write("a/m.py", "def f():\n    pass\n")
    repo.write("b/m.py", "def f():\n    pass\n")
    _, data = run_diff(repo, cli, "--base", "HEAD", "b")
    assert [c["path"] for c in data["changes"]] == ["b/m.py"]


def test_an_unknown_ref_exits_2_with_one_line_naming_it(repo: GitRepo, cli: CLI) -> None:
    """A base that is no commit is a usage error (exit 2): one line, naming the ref."""
    repo.write("m.py", "def f():\n    pass\n")
    repo.commit("base")
    result = cli("diff", "--base", "no-such-branch")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "specgen: error: unknown git revision 'no-such-branch'"
    ]
    assert cli("diff").code == 2  # neither --base nor --github-event


def test_github_event_compares_the_pull_requests_merge_base_and_head(
    repo: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--github-event`` diffs the pull request's head commit against its merge base with the
    base branch: base-branch changes and the work tree are not part of it."""
    repo.write("m.py", "def f(a):\n    pass\n\ndef g(a):\n    pass\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("m.py", "def f():\n    pass\n\ndef g(a):\n    pass\n")
    head = repo.commit("pr")
    repo.git("checkout", "-q", "main")
    repo.write("m.py", "def f(a):\n    pass\n\ndef g():\n    pass\n")
    main_sha = repo.commit("main moves on")
    repo.write("m.py", "")  # the work tree is not what the pull request proposes
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"pull_request": {"number": 1, "base": {"sha": main_sha}, "head": {"sha": head}}}
        )
    )
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    result, data = run_diff(repo, cli, "--github-event")
    assert result.code == 0, result.err
    assert [(c["symbol"], c["reasons"]) for c in data["changes"]] == [
        ("f", ["parameter `a` removed"])
    ]


def test_diff_imports_no_model_sdk(repo: GitRepo) -> None:
    """``specgen diff`` is offline: a whole run never imports google.genai or an HTTP client."""
    repo.write("m.py", "def f(a):\n    pass\n")
    repo.commit("base")
    repo.write("m.py", "def f():\n    pass\n")
    code = (
        "import sys\n"
        "from specgen_action.cli import main\n"
        "code = main(['diff', '--base', 'HEAD'])\n"
        "heavy = [m for m in sys.modules if m.startswith(('google', 'httpx', 'stamina'))]\n"
        "print(code, ','.join(sorted(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.root, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "0 ", result.stdout + result.stderr


def test_a_module_that_becomes_a_package_keeps_its_api(repo: GitRepo, cli: CLI) -> None:
    """``pkg/data.py`` replaced by ``pkg/data/__init__.py`` (the same module) is compared with
    it: what the package still offers is not removed; what it dropped is; the private module
    it re-exports from adds its name."""
    repo.write("pkg/data.py", "def load(path):\n    pass\n\ndef dump(obj):\n    pass\n")
    repo.commit("base")
    (repo.root / "pkg/data.py").unlink()
    repo.write("pkg/data/__init__.py", "from ._load import load as load\n")
    repo.write("pkg/data/_load.py", "def load(path):\n    pass\n")
    _, data = run_diff(repo, cli, "--base", "HEAD")
    assert [(c["path"], c["symbol"], c["change"]) for c in data["changes"]] == [
        ("pkg/data/__init__.py", "dump", "removed"),
        ("pkg/data/_load.py", "load", "added"),
    ]


def test_dropping_a_re_export_alone_removes_the_name(repo: GitRepo, cli: CLI) -> None:
    """Only ``__init__.py`` changes: the private module it no longer re-exports from is
    compared too, and ``get`` (still defined there) has left the public API."""
    repo.write("pkg/__init__.py", "from ._api import get, post\n")
    repo.write("pkg/_api.py", "def get(url):\n    pass\n\ndef post(url):\n    pass\n")
    repo.commit("base")
    repo.write("pkg/__init__.py", "from ._api import post\n")
    _, data = run_diff(repo, cli, "--base", "HEAD")
    assert [(c["path"], c["symbol"], c["change"], c["reasons"]) for c in data["changes"]] == [
        ("pkg/_api.py", "get", "removed", ["no longer re-exported by a public package"])
    ]
