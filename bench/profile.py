"""Profile Foot Coach's in-process turns with pyinstrument (a developer tool, not a dependency).

    .venv/bin/pip install pyinstrument
    .venv/bin/python -m bench.profile [--turn start_exercise] [--iterations 2000] [--html out.html]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import inprocess
from bench.fixtures import BenchAuthority


def main(argv: list[str] | None = None) -> int:
    """Replay one turn (or the whole conversation) under pyinstrument and print the call tree."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turn", choices=[*inprocess.TURNS, "all"], default=inprocess.COUNTED_TURN)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is not installed: .venv/bin/pip install pyinstrument", file=sys.stderr)
        return 2
    ca = BenchAuthority.create()
    workdir = Path(tempfile.mkdtemp(prefix="foot-coach-profile-"))
    foot_coach = inprocess.build_foot_coach(f"sqlite:///{workdir / 'profile.sqlite'}", ca.verifier())
    try:
        requests = inprocess.capture_conversation(foot_coach.dispatch, ca)
        chosen = requests if args.turn == "all" else [r for r in requests if r.name == args.turn]
        for request in requests * 20:  # warm up every cache
            foot_coach.dispatch(request.headers, request.text)
        # Replaying only one turn would stop changing the stored progress, so the others run too.
        profiler = Profiler(interval=0.0001)
        for _ in range(args.iterations):
            for request in requests:
                if request in chosen:
                    profiler.start()
                    foot_coach.dispatch(request.headers, request.text)
                    profiler.stop()
                else:
                    foot_coach.dispatch(request.headers, request.text)
    finally:
        foot_coach.store.close()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
