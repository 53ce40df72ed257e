"""The sound cues (sounds.json): which short sound from Alexa's library marks which moment, and how long it plays.

Plain data for the counting (workout/counting.py places the cues) and for replaying a turn (only
these sounds are accepted back). `NO_SOUNDS` is the same set with every cue switched off, for a
user who said "sounds off".
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields
from pathlib import Path

from skill.content.catalog import ContentError
from skill.speech.ssml import Audio

SOUNDS_FILE = Path(__file__).parent / "sounds.json"
SOUNDBANK = "soundbank://"
MAX_CUE_SECONDS = 3.0  # a cue marks a moment; a longer sound would eat into the hold or rest it marks


@dataclass(frozen=True)
class SoundCues:
    """One sound per moment it marks, or None for each when sounds are off."""

    hold_end: Audio | None       # a hold, or a stretch of timed work, ends
    set_end: Audio | None        # a rest between sets ends; a set of counted reps ends
    exercise_done: Audio | None  # the exercise is finished

    @property
    def on(self) -> bool:
        return self.hold_end is not None

    def seconds(self, cue: Audio | None) -> float:
        """How long a cue plays (0 when it is off)."""
        return cue.ms / 1000 if cue is not None else 0.0

    def by_address(self) -> dict[str, Audio]:
        """Every cue by its soundbank address (for replaying a turn that played them)."""
        return {cue.src: cue for cue in (getattr(self, f.name) for f in fields(self)) if cue is not None}


NO_SOUNDS = SoundCues(None, None, None)


@functools.cache
def load_sounds(path: Path = SOUNDS_FILE) -> SoundCues:
    """The cues of sounds.json.

    Raises:
        ContentError: a cue is missing, is not a soundbank:// sound, or has no sensible length.
    """
    try:
        cues = json.loads(path.read_text(encoding="utf-8"))["cues"]
        loaded = {}
        for f in fields(SoundCues):
            cue = cues[f.name]
            src, seconds = cue["src"], cue["seconds"]
            if not (isinstance(src, str) and src.startswith(SOUNDBANK) and '"' not in src):
                raise ContentError(f"{path.name}: {f.name}'s src must be a soundbank:// address, not {src!r}")
            if not (isinstance(seconds, (int, float)) and 0 < seconds <= MAX_CUE_SECONDS):
                raise ContentError(f"{path.name}: {f.name} must last between 0 and {MAX_CUE_SECONDS} s, not {seconds!r}")
            loaded[f.name] = Audio(src, round(seconds * 1000))
    except (OSError, ValueError, KeyError, TypeError) as err:
        if isinstance(err, ContentError):
            raise
        raise ContentError(f"{path.name}: {err!r}") from err
    return SoundCues(**loaded)


@functools.cache
def cue_labels(path: Path = SOUNDS_FILE) -> dict[str, str]:
    """What each sound marks, in a few words, by its address (for the console and the try page)."""
    cues = json.loads(path.read_text(encoding="utf-8"))["cues"]
    return {cue["src"]: str(cue.get("label", name)) for name, cue in cues.items()}
