"""Smoke tests for the benchmark (bench/): it runs end to end with tiny counts. Nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import inprocess, signed_app  # noqa: E402
from bench.fixtures import BenchAuthority  # noqa: E402


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> BenchAuthority:
    """The benchmark's test certificate authority, issued for now."""
    return BenchAuthority.create(tmp_path_factory.mktemp("bench-ca"))


def serve_like_the_benchmark(monkeypatch: pytest.MonkeyPatch, ca: BenchAuthority, database: Path) -> None:
    """The environment the benchmark gives bench.signed_app: its CA, a SQLite file, its skill id."""
    monkeypatch.setenv(signed_app.ROOT_ENV, str(ca.root_pem))
    monkeypatch.setenv(signed_app.CHAIN_ENV, str(ca.chain_pem))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SKILL_ID", inprocess.fixtures.SKILL_ID)


@pytest.mark.e2e
def test_the_benchmark_runs_every_phase_and_writes_its_results(tmp_path: Path) -> None:
    """`python -m bench` with tiny counts: every phase answers, every server it started is gone."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--iterations", "5", "--users", "1,3", "--seconds", "0.3",
         "--warmup", "0.1", "--startup-runs", "1", "--verify-iterations", "50", "--slow-seconds", "1",
         "--json", str(out), "--timeout", "150"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert {"inprocess", "http", "slow", "verification", "startup", "targets", "machine"} <= results.keys()
    assert results["inprocess"]["iterations"] == 5
    assert set(results["inprocess"]["turns"]) == set(inprocess.TURNS)
    runs = {(r["app"], r["users"], r["mode"]): r for r in results["http"]["runs"]}
    assert set(runs) == {(app, users, mode) for app in ("foot_coach", "hello_world", "hello_world_gunicorn_sync",
                                                         "bare_flask")
                         for users in (1, 3) for mode in ("close", "keep-alive")}
    for run in runs.values():
        assert run["completed"] > 0 and run["errors"] == 0, run
    # Keep-alive really keeps connections on the Procfile's server (one per user and slice of the
    # run); gunicorn's sync workers close each.
    per_user = results["http"]["settings"]["rounds"]
    assert runs[("foot_coach", 3, "keep-alive")]["connections_opened"] <= 3 * per_user
    assert runs[("hello_world_gunicorn_sync", 3, "keep-alive")]["connections_opened"] > 3 * per_user
    assert results["slow"]["turns"]["completed"] > 0
    assert results["startup"]["all_answered"]
    assert len(results["targets"]) == 7
    for heading in ("### Targets", "### In process", "### HTTP", "### Slow clients", "### Request verification",
                    "### Start-up", "### Machine"):
        assert heading in done.stdout
    # Every server it started has exited (its workers stop with it).
    for app in results["http"]["apps"].values():
        assert not _running(app["pid"]), app


def _running(pid: int) -> bool:
    """Whether a process exists and has not exited (a zombie counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_the_bench_entry_point_refuses_to_start_without_the_benchmark_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench.signed_app cannot be mistaken for a production entry point: it needs both files named."""
    monkeypatch.delenv(signed_app.ROOT_ENV, raising=False)
    monkeypatch.setenv(signed_app.CHAIN_ENV, "/nonexistent.pem")
    with pytest.raises(RuntimeError, match=signed_app.ROOT_ENV):
        signed_app.create_app()


def test_in_process_dispatch_answers_like_the_real_webhook(ca: BenchAuthority, tmp_path: Path) -> None:
    """What the in-process phase times is what POST / answers: same session state, same kind of reply."""
    foot_coach = inprocess.build_foot_coach(f"sqlite:///{tmp_path / 'a.sqlite'}", ca.verifier())
    try:
        requests = inprocess.capture_conversation(foot_coach.dispatch, ca)
        direct = [json.loads(foot_coach.dispatch(r.headers, r.text)) for r in requests]
    finally:
        foot_coach.store.close()
    with pytest.MonkeyPatch.context() as mp:
        serve_like_the_benchmark(mp, ca, tmp_path / "b.sqlite")
        app = signed_app.create_app()
    client = app.test_client()
    try:
        for request in requests:  # the first pass stores progress, as capture_conversation did
            client.post("/", data=request.body, headers={**request.headers, "Content-Type": "application/json"})
        for request, expected in zip(requests, direct):
            response = client.post("/", data=request.body, headers={**request.headers, "Content-Type": "application/json"})
            assert response.status_code == 200, request.name
            body = response.get_json()
            assert body["sessionAttributes"].keys() == expected["sessionAttributes"].keys(), request.name
            for key in ("question", "mode", "position"):
                assert body["sessionAttributes"].get(key) == expected["sessionAttributes"].get(key), (request.name, key)
            assert body["response"].get("shouldEndSession") == expected["response"].get("shouldEndSession")
    finally:
        app.extensions["foot_coach_store"].close()


def test_a_request_without_the_bench_signature_is_refused_by_the_bench_app(ca: BenchAuthority, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification really is on in the server the benchmark measures: an unsigned request gets 400."""
    from bench import fixtures

    serve_like_the_benchmark(monkeypatch, ca, tmp_path / "c.sqlite")
    app = signed_app.create_app()
    try:
        body = fixtures.encode(fixtures.launch())
        assert app.test_client().post("/", data=body, headers={"Content-Type": "application/json"}).status_code == 400
        signed = app.test_client().post("/", data=body, headers={**ca.sign(body), "Content-Type": "application/json"})
        assert signed.status_code == 200
    finally:
        app.extensions["foot_coach_store"].close()


def test_an_ablation_server_leaves_out_exactly_the_parts_named(ca: BenchAuthority, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """--ablation's servers: without verification an unsigned request is answered; without storage nothing is kept."""
    import logging

    from bench import fixtures
    from skill.webservice.request_log import LOGGER_NAME

    serve_like_the_benchmark(monkeypatch, ca, tmp_path / "d.sqlite")
    monkeypatch.setenv(signed_app.WITHOUT_ENV, "storage, verification,log")
    logger = logging.getLogger(LOGGER_NAME)
    monkeypatch.setattr(logger, "level", logger.level)   # restored after the test
    app = signed_app.create_app()
    body = fixtures.encode(fixtures.launch())
    answered = app.test_client().post("/", data=body, headers={"Content-Type": "application/json"})
    assert answered.status_code == 200
    assert isinstance(app.extensions["foot_coach_store"], signed_app.NoStorage)
    assert not (tmp_path / "d.sqlite").exists()
    assert not logger.isEnabledFor(logging.INFO)
    monkeypatch.setenv(signed_app.WITHOUT_ENV, "storage,caching")
    with pytest.raises(RuntimeError, match="caching"):
        signed_app.create_app()


@pytest.mark.e2e
def test_the_ablation_runs_measure_every_variant(ca: BenchAuthority, tmp_path: Path) -> None:
    """`--ablation` adds three Foot Coach servers to the HTTP phase; each answers every request with 200."""
    from bench import httpbench

    results = httpbench.run(ca, users=(1,), warmup=0.1, seconds=0.3, max_requests=500, workdir=tmp_path,
                            log=lambda *args: None, ablation=True, modes=("close",), rounds=1)
    measured = {r["app"]: r for r in results["runs"]}
    assert set(measured) == {*httpbench.TARGETS, *httpbench.ABLATIONS}
    for run in measured.values():
        assert run["completed"] > 0 and run["errors"] == 0, run
    assert {name: app["without"] for name, app in results["apps"].items() if app["without"]} == httpbench.ABLATIONS
    for app in results["apps"].values():
        assert not _running(app["pid"]), app
