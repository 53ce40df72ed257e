"""Start-up says where progress goes when DATABASE_URL is unset, and that the file must survive restarts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from skill.app import create_app


def storage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "DATABASE_URL is not set" in r.getMessage()]


def test_without_database_url_the_log_names_the_sqlite_file_and_asks_for_a_persistent_disk(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The default is a file in the instance folder: fine on a VM's disk, lost on an ephemeral PaaS file system."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with caplog.at_level(logging.WARNING, logger="skill.app"):
        app = create_app({"SKILL_VERIFY_SIGNATURES": False})
    try:
        [message] = storage_warnings(caplog)
        path = Path(app.instance_path) / "footcoach.sqlite"
        assert str(path) in message and "persistent disk" in message and "PostgreSQL" in message
        assert app.config["DATABASE_URL"] == f"sqlite:///{path}"
        assert not path.exists(), "nothing is written before the first request"
    finally:
        app.extensions["foot_coach_store"].close()


@pytest.mark.parametrize("source", ["environment", "config"])
def test_a_chosen_database_is_not_warned_about(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """Whoever set DATABASE_URL chose where progress goes."""
    url = f"sqlite:///{tmp_path / 'chosen.sqlite'}"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if source == "environment":
        monkeypatch.setenv("DATABASE_URL", url)
    with caplog.at_level(logging.WARNING, logger="skill.app"):
        app = create_app({"SKILL_VERIFY_SIGNATURES": False, **({"DATABASE_URL": url} if source == "config" else {})})
    app.extensions["foot_coach_store"].close()
    assert storage_warnings(caplog) == []
