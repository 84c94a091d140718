"""derive: check informal LaTeX derivations line by line."""

__version__ = "0.1.0"
