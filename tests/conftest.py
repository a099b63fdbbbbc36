from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from testing.git_repo import make_repo

# Hypothesis fails an example that takes over 200 ms: a timing assertion, which on a loaded
# two-core machine failed test_sanitize's workflow-command property once at random.
settings.register_profile("binance-guard", deadline=None)
settings.load_profile("binance-guard")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: runs the real pre-commit framework (builds a hook environment)"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A new, empty git repository with an author configured."""
    return make_repo(tmp_path / "repo")
