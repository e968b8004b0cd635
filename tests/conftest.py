"""Shared test setup: every test gets its own run-lock folder, so test runs on one machine
(or a user's real syncs) never hold each other's locks."""

import pytest

from sheetsync.sync import LOCK_DIR_ENV


@pytest.fixture(autouse=True)
def _own_lock_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path_factory.mktemp("locks")))
