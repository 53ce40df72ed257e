"""bench.load in small: simulated users through the Procfile's real server, on SQLite and PostgreSQL, with storage faults.

Every run is bounded (a few seconds, 8 users), on 127.0.0.1 only, and stops its server. The full
runs are ``python -m bench.load --backend sqlite|postgres --users 20 --seconds 20 [--fault]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from ask_sdk_core.exceptions import PersistenceException
from conftest import Alexa
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    MAX_USERS,
    FaultUnavailable,
    LoadConfig,
    PostgresBackend,
    check_response,
    run_load,
    session_place,
)

pytestmark = pytest.mark.e2e
USERS = 8



def assert_clean(report: dict[str, Any], *, allowed: set[str] = frozenset()) -> None:
    """No 5xx, no invalid answer, no lost or foreign progress, one log line per request, no raw ids."""
    unexpected = {kind: n for kind, n in report["errors"].items() if kind not in allowed}
    assert not unexpected, (unexpected, report["error_samples"][:5])
    assert report["requests"] > 10 * USERS and report["conversations"] >= USERS
    assert report["final"]["users_checked"] == USERS
    assert report["log"]["request_lines"] == report["log"]["responses"]
    assert report["latency_ms"]["p50"] is not None


def test_load_on_sqlite() -> None:
    report = run_load(LoadConfig("sqlite", users=USERS, seconds=3))
    assert_clean(report)
    assert report["ok"]


def test_load_on_postgres(postgres_url: str) -> None:
    report = run_load(LoadConfig("postgres", users=USERS, seconds=3, database_url=postgres_url))
    assert_clean(report)
    assert report["ok"]


def run_fault(config: LoadConfig) -> dict[str, Any]:
    try:
        return run_load(config)
    except FaultUnavailable as err:
        pytest.skip(f"this machine cannot simulate the storage fault: {err}")


def assert_survived_the_outage(report: dict[str, Any]) -> None:
    """Answered throughout, recovered, and never stored a place the user's sessions did not reach."""
    assert_clean(report)
    window = report["fault_window"]
    assert window["start"] is not None and window["end"] is not None
    assert window["responses_during"] > 0              # kept answering while storage was down ...
    assert window["recovered_after"] is not None        # ... and /healthz saw it come back
    assert window["unsaved_during"] > 0, "the fault did not make any save fail"


def test_sqlite_made_read_only_mid_run() -> None:
    report = run_fault(LoadConfig("sqlite", users=USERS, seconds=5, fault=True, fault_at=1.5, fault_seconds=1.5))
    assert_survived_the_outage(report)


def test_postgres_connections_killed_mid_run(postgres_url: str) -> None:
    report = run_fault(LoadConfig("postgres", users=USERS, seconds=7, fault=True, fault_at=1.5, fault_seconds=1.5,
                                  database_url=postgres_url))
    assert_survived_the_outage(report)
    assert "terminated" in report["fault_window"]["action"]


def test_a_goodbye_never_claims_a_save_that_failed(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    store = app.extensions["foot_coach_store"]
    alexa = Alexa(app.test_client())
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise={"value": "toe walking", "id": "toe_walk"})

    def storage_down(*args: Any, **kwargs: Any) -> Any:
        raise PersistenceException("simulated: storage is down")

    monkeypatch.setattr(store, "update_attributes", storage_down)
    monkeypatch.setattr(store, "save_attributes", storage_down)
    alexa.say("AMAZON.YesIntent")                    # this turn's save fails
    place = session_place(alexa.attributes)
    alexa.wait(150)                                  # the turn has played to its end
    goodbye = alexa.say("AMAZON.StopIntent")         # and so does the stop's
    monkeypatch.undo()
    stored = store.get_attributes(rq.to_model(rq.launch())).get("place")
    assert place is not None and stored != place     # the place really was not saved ...
    assert "remember where you stopped" not in goodbye.text, goodbye.text   # ... so do not say it was


def test_the_checks_themselves() -> None:
    """The response check and the bounds, without a server."""
    ssml = '<speak>a<break time="2s"/></speak>'
    good = json.dumps({"version": "1.0", "response": {"outputSpeech": {"type": "SSML", "ssml": ssml}}}).encode()
    assert check_response(good)[0] is None
    for bad in (b"{}", b'{"version": "1.0", "response": {"shouldEndSession": false}}', b"NaN",
                good.replace(b"2s", b"11s"), good.replace(b"</speak>", b"")):
        assert check_response(bad)[0] is not None, bad
    assert session_place({"question": "resume_paused", "position": {"exercise_id": "x"}}) == {"exercise_id": "x"}
    assert session_place({"question": "start_routine", "position": {"exercise_id": "x"}}) is None
    capped = LoadConfig(users=10**6, seconds=10**6, max_requests=10**12).bounded()
    assert capped.users == MAX_USERS and capped.seconds <= 600 and capped.max_requests <= 1_000_000
    with pytest.raises(ValueError, match="127.0.0.1 only"):
        PostgresBackend("postgresql://postgres@db.example.com/test", "x")
    backend = PostgresBackend("postgresql://postgres@127.0.0.1:5432/test?connect_timeout=3&application_name=y", "abc")
    assert backend.url == ("postgresql://postgres@127.0.0.1:5432/footcoach_load_abc"
                           "?connect_timeout=3&application_name=foot-coach-load-abc")
