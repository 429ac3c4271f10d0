"""Starts a real `qoltanba serve` (sandbox, SQLite in a temporary folder) for the compatibility tests."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # integration/: qoltanba_server, shared with integration/browser
from qoltanba_server import serving  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("qoltanba")) as server:
        yield server
