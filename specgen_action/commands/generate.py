"""``specgen generate``: bring the selected files' specs up to date (or plan it: ``--dry-run``)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_CHANGED, EXIT_OK, FatalProviderError, run_exit_code
from ._models import Models, models_for
from ._run import (
    error_message,
    mask_secrets,
    run_error,
    say_error,
    say_lines,
    select,
    selects_everything,
    setup,
    write_report,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..engine.context import RunContext
    from ..providers.base import Provider
    from ..report.console import ConsoleProgress
    from ..report.model import RunReport
    from ..select.selection import Selection
    from ..signals import Stop


def run(args: argparse.Namespace, env: dict[str, str], started: float) -> int:
    """Run ``generate``; returns its exit code. ``started`` starts the job-wide deadline."""
    from ..signals import stop_on_signals

    # From here on SIGINT and SIGTERM end the run the way the deadline does, with a report.
    with stop_on_signals() as stop:
        return _generate_until(args, env, started, stop)


def _generate_until(
    args: argparse.Namespace, env: dict[str, str], started: float, stop: Stop
) -> int:
    from ..engine.pipeline import generate
    from ..select.selection import parse_shard

    mask_secrets(env)
    root, config, filters, out_dir = setup(args, env)
    shard = parse_shard(args.shard) if args.shard else None
    selection = select(args, root, filters, env, shard, out_dir)
    say_lines(selection.notes)
    if config.dry_run:
        return _dry_run(args, root, config, selection, out_dir, started)
    models = models_for(config, env)
    progress = _progress(models.provider, env)
    context = _context(args, root, config, out_dir, started, models, progress, stop)
    try:
        report = generate(root, selection, models.provider, context)
    finally:
        if progress is not None:
            progress.close()
    say_lines(report.notes)  # a cleaned batch record, a move to a fallback model: said once
    report.notes = [*selection.notes, *report.notes]
    return _finish(args, report, root, out_dir)


def _progress(provider: Provider, env: dict[str, str]) -> ConsoleProgress | None:
    """The live display of a run that waits on a model; offline runs take a blink."""
    from ..report.console import ConsoleProgress

    if not provider.makes_calls:
        return None
    live = sys.stderr.isatty() and "GITHUB_ACTIONS" not in env
    return ConsoleProgress(sys.stderr, live=live)


def _context(
    args: argparse.Namespace,
    root: Path,
    config: Config,
    out_dir: Path,
    started: float,
    models: Models,
    progress: ConsoleProgress | None,
    stop: Stop,
) -> RunContext:
    """The run's one context: the settings, the model chain's terms, progress and the stop."""
    from dataclasses import replace

    provider = models.provider
    return replace(
        _settings(args, root, config, out_dir, started),
        price=models.price,
        fallbacks=tuple(models.fallbacks),
        budget=models.budget,
        batch=models.batch,
        keep_model_specs=config.provider == "auto" and not provider.makes_calls,
        progress=progress,
        stop=stop,
    )


def _finish(args: argparse.Namespace, report: RunReport, root: Path, out_dir: Path) -> int:
    """Write the report, print the summary and what is wrong; returns the run's exit code."""
    from ..report.console import print_summary

    # The report keeps the error's text; what stops a whole run is a FatalProviderError.
    fatal = FatalProviderError(report.fatal) if report.fatal is not None else None
    totals = report.totals
    # A moved spec names its old source, so it is rewritten and counted as written.
    # Pending (batch job still running) and kept (no key) files changed nothing.
    changed = totals.written + totals.cached + (totals.orphaned if args.prune else 0)
    code = run_exit_code(
        fatal=fatal,
        interrupted=report.interrupted,
        unfinished=totals.failed + totals.timeout,
        changed=bool(args.fail_on_change and changed),
    )
    message = error_message(fatal) if fatal is not None else None
    if message is not None:
        report.error = run_error(code, message)
    if args.report:
        write_report(report, args.report)
    print_summary(report, sys.stdout)
    if message is not None:
        say_error(message)
    if code == EXIT_CHANGED:
        from ..specs.writer import shown_path
        from ..text import safe

        shown = shown_path(out_dir, root)
        stage = f"git add -A -- {shlex.quote(shown)}" if shown else "git add -A"
        print(
            f"specgen: specs changed; review them, stage them with `{safe(stage)}` "
            "and commit again",
            file=sys.stderr,
        )
    return code


def _settings(
    args: argparse.Namespace, root: Path, config: Config, out_dir: Path, started: float
) -> RunContext:
    """The run's settings from ``config``, which a dry run shares with a real run."""
    from ..config import resolve_path
    from ..engine.context import Limits, RunContext

    return RunContext(
        out_dir=out_dir,
        limits=Limits.from_config(config),
        cache_dir=resolve_path(root, config.cache_dir) if config.cache else None,
        max_bytes=config.max_bytes,
        chunk_tokens=config.chunk_tokens,
        timeout_s=config.timeout,
        started=started,
        prune=args.prune,
        find_orphans=selects_everything(args),
        shard=args.shard,
    )


def _dry_run(
    args: argparse.Namespace,
    root: Path,
    config: Config,
    selection: Selection,
    out_dir: Path,
    started: float,
) -> int:
    """``generate --dry-run``: the plan of the run, with no provider, call or write.

    With ``provider`` auto and no key, the plan is a Gemini run's: what the run
    would cost once a key is set is the answer worth having; only an explicit
    ``--provider static`` plans an offline run (no calls).
    """
    from ..engine.pipeline import dry_run
    from ..providers.base import Identity
    from ..providers.pricing import price_for
    from ..providers.prompts import PROMPT_VERSION
    from ..providers.static import StaticProvider
    from ..report.console import print_summary

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
    report = dry_run(root, selection, chain, _settings(args, root, config, out_dir, started))
    report.notes = list(selection.notes)
    if args.report:
        write_report(report, args.report)
    print_summary(report, sys.stdout)
    return EXIT_OK
