"""Turn a run's results into the targets check, Markdown tables, a comparison, and machine facts."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import ROOT

TURN_LABELS = {
    "launch": "launch",
    "start_exercise": "**start exercise (counted set)**",
    "next": "next (skip, count the next)",
    "pause": "pause",
    "resume": "resume (counted)",
}
APP_LABELS = {"foot_coach": "Foot Coach (verified, SQLite)", "hello_world": "SDK hello-world (unverified)",
              "hello_world_gunicorn_sync": "SDK hello-world on gunicorn sync",
              "bare_flask": "bare Flask (fixed JSON)",
              # --ablation only
              "foot_coach_without_storage": "Foot Coach without storage (verified)",
              "foot_coach_without_verification": "Foot Coach without verification (SQLite)",
              "foot_coach_without_all_three": "Foot Coach without storage, verification, log line"}
PACKAGES = ("flask", "werkzeug", "granian", "gunicorn", "waitress", "ask-sdk-core", "ask-sdk-webservice-support", "cryptography")
README_START = "<!-- bench:results:start -->"
README_END = "<!-- bench:results:end -->"

# The targets, as ratios against baselines measured in the same run.
PEER_MIN_RATIO = 1.0          # against the hello-world on gunicorn sync workers
SAME_SERVER_MIN_RATIO = 0.75  # against the hello-world on the Procfile's server
SLOW_MAX_P99_MS = 250.0
WORKER_MAX_RSS_MB = 68.0
INPROCESS_MAX_P99_RATIO = 1.5
VERIFY_MAX_US = 50.0
STARTUP_MAX_MS = 1000.0
BUSY_CORES = 0.25   # other processes using more than this on average make the run noisy


def machine() -> dict[str, Any]:
    """Where the run happened: CPU, cores, memory, OS, Python, key packages and the code's commit."""
    cpu = platform.processor() or platform.machine()
    memory_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
        "commit": _commit(),
    }


