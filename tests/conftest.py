from __future__ import annotations

from pathlib import Path

import pytest

from testing.git_repo import make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A new, empty git repository with an author configured."""
    return make_repo(tmp_path / "repo")
