"""Hearing the console's answers: espeak-ng plays the SSML (breaks included), or writes WAV files.

espeak-ng exits 0 and plays nothing on a machine without a sound device (it only prints ALSA
errors), so before playing the console looks for an audio output (an ALSA playback device, a
PulseAudio or PipeWire server) and says plainly when there is none; ``--speak-to DIR`` then writes
each answer to a WAV file instead, which works anywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from skill.content.sounds import load_sounds
from skill.speech.replay import parse_ssml

# What espeak-ng prints (and still exits 0) when it cannot open an audio device.
NO_DEVICE_OUTPUT = re.compile(r"ALSA lib|Unknown PCM|cannot open (?:audio )?device|Connection refused", re.I)


def audio_output(environ: Mapping[str, str] | None = None, snd_dir: Path = Path("/dev/snd")) -> str | None:
    """What sound output this machine has ("PulseAudio server", "ALSA device pcmC0D0p", ...), or None."""
    environ = os.environ if environ is None else environ
    if sys.platform == "darwin":
        return "Core Audio"
    if environ.get("PULSE_SERVER"):
        return f"PulseAudio server {environ['PULSE_SERVER']}"
    runtime = Path(environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    for socket, name in ((runtime / "pulse" / "native", "PulseAudio server"), (runtime / "pipewire-0", "PipeWire server")):
        if socket.exists():
            return f"{name} at {socket}"
    devices = sorted(snd_dir.glob("pcmC*D*p")) if snd_dir.is_dir() else []
    return f"ALSA device {devices[0].name}" if devices else None


def for_espeak(ssml: str) -> str:
    """The skill's SSML with each sound of Alexa's library as a silence of its length (espeak-ng skips them)."""
    try:
        return parse_ssml(ssml, load_sounds().by_address()).sounds_as_silence().to_ssml()
    except ValueError:
        return ssml  # not one of our documents (an error reply): espeak-ng reads it as it is


class Speaker:
    """Play (or write) SSML through espeak-ng when asked to; say once why not, never fail the console."""

    def __init__(self, out: TextIO, *, enabled: bool, wav_dir: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.out = out
        self.wav_dir = wav_dir
        self.count = 0
        wanted = enabled or wav_dir is not None
        self.program = shutil.which("espeak-ng", path=(environ or os.environ).get("PATH")) if wanted else None
        if wanted and not self.program:
            self._say("espeak-ng is not installed, so speech is shown but not played;"
                      " install it with e.g. `apt-get install espeak-ng`")
        elif self.program and wav_dir is not None:
            wav_dir.mkdir(parents=True, exist_ok=True)
            self._say(f"each answer is written to {wav_dir}/NNN.wav")
        elif self.program and not audio_output(environ):
            self._say("no audio output on this machine (no ALSA playback device in /dev/snd, no PulseAudio or"
                      " PipeWire server), so speech is shown but not played; --speak-to DIR writes each answer"
                      " to a WAV file instead")
            self.program = None

    def speak(self, ssml: str) -> None:
        """Play one response and wait until it has been said (Ctrl-C stops it), or write it to the next WAV file."""
        if not self.program or not ssml:
            return
        command = [self.program, "-m", for_espeak(ssml)]
        if self.wav_dir is not None:
            self.count += 1
            command[1:1] = ["-w", str(self.wav_dir / f"{self.count:03d}.wav")]
        try:
            done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as err:
            self._give_up(str(err))
            return
        errors = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode:
            self._give_up(errors or f"exit status {done.returncode}")
        elif self.wav_dir is None and NO_DEVICE_OUTPUT.search(errors):
            self._give_up(f"it could not open an audio device ({errors.splitlines()[0]}); --speak-to DIR writes"
                          " WAV files instead")

    def _say(self, text: str) -> None:
        flag = "--speak-to" if self.wav_dir is not None else "--speak"
        print(f"({flag}: {text})", file=self.out)

    def _give_up(self, reason: str) -> None:
        print(f"(espeak-ng failed, speech is off from now on: {reason})", file=self.out)
        self.program = None