def _commit() -> str | None:
    """The checked-out commit, with "+changes" when the working tree differs from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if dirty else "")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: what was measured, against what, and whether it is met (None when not measured)."""
    out: list[dict[str, Any]] = []
    http = results.get("http")
    if http:
        for key, label, minimum in (
                ("ratio_rps_to_hello_world_gunicorn_sync", "the SDK hello-world on gunicorn sync", PEER_MIN_RATIO),
                ("ratio_rps_to_hello_world", "the hello-world on the same server", SAME_SERVER_MIN_RATIO)):
            ratios = {(r["mode"], r["users"]): r.get(key) for r in http["runs"] if r["app"] == "foot_coach"}
            measured = "; ".join(
                f"{mode}: " + ", ".join(f"{_x(v)} at {u}" for (m, u), v in sorted(ratios.items()) if m == mode)
                for mode in dict.fromkeys(m for m, _ in ratios))
            out.append({"target": f"HTTP throughput of a counted turn (verified, SQLite) on the Procfile's server "
                                  f">= {minimum}x {label}",
                        "measured": measured,
                        "met": all(v is not None and v >= minimum for v in ratios.values())})
        rss = (http["apps"].get("foot_coach") or {}).get("worker_rss_mb") or []
        if rss:
            turns = sum(r["completed"] for r in http["runs"] if r["app"] == "foot_coach")
            out.append({"target": f"Resident memory per worker after the HTTP phase <= {WORKER_MAX_RSS_MB:.0f} MB",
                        "measured": f"{', '.join(f'{m:.0f}' for m in rss)} MB after {turns:,} measured turns",
                        "met": max(rss) <= WORKER_MAX_RSS_MB})
    slow = results.get("slow")
    if slow:
        turns, health = slow["turns"], slow["healthz"]
        out.append({"target": f"{slow['slow_header_clients']} slow-header + {slow['slow_body_clients']} slow-body "
                              f"clients for {slow['seconds']:.0f} s: no errors, every /healthz answered, "
                              f"p99 <= {SLOW_MAX_P99_MS:.0f} ms",
                    "measured": f"{turns['errors']} errors in {turns['completed']:,} turns, /healthz "
                                f"{health['answered']} of {health['polls']}, p99 {turns['latency_ms']['p99']:.0f} ms",
                    "met": (turns["errors"] == 0 and health["answered"] == health["polls"] > 0
                            and turns["latency_ms"]["p99"] <= SLOW_MAX_P99_MS)})
    inprocess = results.get("inprocess")
    if inprocess:
        turn = inprocess["turns"][inprocess["counted_turn"]]
        out.append({
            "target": f"In-process p99 of a counted turn <= {INPROCESS_MAX_P99_RATIO}x hello-world's",
            "measured": f"{_x(turn['ratio_p99'])} ({turn['foot_coach']['p99']:.0f} vs {turn['hello_world']['p99']:.0f} µs)",
            "met": turn["ratio_p99"] is not None and turn["ratio_p99"] <= INPROCESS_MAX_P99_RATIO,
        })
    verification = results.get("verification")
    if verification:
        warm = verification["warm_signature_us"]
        out.append({
            "target": f"Signature verification, warm cache <= {VERIFY_MAX_US:.0f} µs per request",
            "measured": f"{warm['mean']:.1f} µs mean, {warm['p99']:.1f} µs p99",
            "met": warm["mean"] <= VERIFY_MAX_US,
        })
    startup = results.get("startup")
    if startup:
        median = startup["median"]
        out.append({
            "target": f"Start-up (import + create_app) to first answer < {STARTUP_MAX_MS / 1000:.0f} s",
            "measured": f"{median['total_ms']:.0f} ms ({median['process_to_answer_ms']:.0f} ms from process start)",
            "met": startup["all_answered"] and median["process_to_answer_ms"] < STARTUP_MAX_MS,
        })
    return out


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _n(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The whole run as Markdown: targets, then each measurement, then the machine."""
    lines: list[str] = []
    checks = results.get("targets") or []
    if checks:
        lines += ["### Targets (ratios from this run)", ""]
        lines += _table(["Target", "Measured", "Met"],
                        ([t["target"], t["measured"], {True: "yes", False: "**no**", None: "n/a"}[t["met"]]]
                         for t in checks))
        lines.append("")
    inprocess = results.get("inprocess")
    if inprocess:
        lines += [f"### In process, per request, no HTTP (µs; {inprocess['iterations']:,} conversations)", ""]
        rows = []
        for turn, label in TURN_LABELS.items():
            t = inprocess["turns"][turn]
            rows.append([label, _n(t["foot_coach"]["p50"]), _n(t["foot_coach"]["p99"]),
                         _n(t["hello_world"]["p50"]), _n(t["hello_world"]["p99"]), _x(t["ratio_p50"]),
                         _x(t["ratio_p99"])])
        a = inprocess["all_turns"]
        rows.append(["all five turns", _n(a["foot_coach"]["p50"]), _n(a["foot_coach"]["p99"]),
                     _n(a["hello_world"]["p50"]), _n(a["hello_world"]["p99"]), _x(a["ratio_p50"]), _x(a["ratio_p99"])])
        lines += _table(["Turn", "Foot Coach p50", "p99", "hello-world p50", "p99", "ratio p50", "ratio p99"], rows)
        reply = inprocess["counted_reply"]
        lines += ["", f"Foot Coach: the SDK handler with signature, timestamp and skill-id checks, SQLite read and "
                      f"write. The counted turn says {reply['breaks']} breaks in {reply['ssml_chars']:,} characters "
                      f"of SSML. hello-world: the same SDK handler, same request bodies, no checks, no storage.", ""]
    http = results.get("http")
    if http:
        lines += [f"### HTTP: the Procfile's server, {http['workers']} workers, 127.0.0.1 "
                  f"({http['settings']['seconds']:g} s per run in {http['settings'].get('rounds', 1)} slices, the "
                  f"apps taking turns, after {http['settings']['warmup']:g} s warm-up)", "",
                  f"`{http['server']}`", ""]
        rows = []
        for r in http["runs"]:
            rows.append([r["mode"], r["users"], APP_LABELS.get(r["app"], r["app"]), _n(r["rps"]),
                         _n(r["latency_ms"]["p50"], 2), _n(r["latency_ms"]["p99"], 2), r["errors"],
                         _n(r["server_cpu_us_per_request"]), _x(r["ratio_rps_to_hello_world_gunicorn_sync"]),
                         _x(r["ratio_rps_to_hello_world"]), _x(r["ratio_rps_to_bare_flask"])])
        lines += _table(["Connections", "Users", "App", "req/s", "p50 ms", "p99 ms", "errors", "server CPU µs/req",
                         "× hello-world gunicorn sync", "× hello-world same server", "× bare Flask"], rows)
        client = http.get("client")
        boots = ", ".join(f"{name} {app['boot_to_first_answer_s']:.2f} s" for name, app in http["apps"].items())
        rss = ", ".join(f"{name} {'/'.join(f'{m:.0f}' for m in app.get('worker_rss_mb', []))} MB "
                        f"({'/'.join(f'{m:.0f}' for m in app.get('worker_private_mb', []))} MB private)"
                        for name, app in http["apps"].items())
        lines.append("")
        if client:
            lines.append(f"Load generator (threads in one process): at best {client['cpu_us_per_request']:.0f} µs of "
                         f"CPU per request, so about {client['ceiling_rps_one_core']:,.0f} req/s from one core; the "
                         f"best bare Flask run reached {client['bare_flask_best_rps']:,.0f} req/s. The client shares "
                         f"the 2 cores with the server; server CPU per request is the fairer cost figure.")
        lines += [f"Start to first answer: {boots}.",
                  f"Worker resident memory after the phase (and the part no other process shares): {rss}.", ""]
    slow = results.get("slow")
    if slow:
        t, h = slow["turns"], slow["healthz"]
        lines += [f"### Slow clients ({slow['seconds']:.0f} s, the Procfile's server)", ""]
        lines += _table(["Slow-header", "Slow-body", "Users", "turns", "errors", "req/s", "p50 ms", "p99 ms",
                         "/healthz answered", "worst /healthz ms", "slow connections cut by the server"],
                        [[slow["slow_header_clients"], slow["slow_body_clients"], slow["users"], f"{t['completed']:,}",
                          t["errors"], _n(t["rps"]), _n(t["latency_ms"]["p50"], 1), _n(t["latency_ms"]["p99"], 1),
                          f"{h['answered']} of {h['polls']}", _n(h["worst_ms"], 1),
                          f"header {slow['slow_cut_by_server']['header']}, body {slow['slow_cut_by_server']['body']}"]])
        lines.append("")
    lines += servers_markdown(results.get("servers"))
    verification = results.get("verification")
    if verification:
        lines += [f"### Request verification alone ({verification['iterations']:,} calls, "
                  f"{verification['body_bytes']:,}-byte body)", ""]
        rows = []
        for key, label in (("warm_signature_us", "signature, warm cache (headers, URL, RSA-SHA256)"),
                           ("warm_all_checks_us", "signature + timestamp + skill id"),
                           ("rsa_verify_only_us", "RSA-2048 verify alone (the floor)")):
            s = verification[key]
            rows.append([label, _n(s["mean"], 1), _n(s["p50"], 1), _n(s["p99"], 1)])
        cold = verification["cold_chain_validation_ms"]
        rows.append(["chain validation on a cache miss (once per worker)", _n(cold["mean"] * 1000, 1),
                     _n(cold["p50"] * 1000, 1), _n(cold["p99"] * 1000, 1)])
        lines += _table(["Check", "mean µs", "p50 µs", "p99 µs"], rows)
        lines.append("")
    startup = results.get("startup")
    if startup:
        m = startup["median"]
        lines += [f"### Start-up to the first answer (fresh process, median of {len(startup['runs'])})", ""]
        lines += _table(["import skill.app", "create_app", "first request", "total in process",
                         "process start to answer"],
                        [[f"{m['import_ms']:.0f} ms", f"{m['create_app_ms']:.0f} ms", f"{m['first_request_ms']:.0f} ms",
                          f"{m['total_ms']:.0f} ms", f"{m['process_to_answer_ms']:.0f} ms"]])
        lines += ["", "create_app includes parsing certifi's roots for the verifier; the first request is a signed "
                      "counted turn on a new SQLite file (schema creation, chain validation from a local file).", ""]
    m = results.get("machine")
    if m:
        packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
        lines += ["### Machine", "",
                  f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; Python {m['python']}; "
                  f"{packages}. Code: {m['commit'] or 'unknown'}. Run at {results['started_at']}, "
                  f"took {results['duration_s']:.0f} s (`{results['command']}`). Load average at the start "
                  f"{m.get('load_average_at_start')}; during the run other processes used "
                  f"{m.get('other_processes_cores', 'n/a')} cores on average, hypervisor steal "
                  f"{m.get('steal_cores', 'n/a')}.", ""]
        others = (m.get("other_processes_cores") or 0) + (m.get("steal_cores") or 0)
        if others > BUSY_CORES:
            lines += [f"**Other work used the machine during this run (about {others:.2f} cores besides the "
                      "benchmark): expect noisy tails. Use `--wait-quiet 300` for figures to publish.**", ""]
    return "\n".join(lines)


def servers_markdown(choice: dict[str, Any] | None) -> list[str]:
    """The candidate servers side by side (./dev bench --servers)."""
    if not choice:
        return []
    lines = ["### The servers side by side (Foot Coach counted turn, verified, SQLite; 2 workers each)", ""]
    rows = []
    for r in choice["runs"]:
        rows.append([r["mode"], r["users"], choice["labels"].get(r["app"], r["app"]), _n(r["rps"]),
                     _n(r["latency_ms"]["p99"], 1), r["errors"], _n(r["server_cpu_us_per_request"]),
                     _x(r.get("ratio_rps_to_hello_world_gunicorn_sync"))])
    lines += _table(["Connections", "Users", "Server", "req/s", "p99 ms", "errors", "server CPU µs/req",
                     "× hello-world gunicorn sync"], rows)
    lines += ["", "The baseline rows are the SDK hello-world (unverified, no storage) on gunicorn sync workers.", ""]
    rows = []
    for name, r in choice["robustness"].items():
        app = choice["apps"][name]
        slow = r["slow"]
        rows.append([choice["labels"].get(name, name),
                     "/".join(f"{m:.0f}" for m in app.get("worker_rss_mb", [])) + " ("
                     + "/".join(f"{m:.0f}" for m in app.get("worker_private_mb", [])) + " private)",
                     f"{app['boot_to_first_answer_s']:.2f}",
                     f"{slow['healthz_answered']} of {slow['healthz_polls']}",
                     f"{slow['turns_completed']:,} / {slow['turn_errors']} / {_n(slow['turn_p99_ms'], 0)}",
                     r["chunk_size_zz_status"], r["sigterm_in_flight_status"], _n(r["sigterm_exit_s"], 2),
                     "n/a (one process)" if r["worker_replaced_s"] is None else
                     f"{r['worker_replaced_s']:.2f} s" if isinstance(r["worker_replaced_s"], float) else
                     f"**{r['worker_replaced_s']}**"])
    lines += _table(["Server", "worker RSS MB after the runs (private)", "start to first answer s",
                     "/healthz answered under slow clients", "turns / errors / p99 ms under slow clients",
                     "chunk size ZZ", "SIGTERM, request in flight", "exit after SIGTERM s",
                     "killed worker replaced and answering"], rows)
    lines.append("")
    return lines


def comparison(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Key figures of an earlier run next to this one's, as Markdown."""
    rows = []

    def add(label: str, before: float | None, after: float | None, unit: str) -> None:
        change = f"{after / before:.2f}x" if before and after is not None else "n/a"
        rows.append([label, _n(before, 1) + unit, _n(after, 1) + unit, change])

    for key in ("inprocess",):
        if old.get(key) and new.get(key):
            for turn in TURN_LABELS:
                a, b = old[key]["turns"].get(turn), new[key]["turns"].get(turn)
                if a and b:
                    add(f"in process {turn} p50 (Foot Coach)", a["foot_coach"]["p50"], b["foot_coach"]["p50"], " µs")
                    add(f"in process {turn} p99 (Foot Coach)", a["foot_coach"]["p99"], b["foot_coach"]["p99"], " µs")
    if old.get("http") and new.get("http"):
        before = {(r["app"], r["users"], r.get("mode", "close")): r for r in old["http"]["runs"]}
        for r in new["http"]["runs"]:
            a = before.get((r["app"], r["users"], r.get("mode", "close")))
            if a:
                add(f"HTTP {r['app']} {r['users']} users {r.get('mode', 'close')}", a["rps"], r["rps"], " req/s")
    old_targets = {t["target"]: t["measured"] for t in old.get("targets") or []}
    for t in new.get("targets") or []:
        if t["target"] in old_targets:
            rows.append([t["target"], old_targets[t["target"]], t["measured"], ""])
    if old.get("verification") and new.get("verification"):
        add("verification warm mean", old["verification"]["warm_signature_us"]["mean"],
            new["verification"]["warm_signature_us"]["mean"], " µs")
    if old.get("startup") and new.get("startup"):
        add("start-up to first answer", old["startup"]["median"]["process_to_answer_ms"],
            new["startup"]["median"]["process_to_answer_ms"], " ms")
    if not rows:
        return ""
    return "\n".join(["### Compared with the earlier run", "", *_table(["Figure", "before", "after", "after/before"], rows), ""])


def update_readme(readme: Path, text: str) -> None:
    """Replace the results section of bench/README.md (between its markers) with text.

    Raises:
        ValueError: the README has no results markers.
    """
    content = readme.read_text(encoding="utf-8")
    start, end = content.find(README_START), content.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} section")
    readme.write_text(content[:start + len(README_START)] + "\n" + text.rstrip() + "\n" + content[end:],
                      encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    """Read a results file written by an earlier run."""
    return json.loads(path.read_text(encoding="utf-8"))
