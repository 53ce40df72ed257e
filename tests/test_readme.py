"""The README's try-it block works as pasted: it waits for the server, gets answers, and stops the server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]


def readme_block(containing: str) -> str:
    """The README's ```sh block that contains this text."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    [block] = [b for b in blocks if containing in b]
    return block


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_local_server_block_runs_as_pasted(tmp_path: Path) -> None:
    """./dev run &, wait on /healthz, two requests, kill %1: answers printed, nothing left running."""
    block = readme_block("./dev run &")
    port = free_port()
    script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite'}"}
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    health, launch, start = answers
    assert {k: health[k] for k in ("status", "storage", "verification")} == {"status": "ok", "storage": "reachable", "verification": "off"}
    assert "Welcome to Foot Coach" in launch["response"]["outputSpeech"]["ssml"]
    assert "ankle circles" in start["response"]["outputSpeech"]["ssml"]
    with socket.socket() as sock:     # kill %1 stopped the server: the port is free again
        sock.settimeout(2)
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the README's last line did not stop the server"
