"""Benchmarks: each prints JSON and measures our figures beside a reference in the same run."""
