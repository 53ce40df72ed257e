"""Holds and rests as a person hears them: each counted turn rendered by espeak-ng, measured in the audio.

The speech builder estimates how long words take and shortens each break by that (counting.py), so
on its own timeline every hold is exact. This test checks the estimate against a real speech engine:
every version of every exercise, at every pace a user can reach, is voiced turn by turn with
Debian's espeak-ng (SSML, breaks and prosody rate included) and the audio measured with sox and the
standard library. espeak-ng's rate is the builder's own: WORDS_PER_SECOND words a second at 100%,
and the turn's <prosody rate> scales it, as the pace does on Alexa.

Each silence longer than a moment splits the audio into voiced segments; the segments are matched
to the turn's runs (its words between breaks) by the breaks' lengths, so the start of every run is
known in the audio. Holds, rests and counted reps are then measured exactly as on the estimate
(tests/timing.py) and must be within ±10% of what the data prescribes. Turns are voiced with the
sound cues on (the default): espeak-ng cannot play Alexa's sound library, so each sound is voiced as
a silence of its listed length, and it starts that long (plus any break after it) before the words
that follow it.

Run `python tests/test_espeak_timing.py` for the table of prescribed and measured seconds.
"""

from __future__ import annotations

import array
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from timing import SOUND, SOUNDS, Span, spans  # noqa: E402

from skill.content.catalog import Exercise, load_catalog  # noqa: E402
from skill.content.prompts import Prompts  # noqa: E402
from skill.content.sounds import load_sounds  # noqa: E402
from skill.speech.ssml import WORDS_PER_SECOND, Audio, Say, Speech  # noqa: E402
from skill.workout.pace import MAX_PACE, MIN_PACE, PACE_STEP  # noqa: E402
from skill.workout.planning import Turn, plan_turn  # noqa: E402
from skill.workout.routine import Mode, Position  # noqa: E402

CATALOG = load_catalog()
PROMPTS = Prompts.load().fixed(0)
PACES = list(range(MIN_PACE, MAX_PACE + 1, PACE_STEP))      # 70, 85, 100, 115, 130
TOLERANCE = 0.10
ESPEAK_WPM = round(WORDS_PER_SECOND * 60)                   # espeak-ng's rate at 100%: the builder's
SAMPLE_RATE = 16_000
WINDOW_S = 0.005            # envelope resolution
VOICED = 400                # peak amplitude (of 32767) above which a window is speech
MIN_SILENCE_S = 0.04        # gaps shorter than this are inside a word
TOOLS = ("espeak-ng", "sox")
VERSIONS = [version for exercise in CATALOG.exercises for version in CATALOG.versions[exercise.id].values()]


def ensure_tools() -> str | None:
    """Install espeak-ng and sox with apt-get when missing (non-interactively); why not, if they still are not there."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *TOOLS]
        if subprocess.run(install, env=env, capture_output=True, timeout=600, check=False).returncode:
            subprocess.run([*prefix, "apt-get", "update", "-q"], env=env, capture_output=True, timeout=600, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=600, check=False)
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not installed and apt-get could not install them" if missing else None


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    problem = ensure_tools()
    if problem:
        pytest.skip(f"espeak-ng timing: {problem} (on Debian: apt-get install espeak-ng sox)")


def label(exercise: Exercise) -> str:
    return "+".join([exercise.id, *exercise.chosen])


def turns(exercise: Exercise, pace: int) -> Iterator[Turn]:
    """Every counted turn of one version of an exercise, first to last (the user is ready for each)."""
    catalog = CATALOG.with_choices(((exercise.id, exercise.chosen),) if exercise.chosen else ())
    position, briefed = Position(exercise.id), exercise.gated
    while True:
        turn = plan_turn(catalog, PROMPTS, position, Mode.SINGLE, pace, briefed=briefed, sounds=SOUNDS)
        yield turn
        if turn.end is None:
            return
        position, briefed = turn.end, True


def sounds_before_runs(speech: Speech) -> list[tuple[int, float]]:
    """Each sound as (the run of words after it, seconds from the sound's start to that run's start)."""
    out: list[tuple[int, float]] = []
    waiting: list[list[float]] = []   # sounds not yet followed by words: seconds since each began
    run, in_words = -1, False
    for event in speech.events:
        if isinstance(event, Say):
            if not in_words:
                run += 1
                out += [(run, seconds) for (seconds,) in waiting]
                waiting = []
            in_words = True
            continue
        in_words = False
        if isinstance(event, Audio):
            waiting.append([0.0])
        for entry in waiting:
            entry[0] += event.ms / 1000
    return out


def expected_runs(speech: Speech) -> list[tuple[str, float, float]]:
    """The turn's runs (words between breaks): text, estimated speaking seconds, the silence after it."""
    out: list[tuple[str, float, float]] = []
    for event in speech.events:
        if isinstance(event, Say):
            if out and out[-1][2] == 0:
                text = f"{out[-1][0]} {event.text}"
                out[-1] = (text, speech.text_seconds(text), 0.0)
            else:
                out.append((event.text, speech.text_seconds(event.text), 0.0))
        elif out:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + event.ms / 1000)
    return out


