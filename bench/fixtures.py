"""What every part of the benchmark sends: Alexa request envelopes, signed by a throwaway CA.

The certificate authority is the test suite's (tests/signing.py), issued for today so the real
SignatureVerifier accepts it. Its chain is published under an Amazon-style URL that is never
fetched over the network: verifiers built here read it from a file.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import ROOT
from skill.console.envelopes import Envelopes, launch_request
from skill.console.envelopes import encode as encode  # every part of the bench encodes through here

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-0000000be4c4"
USER_ID = "amzn1.ask.account.BENCH-USER"
DEVICE_ID = "amzn1.ask.device.BENCH-DEVICE"
# Alexa's API endpoint comes from the request; a closed loopback port keeps every call local and
# makes it fail at once (the skill then falls back, e.g. to UTC for the time zone).
API_ENDPOINT = "http://127.0.0.1:9"
# Must pass the verifier's URL rules; it is only ever read from a local file (see LocalChain).
CHAIN_URL = "https://s3.amazonaws.com/echo.api/foot-coach-bench.pem"
CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"

Headers = dict[str, str]


def tests_module(name: str) -> ModuleType:
    """Import tests/<name>.py (the test suite's helpers are not an installed package)."""
    qualified = f"bench._tests_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, ROOT / "tests" / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load tests/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


# The benchmark's requests come from the one envelope builder (skill/console/envelopes.py).
_REQUESTS = Envelopes(skill_id=SKILL_ID, user_id=USER_ID, device_id=DEVICE_ID, api_endpoint=API_ENDPOINT,
                      api_access_token="bench-api-access-token", request_id_prefix="amzn1.echo-api.request.bench-")


def envelope(request: dict[str, Any], *, attributes: Mapping[str, Any] | None = None, new: bool = False,
             user_id: str = USER_ID) -> dict[str, Any]:
    """A complete request envelope in Alexa's wire format; one session id per user."""
    return _REQUESTS.envelope(request, session_attributes=attributes, new=new, user_id=user_id,
                              session_id=f"amzn1.echo-api.session.bench-{user_id[-8:]}")


def launch(**kw: Any) -> dict[str, Any]:
    """"Alexa, open foot coach"."""
    return envelope(launch_request(), new=True, **kw)


def intent(name: str, slots: Mapping[str, tuple[str, str]] | None = None, **kw: Any) -> dict[str, Any]:
    """An IntentRequest; each slot is (value heard, catalog id it resolved to)."""
    specs = {slot_name: {"value": value, "id": slot_id} for slot_name, (value, slot_id) in (slots or {}).items()}
    return envelope(_REQUESTS.intent_request(name, specs), **kw)


def start_exercise(exercise_id: str, spoken: str, **kw: Any) -> dict[str, Any]:
    """"Start <exercise>": a counted set."""
    return intent("StartExerciseIntent", {"exercise": (spoken, exercise_id)}, **kw)


class LocalChain:
    """A verifier `fetch` that serves one certificate chain URL from a local file, and nothing else."""

    def __init__(self, url: str, path: str | Path) -> None:
        self.url = url
        self.path = Path(path)

    def __call__(self, url: str) -> bytes:
        """Return the chain file's bytes for the one URL served; raise OSError (a failed download) otherwise."""
        if url != self.url:
            raise OSError(f"the benchmark serves only {self.url}, not {url}")
        return self.path.read_bytes()


@dataclass
class BenchAuthority:
    """A test CA issued for now, its files on disk, and a signer for request bodies."""

    directory: Path
    root_pem: Path
    chain_pem: Path
    _leaf: Any = field(repr=False)
    _root: Any = field(repr=False)

    @classmethod
    def create(cls, directory: Path | None = None) -> BenchAuthority:
        """Generate the keys (about a second: three 2048-bit RSA keys) and write the PEM files."""
        from cryptography.hazmat.primitives import serialization

        signing = tests_module("signing")
        ca = signing.CertificateAuthority("Foot Coach Bench Root", now=datetime.now(timezone.utc))
        leaf = ca.issue()
        directory = directory or Path(tempfile.mkdtemp(prefix="foot-coach-bench-ca-"))
        root_pem = directory / "root.pem"
        chain_pem = directory / "chain.pem"
        root_pem.write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
        chain_pem.write_bytes(leaf.chain_pem())
        return cls(directory, root_pem, chain_pem, leaf, ca.root)

    def trusted_roots(self) -> list[Any]:
        """The CA's root certificate (the only one the bench verifiers trust)."""
        return [self._root]

    def fetch(self) -> Callable[[str], bytes]:
        """A chain fetcher for the bench URL that never touches the network."""
        return LocalChain(CHAIN_URL, self.chain_pem)

    def verifier(self, extra_roots: list[Any] | None = None) -> Any:
        """The project's real SignatureVerifier, trusting this CA (plus extra_roots) only."""
        from skill.webservice.verifier import SignatureVerifier

        return SignatureVerifier(trusted_roots=[*(extra_roots or []), self._root], fetch=self.fetch())

    def sign(self, body: bytes) -> Headers:
        """The headers Alexa would send with body."""
        return {CERT_URL_HEADER: CHAIN_URL, SIGNATURE_HEADER: self._leaf.sign(body)}

    def env(self) -> dict[str, str]:
        """Environment for bench.signed_app (the server entry point that trusts this CA)."""
        from bench.signed_app import CHAIN_ENV, ROOT_ENV

        return {ROOT_ENV: str(self.root_pem), CHAIN_ENV: str(self.chain_pem)}


@dataclass(frozen=True)
class Request:
    """One request ready to send: the exact body and the headers that go with it."""

    name: str
    body: bytes
    headers: Headers

    @property
    def text(self) -> str:
        """The body as the webhook hands it to the SDK (decoded UTF-8)."""
        return self.body.decode("utf-8")
