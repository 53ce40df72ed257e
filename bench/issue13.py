"""Issue 13's findings, each reproduced against the Procfile's server, in one table.

    python -m bench.issue13 [--users 8] [--seconds 3 5 3] [--memory-requests 20000] [--json PATH]

Rows 1, 2 and 8 (outages): bench.faults, the three storage faults. Rows 3, 4, 5, 6 and 8 (input):
bench.hostile. Row 7 (memory): bench.memory. Everything on 127.0.0.1, bounded, servers stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.faults import FAULTS, FaultUnavailable, run_counters
from bench.hostile import run_hostile
from bench.memory import growth, run_memory

TITLES = {"3": "3 echoed text (9,000 / 100,000 chars, 9,000 emoji)", "4": "4 repeat of client SSML",
          "5": "5 time zones (session, Settings API)", "6": "6 malformed chunked bodies (server branch)",
          "8": "8 timestamps of year 1 / 9999, no user id", "fuzz": "3-8 random mutations"}


def rows(faults: list[dict[str, Any]], hostile: dict[str, Any], memory: dict[str, Any]) -> list[list[str]]:
    """The table's rows, one per finding (and one per storage fault)."""
    out = []
    for r in faults:
        a, s = r["acknowledged"], r["stored"]
        health = ", ".join(f"{k} {v}" for k, v in r["healthz_during_fault"].items())
        out.append([f"1, 2, 8 {r['fault_label']}", f"{r['requests']:,}", f"1 ({r['requests_during_fault']:,} requests "
                    f"during it; /healthz: {health})", f"{a['exercises']}/{a['sessions']}/{a['routines']} vs "
                    f"{s.get('exercises')}/{s.get('sessions')}/{s.get('routines')}", str(r["http_5xx"]),
                    str(r["invalid_200"]), f"{r['tracebacks']} ({r['workers']} workers)",
                    f"{r['rss_kib']['before'] // 1024} → {r['rss_kib']['after'] // 1024} MiB"])
    rss = hostile["rss_kib"]
    for finding, tally in hostile["findings"].items():
        out.append([TITLES.get(finding, finding), str(tally["requests"]), "-", "-", str(tally.get("http_5xx", 0)),
                    str(tally.get("invalid_200", 0) + tally.get("apology", 0)), "-", "-"])
    out[-1][6] = f"{hostile['tracebacks']} (all rows above, 2 workers)"
    out[-1][7] = f"{rss[0] // 1024} → {rss[1] // 1024} MiB"
    rss_m = memory["rss_kib"]
    grew = growth(memory)
    out.append([f"7 new certificate URL and user id per request (1 worker, 1 in {memory['signed_every']} signed)",
                f"{memory['requests']:,}", "-", "-", "0" if all(s < 500 for s in memory["statuses"]) else "some",
                "-", "-", f"{rss_m[0] // 1024} → {rss_m[-1] // 1024} MiB (second half +{grew['second_half']} KiB)"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.issue13", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, nargs=3, default=(3.0, 5.0, 3.0), metavar=("BEFORE", "DURING", "AFTER"))
    parser.add_argument("--memory-requests", type=int, default=20_000)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    faults = []
    for name in FAULTS:
        try:
            faults.append(run_counters(name, users=min(args.users, 100), before=args.seconds[0], during=args.seconds[1],
                                       after=args.seconds[2], database_url=args.database_url))
        except FaultUnavailable as err:
            print(f"{name}: cannot be simulated here: {err}", file=sys.stderr)
    hostile = run_hostile()
    memory = run_memory(min(args.memory_requests, 200_000), seconds=300)
    header = ["finding", "requests", "faults injected", "acknowledged vs stored (exercises/sessions/routines)",
              "5xx", "invalid 200s", "tracebacks", "RSS before → after"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(faults, hostile, memory)]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"faults": faults, "hostile": hostile, "memory": memory}, indent=2) + "\n")
    ok = all(r["acknowledged"] == r["stored"] and r["http_5xx"] == 0 and r["invalid_200"] == 0 for r in faults)
    ok = ok and not any(t.get("http_5xx", 0) + t.get("invalid_200", 0) + t.get("apology", 0)
                        for k, t in hostile["findings"].items() if k != "6")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
