"""The Flask app factory: the only place where config is read and the skill is assembled."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from skill.alexa.routing import build_dialogues, build_skill
from skill.content.catalog import BASE_LOCALE
from skill.persistence import make_store
from skill.webservice.gate import APP_THREADS, gated
from skill.webservice.verifier import (
    ApplicationIdVerifier,
    SignatureVerifier,
    TimestampVerifier,
)
from skill.webservice.webhook import make_webhook

log = logging.getLogger(__name__)

FALSE_WORDS = {"0", "false", "no", "off"}


def settings_from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The environment's settings (only those that are set)."""
    settings: dict[str, Any] = {}
    if environ.get("SKILL_ID"):
        settings["SKILL_ID"] = environ["SKILL_ID"].strip()
    if "SKILL_VERIFY_SIGNATURES" in environ:
        settings["SKILL_VERIFY_SIGNATURES"] = environ["SKILL_VERIFY_SIGNATURES"].strip().lower() not in FALSE_WORDS
    if environ.get("DATABASE_URL"):
        settings["DATABASE_URL"] = environ["DATABASE_URL"].strip()
    return settings


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app that serves the Alexa webhook (POST /) and GET /healthz."""
    app = Flask(__name__, instance_relative_config=True)
    default_database = Path(app.instance_path) / "footcoach.sqlite"
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{default_database}",
        SKILL_ID=None,
        SKILL_VERIFY_SIGNATURES=True,
        SIGNATURE_VERIFIER=None,   # tests may pass a SignatureVerifier that trusts their own CA
        STORE=None,                # tests may pass an open store (own table); else built from DATABASE_URL
        DIALOGUES=None,            # tests may pass build_dialogues(random.Random(seed)) for repeatable wording
        MAX_BODY_BYTES=128 * 1024,
    )
    app.config.update(settings_from_environ(os.environ))
    if test_config:
        app.config.update(test_config)

    if app.config["STORE"] is None and app.config["DATABASE_URL"] == f"sqlite:///{default_database}":
        log.warning("DATABASE_URL is not set: progress is kept in the SQLite file %s, which must be on a persistent "
                    "disk. On a platform that resets its file system at each deploy or restart (Heroku-style dynos, "
                    "containers without a volume) set DATABASE_URL to a PostgreSQL database or a DynamoDB table instead.",
                    default_database)

    dialogues = app.config["DIALOGUES"] or build_dialogues()
    store = app.config["STORE"] or make_store(app.config["DATABASE_URL"])
    skill = build_skill(skill_id=app.config["SKILL_ID"], store=store, dialogues=dialogues)
    app.register_blueprint(make_webhook(skill, verifiers=_verifiers(app.config),
                                        max_body_bytes=app.config["MAX_BODY_BYTES"],
                                        apology=dialogues[BASE_LOCALE].prompts.pick("webhook_apology")))
    app.extensions["foot_coach_store"] = store

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the progress schema now (it is also done on first use)."""
        store.ensure_schema()
        print("Foot Coach storage is ready.")

    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness, whether storage takes writes now, and this process's last save; always 200.

        "storage" comes from a write probe (one small committed write), as "storage_check" says;
        "last_save" is what the last real save in this process did, and how many seconds ago.
        A storage fault is visible to monitoring, never fatal.
        """
        reachable = store.ping()
        last = store.last_write()
        return jsonify(status="ok", storage="reachable" if reachable else "unreachable", storage_check="write probe",
                       last_save=None if last is None else {"outcome": "saved" if last.saved else "failed",
                                                            "seconds_ago": last.seconds_ago},
                       verification="on" if app.config["SKILL_VERIFY_SIGNATURES"] else "off")

    return app


def create_served_app() -> Flask:
    """The app as the Procfile serves it: behind the Gate (skill/webservice/gate.py).

    FOOT_COACH_APP_THREADS sets how many threads per worker run the skill (default 2).
    """
    return gated(create_app(), threads=int(os.environ.get("FOOT_COACH_APP_THREADS") or APP_THREADS))


def _verifiers(config: Mapping[str, Any]) -> list[Any]:
    """Signature and timestamp checks (unless switched off for local testing) and the skill id check."""
    verifiers: list[Any] = []
    if config["SKILL_VERIFY_SIGNATURES"]:
        verifiers += [config["SIGNATURE_VERIFIER"] or SignatureVerifier(), TimestampVerifier()]
    else:
        log.warning("!" * 72)
        log.warning("SKILL_VERIFY_SIGNATURES=0: request signatures and timestamps are NOT checked.")
        log.warning("Anyone can call this endpoint. Use this for local testing only, never in production.")
        log.warning("!" * 72)
    if config["SKILL_ID"]:
        verifiers.append(ApplicationIdVerifier(config["SKILL_ID"]))
    else:
        log.warning("SKILL_ID is not set: requests for any skill are accepted.")
    return verifiers
