"""In-process cost per request (no HTTP): the skill's dispatch with verification and SQLite, per turn.

Foot Coach is built by ``skill.app.create_app`` itself (SQLite store, verification on with the
benchmark's CA); the skill and verifiers it hands to the webhook are called the way the webhook
calls them: the SDK's ``verify_request_and_dispatch(headers, body)``, then ``json.dumps``. The
hello-world baseline goes through the same SDK handler with no verifiers and no persistence.

The conversation (launch, start an exercise, next, pause, resume) is played once to capture each
turn's session attributes; each turn's request is then signed once and replayed. The stored progress
goes round the same cycle every time, so every replay does the same work, including the writes.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.fixtures import BenchAuthority, Headers, Request
from bench.stats import ratio, summarise

Dispatch = Callable[[Headers, str], str]
TURNS = ("launch", "start_exercise", "next", "pause", "resume")
COUNTED_TURN = "start_exercise"
RESIGN_AFTER_SECONDS = 100   # request timestamps must stay within 150 s of now


@dataclass
class FootCoach:
    """Foot Coach's dispatch, built like create_app builds it, and its store (to close)."""

    dispatch: Dispatch
    store: Any


def build_foot_coach(database_url: str, signature_verifier: Any) -> FootCoach:
    """Build the app with create_app and return the dispatch its webhook runs for each request.

    create_app passes the skill and the verifiers to ``make_webhook``; that call is intercepted
    (only while create_app runs) to keep them, so nothing here re-implements the app's assembly.

    Raises:
        RuntimeError: create_app no longer passes a skill and verifiers to make_webhook.
    """
    import skill.app as skill_app
    from skill.webservice.sdk_support import WebserviceSkillHandler

    seen: dict[str, Any] = {}
    make_webhook = skill_app.make_webhook

    def keep(skill: Any, *args: Any, **kwargs: Any) -> Any:
        seen.update(skill=skill, verifiers=kwargs.get("verifiers"))
        return make_webhook(skill, *args, **kwargs)

    skill_app.make_webhook = keep  # type: ignore[assignment]
    try:
        app = skill_app.create_app({"DATABASE_URL": database_url, "SKILL_ID": fixtures.SKILL_ID,
                                    "SKILL_VERIFY_SIGNATURES": True, "SIGNATURE_VERIFIER": signature_verifier})
    finally:
        skill_app.make_webhook = make_webhook  # type: ignore[assignment]
    if "skill" not in seen or seen["verifiers"] is None:
        raise RuntimeError("create_app did not call make_webhook(skill, verifiers=...); update bench/inprocess.py")
    skill = seen["skill"]
    user_agent = skill.custom_user_agent
    handler = WebserviceSkillHandler(skill, verify_signature=False, verify_timestamp=False,
                                     verifiers=list(seen["verifiers"]))
    skill.custom_user_agent = user_agent  # the handler appends to it; keep responses byte-identical

    def dispatch(headers: Headers, body: str) -> str:
        return json.dumps(handler.verify_request_and_dispatch(headers, body))

    return FootCoach(dispatch, app.extensions["foot_coach_store"])


def build_hello() -> Dispatch:
    """The hello-world skill behind the same SDK handler, verification off."""
    from bench.baselines import hello_handler

    handler = hello_handler()

    def dispatch(headers: Headers, body: str) -> str:
        return json.dumps(handler.verify_request_and_dispatch(headers, body))

    return dispatch


def capture_conversation(dispatch: Dispatch, ca: BenchAuthority, user_id: str = fixtures.USER_ID) -> list[Request]:
    """Play the conversation once; return each turn's signed request, with the attributes it carried.

    Raises:
        RuntimeError: a turn did not answer with speech (the benchmark would measure an error path).
    """
    attributes: dict[str, Any] = {}
    requests: list[Request] = []
    for name in TURNS:
        if name == "launch":
            payload = fixtures.launch(user_id=user_id)
        elif name == "start_exercise":
            payload = fixtures.start_exercise("toe_press", "toe presses", attributes=attributes, user_id=user_id)
        else:
            intent = {"next": "AMAZON.NextIntent", "pause": "AMAZON.PauseIntent", "resume": "AMAZON.ResumeIntent"}[name]
            payload = fixtures.intent(intent, attributes=attributes, user_id=user_id)
        body = fixtures.encode(payload)
        request = Request(name, body, ca.sign(body))
        answer = json.loads(dispatch(request.headers, request.text))
        ssml = ((answer.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
        if not ssml or "went wrong" in ssml or "trouble" in ssml:
            raise RuntimeError(f"turn {name!r} did not answer normally: {ssml[:200]!r}")
        attributes = answer.get("sessionAttributes") or {}
        requests.append(request)
    return requests


def check_counted(dispatch: Dispatch, request: Request) -> dict[str, Any]:
    """What one replay of a counted turn says: its length, breaks, and that it saved progress."""
    answer = json.loads(dispatch(request.headers, request.text))
    ssml = answer["response"]["outputSpeech"]["ssml"]
    return {"ssml_chars": len(ssml), "breaks": ssml.count("<break"), "response_bytes": len(json.dumps(answer))}


def run(ca: BenchAuthority, *, iterations: int, max_seconds: float, warmup: int = 20,
        workdir: Path | None = None) -> dict[str, Any]:
    """Time every turn for Foot Coach and the hello-world, interleaved, iterations times (or until max_seconds)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="foot-coach-bench-"))
    foot_coach = build_foot_coach(f"sqlite:///{workdir / 'inprocess.sqlite'}", ca.verifier())
    hello = build_hello()
    try:
        requests = capture_conversation(foot_coach.dispatch, ca)
        signed_at = time.monotonic()
        counted = check_counted(foot_coach.dispatch, requests[TURNS.index(COUNTED_TURN)])
        timings: dict[str, dict[str, list[int]]] = {"foot_coach": {t: [] for t in TURNS},
                                                    "hello_world": {t: [] for t in TURNS}}
        clock = time.perf_counter_ns
        deadline = time.monotonic() + max_seconds
        done = 0
        gc.collect()
        for i in range(warmup + iterations):
            if time.monotonic() - signed_at > RESIGN_AFTER_SECONDS:
                requests, signed_at = capture_conversation(foot_coach.dispatch, ca), time.monotonic()
            measuring = i >= warmup
            for request in requests:
                unsigned: Headers = {}
                t0 = clock()
                foot_coach.dispatch(request.headers, request.text)
                t1 = clock()
                hello(unsigned, request.text)
                t2 = clock()
                if measuring:
                    timings["foot_coach"][request.name].append(t1 - t0)
                    timings["hello_world"][request.name].append(t2 - t1)
            done += measuring
            if time.monotonic() > deadline and done:
                break
    finally:
        foot_coach.store.close()
    result: dict[str, Any] = {"iterations": done, "turns": {}, "counted_turn": COUNTED_TURN, "counted_reply": counted}
    for turn in TURNS:
        fc, hw = summarise(timings["foot_coach"][turn]), summarise(timings["hello_world"][turn])
        result["turns"][turn] = {"foot_coach": fc, "hello_world": hw,
                                 "ratio_p50": ratio(fc["p50"], hw["p50"]), "ratio_p99": ratio(fc["p99"], hw["p99"])}
    every = {name: [v for turn in TURNS for v in timings[name][turn]] for name in timings}
    fc, hw = summarise(every["foot_coach"]), summarise(every["hello_world"])
    result["all_turns"] = {"foot_coach": fc, "hello_world": hw,
                           "ratio_p50": ratio(fc["p50"], hw["p50"]), "ratio_p99": ratio(fc["p99"], hw["p99"])}
    return result
