"""Fakes of the services specgen talks to, over real HTTP on 127.0.0.1.

``gemini_server`` speaks the Gemini REST wire format the google-genai SDK
uses, ``gemini_batch`` its Batch API (both send through ``_wire``, and neither
imports the other back); ``github_api`` the GitHub REST calls of the sticky PR
comment. The tests
and the benchmarks both drive specgen against them, so they belong to neither:
nothing here imports ``tests`` or ``benchmarks`` (the Gemini fake reads the
prompt's markers from ``specgen_action``), and it is not part of the installed
package. Import it from the repository root: pytest does, and the benchmarks
run as ``python -m benchmarks.bench_x``.
"""