def render(ssml: str, folder: Path) -> list[tuple[float, float]]:
    """Voice the SSML with espeak-ng; the voiced segments of the audio as (start, end) seconds."""
    wav, raw = folder / "turn.wav", folder / "turn.raw"
    subprocess.run(["espeak-ng", "-m", "-s", str(ESPEAK_WPM), "-w", str(wav), ssml], check=True, capture_output=True)
    subprocess.run(["sox", str(wav), "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", "-c", "1", str(raw)],
                   check=True, capture_output=True)
    samples = array.array("h", raw.read_bytes())
    if sys.byteorder == "big":
        samples.byteswap()
    size = int(SAMPLE_RATE * WINDOW_S)
    segments: list[tuple[float, float]] = []
    for i in range(0, len(samples), size):
        window = samples[i:i + size]
        if not window or max(max(window), -min(window)) < VOICED:
            continue
        start, end = i / SAMPLE_RATE, (i + len(window)) / SAMPLE_RATE
        if segments and start - segments[-1][1] < MIN_SILENCE_S:
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    return segments


def align(runs: list[tuple[str, float, float]], segments: list[tuple[float, float]]) -> list[float]:
    """Where each run starts in the audio: the segment starts that best match the breaks, in order.

    `runs` are (text, estimated speaking seconds, break after). Run 0 starts at segment 0; run k at
    a later segment than run k-1, chosen (dynamic programming) to minimise, over all runs, how far
    the silence before each run is from its break, plus half how far the time from one run's start
    to the next is from its estimate (so equal silences cannot shift the runs along the count).
    """
    n, m = len(runs), len(segments)
    assert m >= n, f"the audio has {m} voiced segments for {n} runs: a break was not rendered"
    inf = float("inf")
    cost = [[inf] * m for _ in range(n)]
    back = [[0] * m for _ in range(n)]
    cost[0][0] = 0.0
    for k in range(1, n):
        _, speaking, pause = runs[k - 1]
        for j in range(k, m - (n - 1 - k)):
            silence = abs(segments[j][0] - segments[j - 1][1] - pause)
            for i in range(max(k - 1, j - 40), j):
                if cost[k - 1][i] == inf:
                    continue
                step = cost[k - 1][i] + silence + 0.5 * abs(segments[j][0] - segments[i][0] - speaking - pause)
                if step < cost[k][j]:
                    cost[k][j], back[k][j] = step, i
    j = min(range(n - 1, m), key=lambda i: cost[n - 1][i])
    starts = [0] * n
    for k in range(n - 1, -1, -1):
        starts[k] = j
        j = back[k][j]
    return [segments[j][0] for j in starts]


@functools.lru_cache(maxsize=None)
def measure(exercise_key: str, pace: int) -> tuple[Span, ...]:
    """Every hold, rest and counted rep of one version at one pace, measured in espeak-ng's audio."""
    exercise = next(v for v in VERSIONS if label(v) == exercise_key)
    out: list[Span] = []
    with tempfile.TemporaryDirectory() as folder:
        for turn in turns(exercise, pace):
            voiced = turn.speech.sounds_as_silence()
            runs = expected_runs(voiced)
            starts = align(runs, render(voiced.to_ssml(), Path(folder)))
            heard = [(at, text) for at, (text, _, _) in zip(starts, runs)]
            heard += [(starts[run] - before, SOUND) for run, before in sounds_before_runs(turn.speech)]
            out += spans(sorted(heard, key=lambda item: item[0]), exercise, PROMPTS, pace)
    return tuple(out)


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise", VERSIONS, ids=label)
def test_every_hold_and_rest_heard_is_within_ten_percent_of_the_data(exercise: Exercise, pace: int) -> None:
    """From the start of the words that begin it to the start of the words that end it, in espeak-ng's audio."""
    measured = measure(label(exercise), pace)
    kinds = {s.kind for s in measured}
    expected = {"hold": {"hold"}, "timed": {"work", "rest"} if exercise.rest_seconds else {"work"},
                "reps": {"rep"}}[exercise.work.kind]
    assert kinds == expected, f"{label(exercise)}: measured {sorted(kinds)}, expected {sorted(expected)}"
    off = [s for s in measured if abs(s.measured - s.prescribed) > TOLERANCE * s.prescribed]
    assert not off, f"{label(exercise)} at {pace}%: " + "; ".join(
        f"{s.kind} {s.measured:.2f} s for {s.prescribed:.2f} s" for s in off)


def table() -> str:
    """Markdown: per version and pace, the prescribed seconds and the measured range of each kind."""
    lines = ["| exercise | pace | kind | prescribed s | measured s (min–max) | n |", "|---|---|---|---|---|---|"]
    for exercise in VERSIONS:
        for pace in PACES:
            by_kind: dict[tuple[str, float], list[float]] = {}
            for span in measure(label(exercise), pace):
                by_kind.setdefault((span.kind, round(span.prescribed, 2)), []).append(span.measured)
            for (kind, prescribed), values in by_kind.items():
                lines.append(f"| {label(exercise)} | {pace}% | {kind} | {prescribed:.2f} | "
                             f"{min(values):.2f}–{max(values):.2f} | {len(values)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    problem = ensure_tools()
    if problem:
        sys.exit(problem)
    print(table())
