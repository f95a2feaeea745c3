"""The ``specgen`` command: flags -> Config -> real objects -> an exit code.

Exit codes, and which error class ends a run with which, are defined in
``errors`` (``EXIT_CODES``, ``exit_code``); ``main`` applies them.

Subcommands import what they need lazily, so ``specgen check`` never loads a
parser or google-genai.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from . import __version__
from .errors import (
    EXIT_CHANGED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    FileAccessError,
    SpecgenError,
    UsageError,
    exit_code,
    run_exit_code,
)

if TYPE_CHECKING:
    from .config import Config
    from .engine.batch import BatchOptions
    from .engine.budget import Budget
    from .engine.pipeline import GenerateOptions
    from .engine.scheduler import Priced
    from .providers.base import Provider
    from .report.model import RunReport
    from .select.selection import Filters, Selection
    from .signals import Stop
    from .specs.drift import SpecCheck

__all__ = ["EXIT_CHANGED", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

_KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (``sys.exit(main())`` in the console script)."""
    started = time.monotonic()  # the job-wide deadline counts from here
    parser = _parser()
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        if args.command == "generate":
            return _generate(args, env, started)
        if args.command == "check":
            return _check(args, env)
        if args.command == "diff":
            return _diff(args, env)
        return _report(args, env)
    except KeyboardInterrupt:
        print("specgen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SpecgenError as exc:
        from .text import safe

        print(f"specgen: error: {safe(str(exc))}", file=sys.stderr)
        return exit_code(exc)


def _generate(args: argparse.Namespace, env: dict[str, str], started: float) -> int:
    from .signals import stop_on_signals

    # From here on SIGINT and SIGTERM end the run the way the deadline does, with a report.
    with stop_on_signals() as stop:
        return _generate_until(args, env, started, stop)


def _generate_until(
    args: argparse.Namespace, env: dict[str, str], started: float, stop: Stop
) -> int:
    from dataclasses import replace

    from .engine.pipeline import generate
    from .providers.pricing import price_for
    from .report.console import ConsoleProgress, print_summary
    from .select.selection import parse_shard

    _mask_secrets(env)
    root, config, filters, out_dir = _setup(args, env)
    shard = parse_shard(args.shard) if args.shard else None
    selection = _select(args, root, filters, env, shard, out_dir)
    _say_notes(selection)
    if config.dry_run:
        return _dry_run(args, root, config, selection, out_dir)
    provider = _provider(config, env)
    price = price_for(provider.model, config.prices) if provider.model else None
    fallbacks = _fallbacks(config, provider)
    budget, batch = _budget_and_batch(config, [(provider, price), *fallbacks], env)
    options = replace(
        _options(args, root, config, out_dir),
        price=price,
        budget=budget,
        batch=batch,
        keep_model_specs=config.provider == "auto" and not provider.makes_calls,
        fallbacks=tuple(fallbacks),
    )
    # Offline runs take a blink; progress is for runs that wait on a model.
    progress = None
    if provider.makes_calls:
        live = sys.stderr.isatty() and "GITHUB_ACTIONS" not in env
        progress = ConsoleProgress(sys.stderr, live=live)
    try:
        report = generate(
            root, selection, provider, options, progress=progress, stop=stop, started=started
        )
    finally:
        if progress is not None:
            progress.close()
    _say_lines(report.notes)  # a cleaned batch record, a move to a fallback model: said once
    report.notes = [*selection.notes, *report.notes]
    if args.report:
        _write_report(report, args.report)
    print_summary(report, sys.stdout)
    if report.fatal is not None:
        from .text import safe

        print(f"specgen: error: {safe(report.fatal)}", file=sys.stderr)
    totals = report.totals
    # A moved spec names its old source, so it is rewritten and counted as written.
    # Pending (batch job still running) and kept (no key) files changed nothing.
    changed = totals.written + totals.cached + (totals.orphaned if args.prune else 0)
    code = run_exit_code(
        fatal=report.fatal is not None,
        interrupted=report.interrupted,
        unfinished=totals.failed + totals.timeout,
        changed=bool(args.fail_on_change and changed),
    )
    if code == EXIT_CHANGED:
        from .specs.writer import shown_path
        from .text import safe

        shown = shown_path(out_dir, root)
        stage = f"git add -A -- {shlex.quote(shown)}" if shown else "git add -A"
        print(
            f"specgen: specs changed; review them, stage them with `{safe(stage)}` "
            "and commit again",
            file=sys.stderr,
        )
    return code


def _options(
    args: argparse.Namespace, root: Path, config: Config, out_dir: Path
) -> GenerateOptions:
    """The run's options that a dry run shares with a real run."""
    from .config import resolve_path
    from .engine.pipeline import GenerateOptions
    from .engine.scheduler import Limits

    return GenerateOptions(
        out_dir=out_dir,
        limits=Limits.from_config(config),
        deadline_s=config.timeout,
        cache_dir=resolve_path(root, config.cache_dir) if config.cache else None,
        max_bytes=config.max_bytes,
        chunk_tokens=config.chunk_tokens,
        prune=args.prune,
        find_orphans=_selects_everything(args),
        shard=args.shard,
    )


def _dry_run(
    args: argparse.Namespace,
    root: Path,
    config: Config,
    selection: Selection,
    out_dir: Path,
) -> int:
    """``generate --dry-run``: the plan of the run, with no provider, call or write.

    With ``provider`` auto and no key, the plan is a Gemini run's: what the run
    would cost once a key is set is the answer worth having; only an explicit
    ``--provider static`` plans an offline run (no calls).
    """
    from .engine.pipeline import dry_run
    from .providers.base import Identity
    from .providers.pricing import price_for
    from .providers.prompts import PROMPT_VERSION
    from .providers.static import StaticProvider
    from .report.console import print_summary

    if config.provider == "static":
        offline = StaticProvider()
        chain: list[tuple[Identity, tuple[float, float] | None]] = [
            (Identity(offline.name, offline.model, offline.prompt_version), None)
        ]
    else:
        chain = [
            (Identity("gemini", name, PROMPT_VERSION), price_for(name, config.prices))
            for name in (config.model, *config.fallback_models)
        ]
    report = dry_run(root, selection, chain, _options(args, root, config, out_dir))
    report.notes = list(selection.notes)
    if args.report:
        _write_report(report, args.report)
    print_summary(report, sys.stdout)
    return EXIT_OK


def _check(args: argparse.Namespace, env: dict[str, str]) -> int:
    # No pydantic on this path unless a report is asked for: it runs on every commit.
    from collections import Counter

    from .specs.drift import PRE_COMMIT_FIX, check_specs, fix_command_for
    from .specs.writer import orphaned_sources, shown_out_dir
    from .text import safe

    started = time.monotonic()
    root, config, filters, out_dir = _setup(args, env)
    selection = _select(args, root, filters, env, None, out_dir)
    _say_notes(selection)
    # A rename whose spec has not moved yet leaves the old spec behind.
    orphans = {*selection.deleted, *(old for old, _ in selection.renamed)}
    if _selects_everything(args):
        orphans.update(orphaned_sources(root, out_dir))
    checks = check_specs(root, out_dir, selection.paths, sorted(orphans), config.max_bytes)
    shown_out = shown_out_dir(out_dir, root)
    if args.report:
        report = _check_report(checks, shown_out, time.monotonic() - started)
        report.notes = list(selection.notes)
        _write_report(report, args.report)
    for item in checks:
        if item.drifted:
            print(f"{item.state:<8} {safe(item.path)}")
    states = Counter(item.state for item in checks)
    drifted = [(item.path, item.state) for item in checks if item.drifted]
    if not drifted:
        print(f"specgen: {states['current']} spec(s) up to date", file=sys.stderr)
        return EXIT_OK
    counts = ", ".join(
        f"{states[name]} {name}" for name in ("missing", "stale", "orphaned") if states[name]
    )
    fix = f"`{safe(fix_command_for(drifted, shown_out) or 'specgen generate')}`"
    if args.pre_commit:
        fix += f" (with only the pre-commit hooks installed: `{PRE_COMMIT_FIX}`)"
    print(
        f"specgen: {len(drifted)} spec(s) out of date ({counts}); fix with {fix} "
        "and commit the result",
        file=sys.stderr,
    )
    return EXIT_CHANGED


def _diff(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .apidiff.command import event_diff, print_table, ref_diff
    from .text import safe

    if bool(args.base) == bool(args.github_event):
        raise UsageError("give one of --base REF and --github-event")
    root, config, filters, _ = _setup(args, env)
    if args.github_event:
        diff, note = event_diff(root, env, args.paths, filters, config.max_bytes)
        if note:
            print(f"specgen: {safe(note)}", file=sys.stderr)
    else:
        diff = ref_diff(root, args.base, args.paths, filters, config.max_bytes)
    if args.json:
        import json

        from .specs.writer import write_atomic

        try:
            write_atomic(Path(args.json), json.dumps(diff.to_json(), indent=2) + "\n")
        except OSError as exc:
            raise FileAccessError(f"cannot write {args.json}: {exc.strerror}") from None
    print_table(diff, sys.stdout)
    breaking = len(diff.breaking)
    print(
        f"specgen: {len(diff.changes)} public API change(s), {breaking} breaking, "
        f"in {diff.files} file(s) compared with {diff.base[:12] or 'nothing'}"
        + (f"; {len(diff.skipped)} skipped" if diff.skipped else ""),
        file=sys.stderr,
    )
    return EXIT_CHANGED if args.fail_on_breaking and breaking else EXIT_OK


def _check_report(checks: list[SpecCheck], shown_out: str, wall_s: float) -> RunReport:
    """``check`` as a RunReport (provider ``check``), so CI publishes it like a run.

    Specs keep check's own words: missing, stale and orphaned; a current spec is
    ``unchanged``. Nothing in it is ``failed``.
    """
    from datetime import UTC, datetime

    from .report.model import CHECK_PROVIDER, FileRecord, FileStatus, RunReport, finish_report

    status: dict[str, FileStatus] = {
        "current": "unchanged",
        "missing": "missing",
        "stale": "stale",
        "orphaned": "orphaned",
        "skipped": "skipped",
    }
    files = [
        FileRecord(path=check.path, status=status[check.state], reason=check.reason or None)
        for check in checks
    ]
    report = RunReport(
        tool_version=__version__,
        provider=CHECK_PROVIDER,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_s=round(wall_s, 3),
        out_dir=shown_out,
        files=files,
    )
    return finish_report(report)


def _report(args: argparse.Namespace, env: dict[str, str]) -> int:
    from .github.commands import in_github_actions
    from .github.comment import DEFAULT_DEADLINE_S
    from .github.publish import publish
    from .report.console import print_summary
    from .report.model import load_report, merge_reports

    report = merge_reports(load_report(Path(name)) for name in args.files)
    api = None
    if args.api_diff:
        from .apidiff.model import load_api_diff

        api = load_api_diff(args.api_diff)
    report_path = args.files[0]
    if args.json:
        _write_report(report, args.json)
        report_path = args.json
    if not (args.summary or in_github_actions(env)):
        print_summary(report, sys.stdout)  # the merged figures, for a terminal
    publish(
        report,
        report_path=report_path,
        env=env,
        summary=args.summary,
        comment=args.comment,
        stdout=sys.stdout,
        deadline_s=args.github_timeout or DEFAULT_DEADLINE_S,
        api=api,
        specs_commit=args.specs_commit,
    )
    return EXIT_OK


# -- wiring -----------------------------------------------------------------------------


class _Setup(NamedTuple):
    root: Path
    config: Config
    filters: Filters
    out_dir: Path
    """Resolved, and checked once here: nothing later asks whether it can be a directory."""


def _setup(args: argparse.Namespace, env: Mapping[str, str]) -> _Setup:
    from .config import build_config, flag_values, read_pyproject, resolve_path, setting_origins
    from .confine import check_cache_dir, check_out_dir_place
    from .select.selection import Filters, repo_root
    from .specs.writer import check_out_dir, shown_path

    root = repo_root(Path.cwd())
    layers = (flag_values(args), env, read_pyproject(root))
    config = build_config(*layers)
    origins = setting_origins(*layers)
    out_dir = resolve_path(root, config.out)
    check_out_dir(out_dir, config.out)
    check_out_dir_place(root, out_dir, config.out, origins["out"])
    if args.command == "generate" and config.cache:  # only generate reads and writes the cache
        cache_dir = resolve_path(root, config.cache_dir)
        check_cache_dir(root, cache_dir, config.cache_dir, origins["cache_dir"], out_dir)
    # Outside the repository ("") nothing selected can be inside the output directory.
    out_rel = shown_path(out_dir, root) or ""
    filters = Filters(tuple(config.include), tuple(config.exclude), out_rel)
    return _Setup(root, config, filters, out_dir)


def _select(
    args: argparse.Namespace,
    root: Path,
    filters: Filters,
    env: Mapping[str, str],
    shard: tuple[int, int] | None,
    out_dir: Path,
) -> Selection:
    from .select import selection as sel

    if sum(map(bool, _modes(args))) > 1:
        raise UsageError("choose one of PATHS, --staged, --since, --github-event, --all")
    if args.pre_commit and any(_modes(args)[1:]):
        raise UsageError("--pre-commit takes PATHS (as pre-commit passes them), no other selection")

    def has_spec(path: str) -> bool:
        from .errors import OutputPathError
        from .specs.writer import spec_path_for

        try:
            return spec_path_for(out_dir, path).is_file()
        except OutputPathError:
            return False

    if args.pre_commit:
        chosen = sel.select_pre_commit(root, args.paths, filters, has_spec)
    elif args.paths:
        chosen = sel.select_paths(root, args.paths, filters, has_spec)
    elif args.staged:
        chosen = sel.select_staged(root, filters)
    elif args.since:
        chosen = sel.select_since(root, args.since, filters)
    elif args.github_event:
        from .github.event import event_range, load_event

        event_name = env.get("GITHUB_EVENT_NAME", "")
        event_path = env.get("GITHUB_EVENT_PATH", "")
        if not event_name or not event_path:
            raise UsageError("--github-event needs GITHUB_EVENT_NAME and GITHUB_EVENT_PATH")
        rng = event_range(event_name, load_event(Path(event_path)))
        chosen = sel.select_event_range(root, rng, filters)
    else:
        chosen = sel.select_all(root, filters)
    return chosen if shard is None else sel.shard_of(chosen, shard)


def _say_notes(selection: Selection) -> None:
    _say_lines(selection.notes)


def _say_lines(lines: Sequence[str]) -> None:
    from .text import safe

    for line in lines:
        print(f"specgen: {safe(line)}", file=sys.stderr)


def _modes(args: argparse.Namespace) -> tuple[object, ...]:
    return (args.paths, args.staged, args.since, args.github_event, args.all)


def _selects_everything(args: argparse.Namespace) -> bool:
    """``--all``, or no selection at all (which means ``--all``, except under ``--pre-commit``)."""
    return bool(args.all) or not (any(_modes(args)) or args.pre_commit)


def _provider(config: Config, env: Mapping[str, str]) -> Provider:
    from .providers.static import StaticProvider

    vertex = env.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true")
    has_key = vertex or any(env.get(name) for name in _KEY_VARS)
    choice = config.provider
    if choice == "auto":
        choice = "gemini" if has_key else "static"
    if choice == "static":
        return StaticProvider()
    if not has_key:
        raise UsageError(
            "the gemini provider needs GEMINI_API_KEY or GOOGLE_API_KEY in the environment "
            "(or --provider static)"
        )
    import stamina.instrumentation

    # Retries are counted in the report; stamina's default log lines would print
    # server text unescaped.
    stamina.instrumentation.set_on_retry_hooks([])
    from .providers.gemini import make_gemini_provider

    return make_gemini_provider(model=config.model, request_timeout_s=config.request_timeout)


def _fallbacks(config: Config, provider: Provider) -> list[Priced]:
    """A provider for each of ``fallback_models``, sharing the configured one's client."""
    if not config.fallback_models or not provider.makes_calls:
        return []
    from .providers.gemini import GeminiProvider
    from .providers.pricing import price_for

    if not isinstance(provider, GeminiProvider):
        return []
    return [
        (provider.with_model(name), price_for(name, config.prices))
        for name in config.fallback_models
    ]


def _budget_and_batch(
    config: Config,
    chain: Sequence[Priced],
    env: Mapping[str, str],
) -> tuple[Budget | None, BatchOptions | None]:
    """The run's ``--max-cost`` budget and ``--batch`` options, checked against the models."""
    from .engine.batch import BatchOptions
    from .engine.budget import Budget

    provider = chain[0][0]
    budget = None
    if config.max_cost is not None and provider.makes_calls:
        for each, price in chain:
            if price is None:
                raise UsageError(
                    f"--max-cost needs the price of model {each.model}: add it to "
                    "[tool.specgen] prices as [input, output] USD per million tokens"
                )
            if not any(price):
                _say_lines(
                    [
                        f"warning: model {each.model} is priced at 0, so --max-cost "
                        "bounds nothing it spends"
                    ]
                )
        from .providers.gemini_request import MAX_OUTPUT_TOKENS

        budget = Budget(config.max_cost, MAX_OUTPUT_TOKENS)
    if not config.batch:
        return budget, None
    if provider.name != "gemini":
        raise UsageError("--batch sends Gemini Batch API jobs: it needs the gemini provider")
    if env.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true"):
        raise UsageError("--batch works with the Gemini Developer API, not Vertex AI")
    if not config.cache:
        raise UsageError("--batch keeps its jobs and answers in the cache: drop --no-cache")
    from .text import safe

    def say(line: str) -> None:
        print(f"specgen: {safe(line)}", file=sys.stderr, flush=True)

    return budget, BatchOptions(poll_s=config.batch_poll, say=say)


def _mask_secrets(env: Mapping[str, str]) -> None:
    from .github.commands import in_github_actions, mask_secrets

    if in_github_actions(env):
        for line in mask_secrets(env):
            print(line, flush=True)


def _write_report(report: RunReport, name: str) -> None:
    from .specs.writer import write_atomic

    path = Path(name)
    try:
        write_atomic(path, report.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise FileAccessError(f"cannot write the report to {path}: {exc.strerror}") from None


# -- argument parsing -------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from .config import add_setting_options

    parser = _Parser(
        prog="specgen",
        description="Keep an up-to-date Markdown spec beside every source file.",
    )
    parser.add_argument("--version", action="version", version=f"specgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = commands.add_parser("generate", help="write or update specs for the selected files")
    _selection_args(gen)
    add_setting_options(gen, "generate")
    gen.add_argument("--report", metavar="FILE", help="write the JSON RunReport here")
    gen.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when a spec was written or changed"
    )
    gen.add_argument("--shard", metavar="K/N", help="only files in shard K of N")
    gen.add_argument("--prune", action="store_true", help="remove specs whose source is gone")

    chk = commands.add_parser("check", help="offline: exit 1 listing missing or stale specs")
    _selection_args(chk)
    add_setting_options(chk, "check")
    chk.add_argument("--report", metavar="FILE", help="write the result as a JSON RunReport")

    dif = commands.add_parser(
        "diff", help="offline: the public API changes since a commit, breaking ones first"
    )
    dif.add_argument("paths", nargs="*", metavar="PATHS", help="only these files or directories")
    dif.add_argument("--base", metavar="REF", help="compare the work tree with this commit")
    dif.add_argument(
        "--github-event", action="store_true", help="compare the pull request's base and head"
    )
    dif.add_argument("--json", metavar="FILE", help="write the changes here as JSON")
    dif.add_argument(
        "--fail-on-breaking", action="store_true", help="exit 1 when a change breaks callers"
    )
    add_setting_options(dif, "diff")

    rep = commands.add_parser("report", help="merge reports; publish them to GitHub")
    rep.add_argument("files", nargs="+", metavar="FILE")
    rep.add_argument("--summary", action="store_true", help="write the step summary")
    rep.add_argument("--comment", action="store_true", help="create or update the PR comment")
    rep.add_argument("--json", metavar="OUT", help="write the merged report here")
    rep.add_argument(
        "--github-timeout",
        type=_seconds,
        metavar="S",
        help="give the PR comment up (a warning) after S seconds, all its calls together "
        "(default 60)",
    )
    rep.add_argument(
        "--api-diff", metavar="FILE", help="open with these API changes (specgen diff --json)"
    )
    rep.add_argument(
        "--specs-commit", metavar="SHA", help="link the specs at this commit (default: the head)"
    )
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def _selection_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("paths", nargs="*", metavar="PATHS", help="files or directories")
    sub.add_argument("--staged", action="store_true", help="files staged for commit")
    sub.add_argument("--since", metavar="REF", help="files changed in REF...HEAD")
    sub.add_argument("--github-event", action="store_true", help="files changed by this event")
    sub.add_argument(
        "--all", action="store_true", help="every file that matches, tracked or new (not ignored)"
    )
    sub.add_argument(
        "--pre-commit",
        action="store_true",
        help="as a pre-commit hook: PATHS filtered like --all, plus the renames and deletions "
        "staged in the index (no PATHS: only those)",
    )
