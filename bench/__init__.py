"""Benchmarks for derive; run them with ``python bench/run.py`` (see bench/README.md)."""
