"""Keep an up-to-date Markdown specification beside every source file."""

__version__ = "1.0.0"
