"""``clip``: the one way outside text is shortened."""

from __future__ import annotations

from specgen_action.text import clip


def test_clip_keeps_short_text_whole() -> None:
    """Text within the limit is kept whole."""
    assert clip("abc", 3) == "abc"
    assert clip("abc", None) == "abc"
    assert clip("", 0) == ""


def test_clip_cuts_to_the_limit_marker_included() -> None:
    """Clipping cuts to the limit, the marker included."""
    assert clip("abcdef", 4) == "abc…"
    assert clip("abcdef", 4, marker="...") == "a..."
    assert len(clip("x" * 100, 60, marker="...")) == 60


def test_clip_can_keep_the_tail() -> None:
    """Clipping can keep the tail, for paths."""
    assert clip("src/deep/module.py", 12, marker="...", keep_tail=True) == "...module.py"
    assert clip("abcdef", 1, marker="...", keep_tail=True) == "..."


def test_clip_at_a_word_keeps_whole_words_then_the_marker() -> None:
    """Clipping at a word keeps whole words, then the marker."""
    assert clip("one two three", 9, marker=" …", at_word=True) == "one two …"
    assert clip("one two three", 7, marker=" …", at_word=True) == "one two …"
    assert clip("one two", 7, marker=" …", at_word=True) == "one two"
