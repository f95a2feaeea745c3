"""Content-addressed analysis results on disk.

A key covers everything that can change an answer (the chunk text, its
language, provider, model, prompt and schema versions), so a hit is always safe
to reuse and nothing ever needs invalidating. A corrupt entry reads as a miss
and is overwritten by the next store: the cache can never fail a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..files import read_regular
from ..specs.model import SCHEMA_VERSION, ChunkAnalysis

if TYPE_CHECKING:
    from ..providers.base import Producer

__all__ = ["AnswerCache", "cache_key", "ensure_cache_dir", "load_cached", "store_cached"]

_KEY = re.compile(r"[0-9a-f]{64}")
"""What ``cache_key`` makes: the only keys the cache reads or writes."""
_MAX_ENTRY = 4 << 20
"""An answer is cut at the model's output limit, far below this; a larger entry is not one."""


def cache_key(
    *, text: str, language: str, provider: str, model: str | None, prompt_version: int, kind: str
) -> str:
    """The hex key of one analysis; ``kind`` is ``chunk`` or ``synthesis``."""
    header = json.dumps(
        [kind, language, provider, model, prompt_version, SCHEMA_VERSION], ensure_ascii=True
    )
    digest = hashlib.sha256(header.encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def load_cached(cache_dir: Path | None, key: str) -> ChunkAnalysis | None:
    """The stored analysis for ``key``, or None on a miss, a disabled cache, a bad entry or key."""
    if cache_dir is None or (path := _entry(cache_dir, key)) is None:
        return None
    try:
        return ChunkAnalysis.model_validate_json(read_regular(path, _MAX_ENTRY))
    except (OSError, ValidationError, ValueError):
        return None


def store_cached(cache_dir: Path | None, key: str, analysis: ChunkAnalysis) -> None:
    """Store ``analysis`` atomically; a cache that cannot be written (or a bad key) is skipped."""
    if cache_dir is None or (path := _entry(cache_dir, key)) is None:
        return
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(cache_dir)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(analysis.model_dump_json().encode())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        # A read-only or full disk must not fail the run: the result is already in memory.
        return


def ensure_cache_dir(cache_dir: Path) -> None:
    """Create ``cache_dir`` (git-ignored) for files kept beside the entries; raises OSError."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    _ignore_in_git(cache_dir)


@dataclass(frozen=True)
class AnswerCache:
    """One provider's answers on disk, looked up before a request is sent.

    The scheduler asks it first, so a cached request never takes a place in a
    call; what a call brings back is stored per request, whatever call carried
    it. Keys cover the request's text and language and the provider, model and
    prompt version, so a new prompt or model never reuses an old answer.
    Without a directory every lookup misses and nothing is stored.
    """

    directory: Path | None
    provider: str
    model: str | None
    prompt_version: int

    @classmethod
    def of(cls, provider: Producer, directory: Path | None) -> AnswerCache:
        """The cache of ``provider``'s answers in ``directory`` (None: no cache)."""
        return cls(directory, provider.name, provider.model, provider.prompt_version)

    def key(self, *, text: str, language: str, kind: str) -> str:
        """The key of a request's answer; ``kind``: chunk or synthesis."""
        return cache_key(
            text=text,
            language=language,
            provider=self.provider,
            model=self.model,
            prompt_version=self.prompt_version,
            kind=kind,
        )

    def lookup(self, *, text: str, language: str, kind: str) -> tuple[str, ChunkAnalysis | None]:
        """The request's key, and its stored answer or None; ``kind``: chunk or synthesis."""
        key = self.key(text=text, language=language, kind=kind)
        return key, load_cached(self.directory, key)

    def store(self, key: str, analysis: ChunkAnalysis) -> None:
        """Keep ``analysis`` as the answer for ``key`` (skipped when it cannot be written)."""
        store_cached(self.directory, key, analysis)


def _ignore_in_git(cache_dir: Path) -> None:
    # A cache inside the repository must never be selected or committed.
    marker = cache_dir / ".gitignore"
    if os.path.lexists(marker):
        return
    # O_EXCL never follows a symlink: a link restored in the cache cannot redirect this write.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with (
        contextlib.suppress(FileExistsError),
        os.fdopen(os.open(marker, flags, 0o666), "w", encoding="utf-8") as handle,
    ):
        handle.write("*\n")


def _entry(cache_dir: Path, key: str) -> Path | None:
    """Where ``key``'s answer lives, or None when that place is not a plain file of the cache.

    A key is a SHA-256 hex digest and nothing else, so it can never name a path
    outside. A restored cache is untrusted too: a symlinked entry or folder must
    not lead a read or a write out of ``cache_dir``.
    """
    if not _KEY.fullmatch(key):
        return None
    path = cache_dir / key[:2] / f"{key[2:]}.json"
    # realpath, unlike Path.resolve, never raises (a symlink loop included).
    if Path(os.path.realpath(path.parent)).parent != Path(os.path.realpath(cache_dir)):
        return None
    if path.parent.is_symlink() or path.is_symlink():
        return None
    return path
