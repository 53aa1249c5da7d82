"""Where a desk keeps its team sessions (``inspector.team.sessions``): shared by the
command line and the console, owner-only, never a password."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.team import sessions

SESSION = {"user": "olga", "role": "operator", "token": "t0k3n", "expires_at": ""}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("INSPECTOR_CONFIG_DIR", str(folder))
    return folder


def test_kept_owner_only_one_per_server_and_forgotten(config: Path) -> None:
    assert sessions.saved_session("https://a.example") is None
    path = sessions.save_session("https://a.example", SESSION)
    sessions.save_session("https://b.example", {**SESSION, "token": "other"})
    assert path == config.resolve() / "sessions.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert sessions.saved_session("https://a.example") == SESSION
    assert sessions.forget_session("https://a.example")
    assert not sessions.forget_session("https://a.example")
    assert sessions.saved_session("https://b.example")["token"] == "other"
    assert list(config.iterdir()) == [path]  # no temporary file left


def test_a_damaged_file_is_said_and_forgetting_replaces_it(config: Path) -> None:
    config.mkdir(mode=0o700)
    (config / "sessions.json").write_text("{not json")
    with pytest.raises(sessions.SessionsUnreadable, match="cannot read the saved sessions"):
        sessions.saved_session("https://a.example")
    assert sessions.forget_session("https://a.example")
    assert sessions.saved_session("https://a.example") is None


def test_expired_at() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    past = (now - timedelta(minutes=1)).isoformat()
    assert sessions.expired_at({"expires_at": past}, now) == now - timedelta(minutes=1)
    assert sessions.expired_at({"expires_at": (now + timedelta(hours=1)).isoformat()}, now) is None
    assert sessions.expired_at({"expires_at": "2026-12-03T11:00:00"}, now) is not None  # naive: UTC
    assert sessions.expired_at({"expires_at": "soon"}, now) is None  # the server decides
    assert sessions.expired_at({}, now) is None
