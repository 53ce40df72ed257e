"""The console plays Alexa's part too: directives shown, the permission question answered, Alexa's APIs on 127.0.0.1, audio or not."""

from __future__ import annotations

import io
import json
import stat
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import pytest

from skill.console import repl as console
from skill.console.local_apis import LocalAlexaApis
from skill.console.speaker import Speaker, audio_output

SCOPE = "alexa::alerts:reminders:skill:readwrite"


def run_console(tmp_path: Path, *said: str, args: Iterable[str] = ()) -> str:
    """The whole transcript of a console run on these typed lines."""
    out = io.StringIO()
    pending = iter(said)

    def read(prompt: str) -> str:
        out.write(prompt)
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    assert console.main(["--database", str(tmp_path / "c.sqlite"), "--time-zone", "Europe/Berlin", *args],
                        read=read, out=out) == 0
    return out.getvalue()


def test_reminders_can_be_tried_locally_from_permission_to_cancel(tmp_path: Path) -> None:
    """AskFor shown, Alexa's question answered 'I approve', the reminder created and deleted on the local API."""
    transcript = run_console(tmp_path, "remind me to do my foot exercises", "I approve", "yes",
                             "cancel my reminders", "stop")
    assert f"[directive Connections.SendRequest AskFor: Alexa asks for the permission {SCOPE}]" in transcript
    assert "Alexa: Do you give Foot Coach permission to update your reminders?" in transcript
    assert "[Connections.Response AskFor: ACCEPTED]" in transcript
    assert ("[Reminders API: POST /v1/alerts/reminders: every day at 08:00, 12:30, 18:30 (Europe/Berlin),"
            " saying 'Time for your foot exercises.']") in transcript
    assert "Alexa: Done. Every day at 8 am, 12:30 pm, and 6:30 pm" in transcript
    assert "[Reminders API: DELETE /v1/alerts/reminders/console-reminder-1]" in transcript
    assert "I've cancelled your foot exercise reminders" in transcript
    assert "Settings API: GET /v2/devices/" in transcript and "(session ended" in transcript


def test_denying_the_permission_sets_nothing_and_shows_the_card(tmp_path: Path) -> None:
    """'No' to Alexa's question: DENIED, nothing sent to the Reminders API, the consent card shown."""
    transcript = run_console(tmp_path, "remind me to do my foot exercises", "no", "stop")
    assert "[Connections.Response AskFor: DENIED]" in transcript
    assert f"[card to the Alexa app: AskForPermissionsConsent: {SCOPE}]" in transcript
    assert "I haven't set any reminders" in transcript and "Reminders API" not in transcript


def test_the_permission_once_granted_is_not_asked_again(tmp_path: Path) -> None:
    """After 'I approve' the requests carry the consent token, so the second request goes straight to the offer."""
    transcript = run_console(tmp_path, "remind me to do my foot exercises", "I approve", "no",
                             "remind me at seven am", "stop")
    assert transcript.count("Connections.SendRequest AskFor") == 1


def test_apl_directives_are_shown_for_a_screen_device_only(tmp_path: Path) -> None:
    """--screen talks as an Echo Show: RenderDocument and the timed counter are shown; without it, none."""
    with_screen = run_console(tmp_path, "start ankle rotations", "ready", "stop", args=["--screen"])
    assert "[directive Alexa.Presentation.APL.RenderDocument: the screen shows title 'Ankle circles'" in with_screen
    assert "[directive Alexa.Presentation.APL.ExecuteCommands: the counter shows 1 2 3 4 5 6 7 8 9 10" in with_screen
    assert "Alexa.Presentation.APL" not in run_console(tmp_path, "start ankle rotations", "ready", "stop")


def test_the_local_apis_refuse_a_wrong_token() -> None:
    """Like Amazon's: a request without the access token of the console's requests gets 401."""
    apis = LocalAlexaApis(zone="UTC").start()
    try:
        request = urllib.request.Request(f"{apis.url}/v1/alerts/reminders", headers={"Authorization": "Bearer no"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
        refused.value.close()
        request = urllib.request.Request(f"{apis.url}/v1/alerts/reminders",
                                         headers={"Authorization": f"Bearer {apis.token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == {"totalCount": "0", "alerts": []}
    finally:
        apis.close()


# -- hearing it ----------------------------------------------------------------------------------

def fake_espeak(folder: Path, stderr: str = "") -> Path:
    """An 'espeak-ng' that logs its arguments, prints `stderr` and exits 0 (as the real one does without audio)."""
    log = folder / "espeak.log"
    program = folder / "espeak-ng"
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\nprintf "%s\\n" "{stderr}" >&2\nexit 0\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return log


def test_audio_outputs_are_found_where_linux_keeps_them(tmp_path: Path) -> None:
    """An ALSA playback device, a PulseAudio or PipeWire socket, or PULSE_SERVER; else None."""
    snd = tmp_path / "snd"
    snd.mkdir()
    empty = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    assert audio_output(empty, snd) is None
    (snd / "pcmC0D0c").touch()                 # a capture device does not play
    assert audio_output(empty, snd) is None
    (snd / "pcmC0D0p").touch()
    assert audio_output(empty, snd) == "ALSA device pcmC0D0p"
    (tmp_path / "run" / "pulse").mkdir(parents=True)
    (tmp_path / "run" / "pulse" / "native").touch()
    assert "PulseAudio" in str(audio_output(empty, tmp_path / "none"))
    assert audio_output({"PULSE_SERVER": "tcp:127.0.0.1"}, tmp_path / "none") == "PulseAudio server tcp:127.0.0.1"


def test_speak_without_an_audio_device_says_so_and_plays_nothing(tmp_path: Path) -> None:
    """espeak-ng is there, the sound card is not: one note naming --speak-to, no espeak-ng run."""
    log = fake_espeak(tmp_path)
    out = io.StringIO()
    speaker = Speaker(out, enabled=True, environ={"PATH": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run")})
    speaker.speak("<speak>hello</speak>")
    assert "no audio output on this machine" in out.getvalue() and "--speak-to DIR" in out.getvalue()
    assert not log.exists()


def test_speak_gives_up_when_espeak_ng_cannot_open_the_device(tmp_path: Path) -> None:
    """espeak-ng exits 0 but prints ALSA errors: reported once, speech off from then on."""
    log = fake_espeak(tmp_path, stderr="ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default")
    out = io.StringIO()
    speaker = Speaker(out, enabled=True, environ={"PATH": str(tmp_path), "PULSE_SERVER": "unix:/nowhere"})
    speaker.speak("<speak>one</speak>")
    speaker.speak("<speak>two</speak>")
    assert out.getvalue().count("could not open an audio device") == 1
    assert log.read_text().count("<speak>") == 1


def test_speak_to_writes_one_wav_per_answer(tmp_path: Path) -> None:
    """--speak-to DIR needs no audio device: espeak-ng -w DIR/001.wav, 002.wav, ..."""
    log = fake_espeak(tmp_path)
    out = io.StringIO()
    speaker = Speaker(out, enabled=False, wav_dir=tmp_path / "wav", environ={"PATH": str(tmp_path)})
    speaker.speak("<speak>one</speak>")
    speaker.speak("<speak>two</speak>")
    assert log.read_text().split("\n")[:4] == ["-w", str(tmp_path / "wav" / "001.wav"), "-m", "<speak>one</speak>"]
    assert str(tmp_path / "wav" / "002.wav") in log.read_text()
    assert "each answer is written to" in out.getvalue()
