"""Benchmarks for Agora, run by hand: `python -m bench` lists them (http, seed --comparison, pages, search, ...)."""
