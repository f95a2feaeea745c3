"""``redact``: every form and long fragment of a secret goes, and nothing else."""

from __future__ import annotations

from urllib.parse import quote

from specgen_action.redact import MASK, redact, redact_all

KEY = "sk-proxy.7Hq2Zp/9v+Wm=xR4!tL8_kQ3$eN6"


def test_the_secret_and_its_encodings_are_masked() -> None:
    """The secret is masked whole, URL-encoded and Markdown-escaped."""
    for form in (KEY, quote(KEY, safe=""), KEY.replace("-", "\\-").replace(".", "\\.")):
        assert redact(f"got {form} here", [KEY]) == f"got {MASK} here"


def test_fragments_long_enough_to_matter_are_masked_and_short_ones_kept() -> None:
    """Runs of 12 or more of the secret's characters are masked; shorter ones are kept."""
    assert redact(f"prefix {KEY[:14]}!", [KEY]) == f"prefix {MASK}!"
    assert redact(f"suffix {KEY[-13:]}", [KEY]) == f"suffix {MASK}"
    # Eleven characters or fewer reveal too little to be worth mangling the text.
    assert redact(f"short {KEY[:11]}", [KEY]) == f"short {KEY[:11]}"
    # Overlapping and adjacent echoes collapse into one mask each.
    assert redact(f"{KEY}{KEY} and {KEY}", [KEY]) == f"{MASK} and {MASK}"


def test_key_shaped_text_is_masked_in_error_text_only() -> None:
    """Key-shaped text (query keys, API key headers, bearer tokens) is masked in error text only."""
    text = "GET /v1?key=abc123&alt=json AIzaSyA-0123456789abcdefghijklmnop Bearer tok.en"
    assert redact(text, []) == f"GET /v1?key={MASK}&alt=json {MASK} Bearer {MASK}"
    assert redact("sort(key=len)", [], shapes=False) == "sort(key=len)"
    assert redact("x-goog-api-key: abc", []) == f"x-goog-api-key: {MASK}"


def test_short_secrets_are_masked_whole() -> None:
    """Short secrets are masked only whole; empty ones are ignored."""
    assert redact("k=abcd and abc", ["abcd"], shapes=False) == f"k={MASK} and abc"
    assert redact("nothing here", ["", "zzzz"]) == "nothing here"


def test_redact_all_reaches_keys_and_nested_values() -> None:
    """redact_all masks dictionary keys and nested values alike."""
    value = {"error": {KEY: [1, {"reason": KEY}], "code": 400}}
    assert redact_all(value, [KEY]) == {"error": {MASK: [1, {"reason": MASK}], "code": 400}}
