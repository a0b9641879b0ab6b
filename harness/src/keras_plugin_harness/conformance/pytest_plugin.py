"""pytest plugin (entry point ``pytest11``): options and per-process backend setup.

Loaded by every pytest run in an environment where the harness is installed, so it stays cheap.
"""
