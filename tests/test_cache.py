"""The content-addressed cache: keys cover every input, bad entries never fail a run."""

from __future__ import annotations

from pathlib import Path

from specgen_action.engine.cache import AnswerCache, cache_key, load_cached, store_cached
from specgen_action.specs.model import ChunkAnalysis

BASE = {
    "text": "def f(): pass\n",
    "language": "python",
    "provider": "gemini",
    "model": "m",
    "prompt_version": 1,
    "kind": "chunk",
}


def test_key_covers_every_input() -> None:
    """Changing any input of a request (text, language, provider, model, prompt version, kind)
    changes its cache key.
    """
    keys = {cache_key(**BASE)}  # type: ignore[arg-type]
    for field, other in [
        ("text", "def g(): pass\n"),
        ("language", "text"),
        ("provider", "static"),
        ("model", "n"),
        ("prompt_version", 2),
        ("kind", "synthesis"),
    ]:
        keys.add(cache_key(**{**BASE, field: other}))  # type: ignore[arg-type]
    assert len(keys) == 7
    assert cache_key(**BASE) == cache_key(**BASE)  # type: ignore[arg-type]


def test_round_trip_and_disabled(tmp_path: Path) -> None:
    """A stored answer loads back equal; with no cache directory nothing is stored."""
    analysis = ChunkAnalysis(purpose="p", behaviour=["b"])
    key = cache_key(**BASE)  # type: ignore[arg-type]
    assert load_cached(tmp_path, key) is None
    store_cached(tmp_path, key, analysis)
    assert load_cached(tmp_path, key) == analysis
    store_cached(None, key, analysis)
    assert load_cached(None, key) is None
    assert not list(tmp_path.rglob(".tmp-*"))
    # A cache kept inside the repository ignores itself, so it is never selected or committed.
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_corrupt_entry_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    """A corrupt cache entry is a miss and is replaced by the next store."""
    key = cache_key(**BASE)  # type: ignore[arg-type]
    store_cached(tmp_path, key, ChunkAnalysis(purpose="p"))
    (entry,) = tmp_path.rglob("*.json")
    entry.write_bytes(b'{"purpose": ')
    assert load_cached(tmp_path, key) is None
    store_cached(tmp_path, key, ChunkAnalysis(purpose="q"))
    assert load_cached(tmp_path, key) == ChunkAnalysis(purpose="q")


def test_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    """A cache directory that cannot be created is skipped, not fatal."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store_cached(blocker, cache_key(**BASE), ChunkAnalysis(purpose="p"))  # type: ignore[arg-type]
    assert load_cached(blocker, cache_key(**BASE)) is None  # type: ignore[arg-type]


def test_answer_cache_keys_each_request_by_provider_model_and_prompt(tmp_path: Path) -> None:
    """AnswerCache looks up and stores each request under the key of its provider, model and prompt
    version.
    """
    cache = AnswerCache(tmp_path, "gemini", "m", 1)
    key, found = cache.lookup(text="def f(): pass\n", language="python", kind="chunk")
    assert found is None
    assert key == cache_key(**BASE)  # type: ignore[arg-type]
    cache.store(key, ChunkAnalysis(purpose="p"))
    assert cache.lookup(text="def f(): pass\n", language="python", kind="chunk") == (
        key,
        ChunkAnalysis(purpose="p"),
    )
    for other in (
        AnswerCache(tmp_path, "gemini", "other-model", 1),
        AnswerCache(tmp_path, "gemini", "m", 2),
        AnswerCache(None, "gemini", "m", 1),  # --no-cache
    ):
        assert other.lookup(text="def f(): pass\n", language="python", kind="chunk")[1] is None
    assert cache.lookup(text="def f(): pass\n", language="python", kind="synthesis")[1] is None


def test_a_key_that_is_not_a_digest_is_refused(tmp_path: Path) -> None:
    """A key shaped like a path (from a poisoned batch record) is neither written nor read."""
    cache = AnswerCache(tmp_path / "cache", "gemini", "m", 1)
    target = tmp_path / "x" / "PWNED"
    for key in (".." + str(target), "../../x/PWNED", "A" * 64, "0" * 63, "0" * 64 + "/"):
        cache.store(key, ChunkAnalysis(purpose="p"))
        assert load_cached(cache.directory, key) is None
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "cache").exists()
