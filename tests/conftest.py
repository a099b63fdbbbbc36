from __future__ import annotations

from pathlib import Path

import pytest

from testing.git_repo import make_repo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: runs the real pre-commit framework (builds a hook environment)"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A new, empty git repository with an author configured."""
    return make_repo(tmp_path / "repo")
