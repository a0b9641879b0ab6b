"""Benchmarks (filled in below)."""


def cases() -> list:
    return []
