"""Spec files: the model, its Markdown rendering, atomic writing and drift checks."""
