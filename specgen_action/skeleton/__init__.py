"""A file's skeleton: what its parse tree shows, which every provider builds on.

``build_skeleton`` reads one parse of a file and states only what the parse
shows: the purpose from the module docstring or leading comment, every public
symbol with its signature as the source lays it out (dedented, comments
dropped), line range, documentation and deprecation notice, the imported
modules, and the exception names raised. The Gemini provider writes its prose
on top of it, so signatures are never invented; the static provider adds the
symbols' own documentation and nothing else.

Public means: Python, no leading underscore, or listed in a literal
``__all__`` when there is one (methods of public classes too, dunder methods
included; an imported name in ``__all__`` is a re-export); JavaScript/
TypeScript, exported (``export``, ``export {...}``, ``export ... from``,
CommonJS ``exports``), or every top-level declaration of a file that exports
nothing (a script), with class members that are not ``private`` or
``#private`` (constructor parameter properties too); Go, capitalised; Rust,
``pub`` (inline ``pub mod`` contents, ``pub use``, ``#[macro_export]`` macros
and a trait's associated types and constants too); Java, ``public`` or
``protected`` (and interface members). Protected members keep the ordinary
kind; their signature says ``protected``. Every overload is listed; one name
may be both a type and a value.

The extractors walk the tree by hand rather than running the grammars'
``TAGS_QUERY`` definition queries: those carry no visibility (``pub``,
``export``, ``public``, ``__all__``), match definitions nested in function
bodies, leave out constants, fields, variables, re-exports and (Go) grouped
``var`` blocks, and the TypeScript package ships none, so filtering their
matches would take more code than the walk.

The modules below are private to this package, and so are their names (a
leading underscore even where a sibling module imports them). Read them top
down: ``_skeleton`` (one file: dispatch to a
language, then imports and raised errors), ``_purpose`` (the file's one-line
purpose), one module per language (``_python``, ``_javascript`` for JavaScript,
TypeScript and TSX, ``_go``, ``_rust``, ``_java``) and ``_text`` for files
without a grammar; all of them build on ``_common`` (the ``_File`` being
filled in, signatures, doc comments, exception names) and ``_docs`` (the text
of docstrings and comments). Imports only flow in that order, downwards.
"""

from __future__ import annotations

from ._docs import _summary as doc_summary
from ._skeleton import build_skeleton, public_symbols

__all__ = ["build_skeleton", "doc_summary", "public_symbols"]
