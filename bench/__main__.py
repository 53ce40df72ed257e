"""``./dev bench`` (``python -m bench``): measure Foot Coach against its baselines in one run.

Phases, each bounded in time and count, all on 127.0.0.1:

1. in process: each conversation turn, Foot Coach (verification, SQLite) against the SDK hello-world;
2. HTTP: the Procfile's server, 1/10/100 users, new connection per request and keep-alive, Foot Coach
   against hello-world on the same server, hello-world on gunicorn sync workers, and bare Flask;
3. slow clients: slow-header and slow-body connections held while users send turns and /healthz is polled;
4. verification alone (warm cache), and start-up to the first answered request;
5. with --servers only: the candidate servers side by side (the table the Procfile's server was chosen from).

Prints Markdown tables with ratios to the baselines and writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import ROOT

PHASES = ("inprocess", "http", "slow", "verification", "startup")
DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"
README = ROOT / "bench" / "README.md"


@dataclass(frozen=True)
class Settings:
    """How much to measure; the defaults take about four minutes on a 2-core machine."""

    iterations: int = 6000          # in-process conversations (5 turns each), per skill
    inprocess_seconds: float = 40   # ... or until this much time has passed
    users: tuple[int, ...] = (1, 10, 100)
    warmup: float = 1.0             # HTTP: seconds of unmeasured load before each run
    seconds: float = 5.0            # HTTP: measured seconds per run (24 runs)
    max_requests: int = 100_000     # HTTP: per run, whichever comes first
    verify_iterations: int = 20_000
    cold_iterations: int = 50
    startup_runs: int = 5
    slow_seconds: float = 20.0      # slow-client phase: how long the slow clients are held
    slow_clients: int = 50          # ... of each kind (slow-header, slow-body)


QUICK = Settings(iterations=500, inprocess_seconds=10, warmup=0.3, seconds=1.5, verify_iterations=3000,
                 cold_iterations=10, startup_runs=2, slow_seconds=5.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts: about 30 s, for a quick look")
    parser.add_argument("--only", action="append", choices=PHASES, help="run only this phase (repeatable)")
    parser.add_argument("--users", help="HTTP concurrency levels, comma-separated (default 1,10,100)")
    parser.add_argument("--seconds", type=float, help="HTTP: measured seconds per run")
    parser.add_argument("--warmup", type=float, help="HTTP: warm-up seconds per run")
    parser.add_argument("--iterations", type=int, help="in-process conversations per skill")
    parser.add_argument("--startup-runs", type=int, help="fresh processes to start (median reported)")
    parser.add_argument("--verify-iterations", type=int, help="verification calls to time")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON.relative_to(ROOT)})")
    parser.add_argument("--compare", type=Path, help="an earlier results file to compare with")
    parser.add_argument("--readme", action="store_true", help="also write the tables into bench/README.md")
    parser.add_argument("--ablation", action="store_true",
                        help="HTTP: also run Foot Coach without storage, without verification, and without "
                             "storage, verification and the request log (what the gap is made of)")
    parser.add_argument("--servers", action="store_true",
                        help="also measure every candidate server side by side (several minutes more)")
    parser.add_argument("--slow-seconds", type=float, help="slow-client phase: seconds the slow clients are held")
    parser.add_argument("--timeout", type=float, default=900, help="give up (stopping every server) after this many seconds")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="first wait up to this long for the 1-minute load average to drop below 0.5")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else Settings()
    overrides: dict[str, Any] = {}
    if args.users:
        overrides["users"] = tuple(int(u) for u in args.users.split(","))
        if not all(0 < u <= 1000 for u in overrides["users"]):
            raise SystemExit("--users: each level must be between 1 and 1000")
    for name in ("seconds", "warmup", "iterations", "startup_runs", "verify_iterations", "slow_seconds"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if "iterations" in overrides:
        overrides["cold_iterations"] = max(1, min(settings.cold_iterations, overrides["iterations"]))
    return replace(settings, **overrides)


class Timeout(Exception):
    """The whole run took longer than --timeout."""


def _raise_timeout(signum: int, frame: Any) -> None:
    raise Timeout(f"the benchmark took longer than its time limit (signal {signum})")


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen phases, print the tables, write the JSON (and the README section if asked)."""
    args = parse_args(argv)
    settings = settings_from(args)
    phases = args.only or list(PHASES)
    # Servers are stopped by context managers: turn SIGTERM and the time limit into exceptions.
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGALRM, _raise_timeout)
    log = _log
    if args.wait_quiet:
        _wait_quiet(args.wait_quiet, log)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    from bench import report
    from bench.fixtures import BenchAuthority

    results: dict[str, Any] = {"schema": 1, "started_at": started.isoformat(timespec="seconds"),
                               "command": " ".join(["./dev bench", *(argv if argv is not None else sys.argv[1:])]),
                               "settings": asdict(settings), "machine": report.machine()}
    results["machine"]["load_average_at_start"] = _load()
    cpu_at_start = _cpu_snapshot()
    try:
        with tempfile.TemporaryDirectory(prefix="foot-coach-bench-") as tmp:
            workdir = Path(tmp)
            log("Creating a test certificate authority ...")
            ca = BenchAuthority.create(workdir)
            if "inprocess" in phases:
                log(f"In process: up to {settings.iterations} conversations per skill ...")
                from bench import inprocess

                results["inprocess"] = inprocess.run(ca, iterations=settings.iterations,
                                                     max_seconds=settings.inprocess_seconds, workdir=workdir)
            if "http" in phases:
                log(f"HTTP: users {', '.join(map(str, settings.users))}; {settings.seconds:g} s per run ...")
                from bench import httpbench

                results["http"] = httpbench.run(ca, users=settings.users, warmup=settings.warmup,
                                                seconds=settings.seconds, max_requests=settings.max_requests,
                                                workdir=workdir, log=log, ablation=args.ablation)
            if "slow" in phases:
                log(f"Slow clients: {settings.slow_clients} slow-header + {settings.slow_clients} slow-body, "
                    f"{settings.slow_seconds:g} s ...")
                from bench import slowclients

                results["slow"] = slowclients.measure(ca, seconds=settings.slow_seconds, clients=settings.slow_clients,
                                                      users=10, workdir=workdir, log=log)
            if args.servers:
                log("Servers side by side ...")
                from bench import choice

                results["servers"] = choice.run(ca, users=settings.users, warmup=settings.warmup,
                                                seconds=settings.seconds, max_requests=settings.max_requests,
                                                workdir=workdir, log=log, slow_seconds=min(settings.slow_seconds, 5.0),
                                                slow=settings.slow_clients)
            if "verification" in phases:
                log("Verification alone ...")
                from bench import verification

                results["verification"] = verification.run(ca, iterations=settings.verify_iterations,
                                                           cold_iterations=settings.cold_iterations)
            if "startup" in phases:
                log(f"Start-up: {settings.startup_runs} fresh processes ...")
                from bench import startup

                results["startup"] = startup.run(ca, runs=settings.startup_runs, workdir=workdir)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    results["duration_s"] = time.perf_counter() - t0
    results["machine"]["load_average_at_end"] = _load()
    results["machine"].update(_others(cpu_at_start, _cpu_snapshot()))
    results["targets"] = report.targets(results)
    text = report.markdown(results)
    print()
    print(text)
    if args.compare:
        print(report.comparison(report.load(args.compare), results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"Results written to {args.json}")
    if args.readme:
        report.update_readme(README, text)
        log(f"Tables written to {README}")
    return 0


def _load() -> float | None:
    """The 1-minute load average (other work on the machine makes every figure noisier)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _cpu_snapshot() -> tuple[float, float, float, float] | None:
    """(busy CPU s of the whole machine, of which steal, CPU s of this process and its reaped children, wall s)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    ticks = os.sysconf("SC_CLK_TCK")
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return (user + nice + system + irq + softirq) / ticks, steal / ticks, own, time.monotonic()


def _others(start: tuple[float, float, float, float] | None,
            end: tuple[float, float, float, float] | None) -> dict[str, float]:
    """How many cores other processes (and the hypervisor, as steal) used on average during the run.

    Every server and child process the benchmark started has been reaped by now, so their CPU is in
    this process's children times; what is left of the machine's busy time belongs to others.
    """
    if start is None or end is None or end[3] <= start[3]:
        return {}
    wall = end[3] - start[3]
    others = (end[0] - start[0]) - (end[2] - start[2])
    return {"other_processes_cores": round(max(0.0, others) / wall, 2), "steal_cores": round((end[1] - start[1]) / wall, 2)}


def _wait_quiet(limit: float, log: Any) -> None:
    """Wait until the 1-minute load average is below 0.5, for at most limit seconds."""
    deadline = time.monotonic() + limit
    while (load := _load()) is not None and load >= 0.5 and time.monotonic() < deadline:
        log(f"Waiting for a quiet machine (load average {load:.2f}) ...")
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Timeout as err:
        _log(f"Stopped: {err}; every server was stopped, no results were written.")
        raise SystemExit(3) from None
