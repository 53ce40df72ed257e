"""The app factory: configuration, verification wiring, /healthz, and storage faults."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa
from signing import CertificateAuthority, ChainServer

from skill.app import create_app, settings_from_environ
from skill.webservice.verifier import SignatureVerifier

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


def test_environment_settings_are_read_and_verification_defaults_on() -> None:
    """SKILL_ID, SKILL_VERIFY_SIGNATURES and DATABASE_URL come from the environment; '0' switches checks off."""
    assert settings_from_environ({}) == {}
    assert settings_from_environ({"SKILL_VERIFY_SIGNATURES": "0"}) == {"SKILL_VERIFY_SIGNATURES": False}
    assert settings_from_environ({"SKILL_VERIFY_SIGNATURES": "1"}) == {"SKILL_VERIFY_SIGNATURES": True}
    settings = settings_from_environ({"SKILL_ID": " amzn1.ask.skill.x ", "DATABASE_URL": "sqlite:///a.sqlite"})
    assert settings == {"SKILL_ID": "amzn1.ask.skill.x", "DATABASE_URL": "sqlite:///a.sqlite"}


def test_turning_verification_off_is_logged_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """SKILL_VERIFY_SIGNATURES=0 leaves a warning in the log that says it is for local testing only."""
    with caplog.at_level(logging.WARNING):
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SKILL_VERIFY_SIGNATURES": False})
    app.extensions["foot_coach_store"].close()
    assert any("NOT checked" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert any("local testing only" in r.getMessage() for r in caplog.records)


def test_signed_requests_are_answered_and_unsigned_refused(tmp_path: Path) -> None:
    """With verification on, a request signed by a trusted chain gets the skill; one without gets 400."""
    ca = CertificateAuthority(now=datetime.now(timezone.utc))
    leaf = ca.issue()
    chains = ChainServer()
    chains.publish(CHAIN_URL, leaf.chain_pem())
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'signed.sqlite'}", "SKILL_ID": rq.SKILL_ID,
                      "SIGNATURE_VERIFIER": SignatureVerifier(trusted_roots=[ca.root], fetch=chains)})
    client = app.test_client()
    body = json.dumps(rq.launch()).encode()
    signed = client.post("/", data=body, content_type="application/json",
                         headers={"SignatureCertChainUrl": CHAIN_URL, "Signature-256": leaf.sign(body)})
    assert signed.status_code == 200
    assert "Welcome to Foot Coach" in signed.get_json()["response"]["outputSpeech"]["ssml"]
    unsigned = client.post("/", data=body, content_type="application/json")
    assert unsigned.status_code == 400
    stale_body = json.dumps(rq.launch(at=datetime(2020, 1, 1, tzinfo=timezone.utc))).encode()
    stale = client.post("/", data=stale_body, content_type="application/json",
                        headers={"SignatureCertChainUrl": CHAIN_URL, "Signature-256": leaf.sign(stale_body)})
    assert stale.status_code == 400
    app.extensions["foot_coach_store"].close()


def test_requests_for_another_skill_are_refused(client: Any) -> None:
    """With SKILL_ID set, a request addressed to another skill gets HTTP 400."""
    assert client.post("/", json=rq.launch(skill_id=rq.OTHER_SKILL_ID)).status_code == 400
    assert client.post("/", json=rq.launch()).status_code == 200


def test_healthz_reports_reachable_storage(client: Any) -> None:
    """GET /healthz is 200 with a small JSON status: a write probe, and the last save once there is one."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "storage": "reachable", "storage_check": "write probe",
                                   "last_save": None, "verification": "off"}
    Alexa(client).launch()
    last_save = client.get("/healthz").get_json()["last_save"]
    assert last_save["outcome"] == "saved" and 0 <= last_save["seconds_ago"] < 5


def test_storage_down_the_skill_still_coaches_and_healthz_says_so(tmp_path: Path) -> None:
    """With the database unreachable, the workout still runs from the session and /healthz reports it."""
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1",
                      "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})
    try:
        health = app.test_client().get("/healthz")
        assert health.status_code == 200 and health.get_json()["storage"] == "unreachable"
        alexa = Alexa(app.test_client())
        assert "Welcome to Foot Coach" in alexa.launch().text
        alexa.say("StartExerciseIntent", exercise="ankle circles")
        counted = alexa.say("ContinueIntent")  # "ready", lying down
        assert "Right leg first." in counted.text
        left = alexa.say("AMAZON.YesIntent")
        assert left.text.startswith("Now the left leg."), left.text
        alexa.say("ForgetMeIntent")
        refused = alexa.say("AMAZON.YesIntent")  # the delete cannot happen: never claim it did
        assert "nothing was deleted" in refused.text and "deleted everything" not in refused.text
    finally:
        app.extensions["foot_coach_store"].close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_outage_mid_session_loses_nothing_and_resets_nothing(open_store: Any, store_table: str,
                                                                 postgres_url: str) -> None:
    """Storage fails mid-workout: coaching goes on; once back, the place is saved and the pace kept."""
    import psycopg

    store = open_store()
    app = create_app({"STORE": store, "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})
    alexa = Alexa(app.test_client())
    alexa.launch()
    alexa.say("SlowerIntent")
    alexa.say("AMAZON.StopIntent")
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="ankle circles")
    alexa.say("ContinueIntent")  # "ready": lying down

    def rename(old: str, new: str) -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')

    rename(store_table, f"{store_table}_away")  # storage outage: every query now fails
    try:
        left = alexa.say("AMAZON.YesIntent")
        assert left.text.startswith("Now the left leg.") and '<prosody rate="85%">' in left.ssml
        assert "sorry" not in left.text.lower()
    finally:
        rename(f"{store_table}_away", store_table)
    alexa.say("AMAZON.HelpIntent")  # storage is back: this turn saves the place the outage missed
    alexa.say("AMAZON.StopIntent")
    welcome = alexa.launch()
    assert "Last time you stopped at resisted flexion." in welcome.text
    assert '<prosody rate="85%">' in alexa.say("AMAZON.YesIntent").ssml
