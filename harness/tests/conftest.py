"""Session fixtures for the harness tests (helpers live in harness_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness_support import install_fixtures


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every fixture plugin's metadata (add it and FIXTURES to the path)."""
    return install_fixtures(tmp_path_factory.mktemp("fixture-site"))
