"""Does a worker's memory stop growing when every request names a new certificate URL and a new user?

    python -m bench.memory [--requests 20000]

One real gunicorn worker serves bench.signed_app (verification on, trusting a throwaway CA whose
chain it serves under any URL, so each new URL costs a download, a chain validation and a cache
entry). Every request names a new SignatureCertChainUrl and a new user id; one in SIGNED_EVERY is
signed for its body and goes through the whole skill (a stored row for a new user), the others
carry a signature for another body and are refused after the chain was fetched and validated (the
user id is still hashed for the request log). The worker's RSS is sampled as the requests go by.
Bounded: at most --requests requests and --seconds seconds, on 127.0.0.1, the server always stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.faults import post_raw, rss_kib, serve

SIGNED_EVERY = 20
CLIENT_THREADS = 4


def run_memory(requests: int = 20_000, seconds: float = 50.0, samples: int = 10) -> dict[str, Any]:
    """Drive the worker; return RSS samples (KiB) after each tenth of the requests, and the statuses."""
    from bench.signed_app import ANY_URL_ENV

    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="footcoach-memory-") as folder:
        ca = fixtures.BenchAuthority.create(Path(folder))
        body = fixtures.encode(fixtures.launch(user_id="amzn1.ask.account.MEMORY-SIGNED"))
        wrong_signature = ca.sign(body)[fixtures.SIGNATURE_HEADER]
        env = {**ca.env(), ANY_URL_ENV: "1", "DATABASE_URL": f"sqlite:///{folder}/memory.sqlite",
               "SKILL_ID": fixtures.SKILL_ID}
        command = 'gunicorn --bind 127.0.0.1:$PORT --workers 1 --timeout 30 "bench.signed_app:create_app()"'
        with serve(env, Path(folder) / "server.log", workers=1, command=command) as server:
            (worker,) = server.worker_pids()
            counter = itertools.count()
            lock = threading.Lock()
            statuses: dict[int, int] = {}
            rss = [rss_kib(worker)]
            every = max(1, requests // samples)
            deadline = time.monotonic() + seconds

            def client() -> None:
                while time.monotonic() < deadline:
                    n = next(counter)
                    if n >= requests:
                        return
                    payload = fixtures.launch(user_id=f"amzn1.ask.account.MEMORY-{run}-{n:06d}")
                    data = fixtures.encode(payload)
                    headers = ca.sign(data) if n % SIGNED_EVERY == 0 else {fixtures.SIGNATURE_HEADER: wrong_signature}
                    headers[fixtures.CERT_URL_HEADER] = f"https://s3.amazonaws.com/echo.api/memory-{run}-{n:06d}.pem"
                    status, _ = post_raw(server.port, "POST", "/", data, headers=headers)
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1
                        if (n + 1) % every == 0:
                            rss.append(rss_kib(worker))

            threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENT_THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 30)
            rss.append(rss_kib(worker))
            sent = sum(statuses.values())
    return {"requests": sent, "statuses": statuses, "rss_kib": rss, "signed_every": SIGNED_EVERY}


def growth(report: dict[str, Any]) -> dict[str, int]:
    """RSS growth in KiB over the first and the second half of the run."""
    rss = report["rss_kib"]
    middle = len(rss) // 2
    return {"first_half": rss[middle] - rss[0], "second_half": max(rss[middle:]) - rss[middle]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    report = run_memory(min(args.requests, 1_000_000), min(args.seconds, 600.0))
    print(json.dumps({**report, "growth_kib": growth(report)}))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
