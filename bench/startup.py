"""Start-up: a fresh Python process imports the app, runs create_app and answers its first request.

The parent starts ``python -m bench.startup --child ...`` and waits for the line the child prints
after its first answer. The child times its own phases from its first line of code (interpreter
start-up is the rest of the parent's figure):

* import: ``skill.app`` and everything it pulls in (Flask, the ASK SDK, cryptography);
* create_app: including a production-like SignatureVerifier (certifi's roots are parsed, plus the
  benchmark's test root) and the SQLite store;
* first request: a signed counted turn through the Flask app in process (no socket), on a new
  database file, so it includes creating the schema and validating the certificate chain.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # before any other import of this module

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

RESULT_PREFIX = "BENCH-STARTUP "
TIMEOUT_SECONDS = 60


def child(root_pem: str, chain_pem: str, database_url: str, request_file: str) -> None:
    """Time import, create_app and the first request; print one JSON line."""
    t_import = time.perf_counter()
    import skill.app

    t_create = time.perf_counter()
    from cryptography import x509

    from bench.fixtures import CHAIN_URL, SKILL_ID, LocalChain
    from skill.webservice.verifier import SignatureVerifier, load_certifi_roots

    roots = load_certifi_roots() + x509.load_pem_x509_certificates(Path(root_pem).read_bytes())
    verifier = SignatureVerifier(trusted_roots=roots, fetch=LocalChain(CHAIN_URL, chain_pem))
    app = skill.app.create_app({"DATABASE_URL": database_url, "SKILL_ID": SKILL_ID,
                                "SKILL_VERIFY_SIGNATURES": True, "SIGNATURE_VERIFIER": verifier})
    t_request = time.perf_counter()
    request = json.loads(Path(request_file).read_text())
    response = app.test_client().post("/", data=request["body"].encode(), headers=request["headers"])
    t_done = time.perf_counter()
    ok = response.status_code == 200 and b'"ssml"' in response.get_data()
    print(RESULT_PREFIX + json.dumps({
        "status": response.status_code, "answered": ok,
        "import_ms": (t_create - t_import) * 1e3,
        "create_app_ms": (t_request - t_create) * 1e3,
        "first_request_ms": (t_done - t_request) * 1e3,
        "total_ms": (t_done - _T0) * 1e3,
    }), flush=True)
    app.extensions["foot_coach_store"].close()


def measure_once(ca: Any, workdir: Path, index: int) -> dict[str, Any]:
    """Run one child on a new database; return its phases plus the parent's spawn-to-answer time."""
    from bench import ROOT, fixtures

    body = fixtures.encode(fixtures.start_exercise("toe_press", "toe presses"))
    request_file = workdir / f"startup-request-{index}.json"
    request_file.write_text(json.dumps({"body": body.decode(), "headers": {
        **ca.sign(body), "Content-Type": "application/json"}}))
    command = [sys.executable, "-m", "bench.startup", "--child", str(ca.root_pem), str(ca.chain_pem),
               f"sqlite:///{workdir / f'startup-{index}.sqlite'}", str(request_file)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result: dict[str, Any] | None = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX):])
                result["process_to_answer_ms"] = (time.perf_counter() - started) * 1e3
                break
        _, errors = process.communicate(timeout=TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if result is None:
        raise RuntimeError(f"start-up child failed (exit {process.returncode}):\n{errors[-2000:]}")
    return result


def run(ca: Any, *, runs: int, workdir: Path | None = None) -> dict[str, Any]:
    """One unmeasured run (so .pyc files exist), then `runs` measured ones; medians and every run."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="foot-coach-bench-startup-"))
    measure_once(ca, workdir, 0)
    samples = [measure_once(ca, workdir, i + 1) for i in range(runs)]
    keys = ("import_ms", "create_app_ms", "first_request_ms", "total_ms", "process_to_answer_ms")
    return {"runs": samples, "median": {k: statistics.median(s[k] for s in samples) for k in keys},
            "all_answered": all(s["answered"] for s in samples)}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process (the parent is bench.__main__)."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--child", nargs=4, metavar=("ROOT_PEM", "CHAIN_PEM", "DATABASE_URL", "REQUEST_JSON"),
                        required=True)
    args = parser.parse_args(argv)
    child(*args.child)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
