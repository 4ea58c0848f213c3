"""Benchmarks for Agora: `python -m bench.pages` seeds a large SQLite database and times the main pages."""
