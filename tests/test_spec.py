"""Assembly is grounded on the parsed skeleton."""

from __future__ import annotations

from specgen_action.specs.model import ChunkAnalysis, FileSpec, Symbol, SymbolNote, assemble

SKELETON = FileSpec(
    source="m.py",
    language="python",
    purpose="From the docstring.",
    symbols=[
        Symbol(name="a", kind="function", signature="def a()", line_start=1, line_end=2),
        Symbol(name="B.c", kind="method", signature="def c(self)", line_start=4, line_end=5),
    ],
)


def test_prose_attaches_to_known_symbols_and_invented_ones_are_dropped() -> None:
    """The model's prose attaches to the parser's symbols; notes on symbols it invented are
    dropped.
    """
    analysis = ChunkAnalysis(
        purpose="Does a thing.",
        symbols=[
            SymbolNote(name="a", description="Runs a."),
            SymbolNote(name="ghost", description="Made up."),
        ],
        behaviour=["x", "x", "  y  "],
    )
    spec, dropped = assemble(SKELETON, [analysis])
    assert dropped == 1
    assert [s.name for s in spec.symbols] == ["a", "B.c"]
    assert spec.symbols[0].description == "Runs a."
    assert spec.symbols[0].signature == "def a()"
    assert spec.purpose == "Does a thing."
    assert spec.behaviour == ["x", "y"]


def test_synthesis_wins_for_file_level_prose() -> None:
    """For a multi-chunk file the synthesis gives the file-level prose; chunk notes keep their
    symbols.
    """
    chunks = [
        ChunkAnalysis(purpose="part 1", symbols=[SymbolNote(name="a", description="A.")]),
        ChunkAnalysis(purpose="part 2", symbols=[SymbolNote(name="B.c", description="C.")]),
    ]
    synthesis = ChunkAnalysis(purpose="Whole file.", behaviour=["z"], edge_cases=["e"])
    spec, dropped = assemble(SKELETON, chunks, synthesis)
    assert dropped == 0
    assert spec.purpose == "Whole file."
    assert (spec.behaviour, spec.edge_cases) == (["z"], ["e"])
    assert [s.description for s in spec.symbols] == ["A.", "C."]


def test_empty_model_purpose_keeps_the_parsed_one() -> None:
    """An empty purpose from the model keeps the one parsed from the docstring."""
    spec, _ = assemble(SKELETON, [ChunkAnalysis(purpose="  ")])
    assert spec.purpose == "From the docstring."


def test_a_note_on_an_overloaded_name_fills_only_undocumented_overloads() -> None:
    """A note on an overloaded name fills only the overloads without their own documentation."""
    sort = Symbol(name="sort", kind="method", signature="", line_start=1, line_end=1)
    skeleton = FileSpec(
        source="Arrays.java",
        language="java",
        symbols=[
            sort.model_copy(update={"signature": "void sort(int[] a)", "description": "Sorts."}),
            sort.model_copy(update={"signature": "void sort(long[] a)", "line_start": 2}),
            sort.model_copy(update={"signature": "void sort(int[] a, int from)", "line_start": 3}),
        ],
    )
    note = SymbolNote(name="sort", description="Sorts an array.")
    spec, _ = assemble(skeleton, [ChunkAnalysis(purpose="", symbols=[note])])
    assert [s.description for s in spec.symbols] == ["Sorts.", "Sorts an array.", "Sorts an array."]
