"""skill-package/ is what ./dev package builds, Amazon's own manifest classes accept it, and it declares what the code uses.

The manifest is deserialized into ask-smapi-model's SkillManifestEnvelope (the Skill Management API's
classes, which refuse unknown enum values) and serialized back: anything those classes do not know
(a misspelt key, a string where a boolean belongs) comes back different, and the path is named.
Our own rules: every example phrase opens or asks Foot Coach and its request is a sample of that
locale's model; the permissions are exactly those the skill asks for; APL is declared because the
skill sends APL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model_runtime.exceptions import SerializationException
from ask_sdk_model_runtime.serializer import DefaultSerializer
from flask.testing import FlaskClient

import alexa_requests as rq
from conftest import Alexa
from deploy.package import (MANIFEST_FILE, PACKAGE_DIR, RESOURCES_FILE, ROOT, PackageError, build_manifest,
                            current_endpoint, package_files)
from skill.content.catalog import SUPPORTED_LOCALES

ENVELOPE_CLASS = "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope"
MANIFEST = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))["manifest"]
LOCALES = MANIFEST["publishingInformation"]["locales"]
INVOCATION = "foot coach"
DISCLAIMER = "not a substitute for professional medical advice"
APL_DEVICE = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}


def test_the_committed_package_is_what_dev_package_builds() -> None:
    """skill.json, every model and ask-resources.json, for the endpoint the committed manifest names."""
    endpoint, ssl_type = current_endpoint()
    assert endpoint and ssl_type
    for path, text in package_files(endpoint, ssl_type).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date: run ./dev package (SKILL_ENDPOINT=... to change the endpoint)")
    models = sorted(p.name for p in (PACKAGE_DIR / "interactionModels" / "custom").glob("*.json"))
    assert models == sorted(f"{locale}.json" for locale in SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_package_models_are_the_console_models(locale: str) -> None:
    """The ASK CLI deploys exactly interaction_model/<locale>.json."""
    assert (PACKAGE_DIR / "interactionModels" / "custom" / f"{locale}.json").read_bytes() == (
        ROOT / "interaction_model" / f"{locale}.json").read_bytes()


def differences(original: Any, round_trip: Any, path: str = "manifest") -> list[str]:
    """Where the round trip through the SMAPI classes changed the JSON (a key or value they do not know)."""
    if isinstance(original, dict) and isinstance(round_trip, dict):
        return [d for key in sorted(set(original) | set(round_trip))
                for d in differences(original.get(key), round_trip.get(key), f"{path}.{key}")]
    if isinstance(original, list) and isinstance(round_trip, list) and len(original) == len(round_trip):
        return [d for i, (a, b) in enumerate(zip(original, round_trip)) for d in differences(a, b, f"{path}[{i}]")]
    if type(original) is not type(round_trip) or original != round_trip:
        return [f"{path}: {original!r} came back as {round_trip!r}"]
    return []


def smapi_round_trip(manifest_json: str) -> Any:
    """Deserialize into the SMAPI manifest classes and serialize back to plain JSON."""
    serializer = DefaultSerializer()
    envelope = serializer.deserialize(manifest_json, ENVELOPE_CLASS)
    return json.loads(json.dumps(serializer.serialize(envelope)))


def test_the_manifest_is_a_valid_smapi_skill_manifest() -> None:
    """Every key and enum value is one the Skill Management API's model classes know, with its type."""
    text = MANIFEST_FILE.read_text(encoding="utf-8")
    found = differences(json.loads(text), smapi_round_trip(text), "")
    assert not found, "skill.json has what the SMAPI manifest does not:\n" + "\n".join(found)


@pytest.mark.parametrize(("path", "value"), [
    (("apis", "custom", "endpoint", "sslCertificateType"), "TrustedCA"),
    (("publishingInformation", "distributionCountries"), ["UK"]),
    (("permissions",), [{"name": "alexa::reminders:readwrite"}]),
    (("apis", "custom", "interfaces"), [{"type": "ALEXA_PRESENTATION_APL", "supportedViewports": [{"mode": "WATCH"}]}]),
    (("manifestVersion",), "2.0"),
])
def test_the_smapi_classes_refuse_unknown_enum_values(path: tuple[str, ...], value: Any) -> None:
    """The check has teeth: a wrong certificate type, country, permission, viewport or version fails."""
    manifest = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))
    target = manifest["manifest"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SerializationException):
        smapi_round_trip(json.dumps(manifest))


@pytest.mark.parametrize(("key", "value"), [("isChildDirekted", False), ("allowsPurchases", "false")])
def test_unknown_keys_and_wrong_types_are_found_by_the_round_trip(key: str, value: Any) -> None:
    """A misspelt key vanishes and a string boolean turns into True: both are reported with their path."""
    manifest = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))
    manifest["manifest"]["privacyAndCompliance"][key] = value
    text = json.dumps(manifest)
    assert differences(json.loads(text), smapi_round_trip(text), "") == [
        f".manifest.privacyAndCompliance.{key}: {value!r} came back as {None if key.endswith('kted') else True!r}"]


def test_the_endpoint_is_https_with_a_certificate_type() -> None:
    """Alexa calls only HTTPS endpoints; the certificate type tells it how to check ours."""
    endpoint = MANIFEST["apis"]["custom"]["endpoint"]
    assert endpoint["uri"].startswith("https://")
    assert endpoint["sslCertificateType"] in ("Trusted", "Wildcard", "SelfSigned")
    for bad in ("http://foot-coach.example.com/", "foot-coach.example.com", "https:///", "https://x.example/?a=1"):
        with pytest.raises(PackageError, match="https:// URL"):
            build_manifest(bad, "Trusted")
    with pytest.raises(PackageError, match="certificate type"):
        build_manifest("https://x.example/", "Selfsigned")


def test_ask_resources_deploys_only_the_skill_package() -> None:
    """Self-hosted: no code or infrastructure for the ASK CLI to deploy, just skill-package/."""
    assert json.loads(RESOURCES_FILE.read_text(encoding="utf-8")) == {
        "askcliResourcesVersion": "2020-03-31", "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}}}


def test_every_locale_is_published_in_health_and_fitness_with_the_disclaimer() -> None:
    """Each English marketplace has its store texts; the description says it is not medical advice."""
    assert sorted(LOCALES) == sorted(SUPPORTED_LOCALES)
    assert MANIFEST["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"
    for locale, texts in LOCALES.items():
        assert texts["name"] == "Foot Coach"
        assert DISCLAIMER in texts["description"], f"{locale}: the description must say it is {DISCLAIMER}"
        assert 0 < len(texts["summary"]) <= 160 and 0 < len(texts["description"]) <= 4000, locale
        assert 1 <= len(texts["examplePhrases"]) <= 3 and texts["keywords"], locale


def test_privacy_and_compliance_answers() -> None:
    """No purchases, no personal or health information, not for children, no ads."""
    assert MANIFEST["privacyAndCompliance"] == {
        "allowsPurchases": False, "usesPersonalInfo": False, "usesHealthInfo": False,
        "isChildDirected": False, "isExportCompliant": True, "containsAds": False}


def locale_model(locale: str) -> dict[str, Any]:
    path = PACKAGE_DIR / "interactionModels" / "custom" / f"{locale}.json"
    return json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


def sample_pattern(sample: str, slot_types: dict[str, str], values: dict[str, list[str]]) -> str:
    """A regex for what a sample accepts: an ExerciseName slot any value or synonym, other slots any words."""
    parts = []
    for piece in re.split(r"(\{\w+\})", sample):
        if found := re.fullmatch(r"\{(\w+)\}", piece):
            said = values.get(slot_types[found.group(1)])
            parts.append(f"(?:{'|'.join(map(re.escape, said))})" if said else r"[\w' :.]+")
        else:
            parts.append(re.escape(piece.lower()))
    return "".join(parts)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_example_phrases_open_or_ask_foot_coach_and_say_a_sample(locale: str) -> None:
    """'Alexa, open foot coach', or 'Alexa, ask foot coach [to] <a sample of this locale's model>'."""
    model = locale_model(locale)
    assert model["invocationName"] == INVOCATION
    values = {t["name"]: [s.lower() for v in t["values"] for s in (v["name"]["value"], *v["name"]["synonyms"])]
              for t in model["types"]}
    patterns = []
    for intent in model["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        patterns += [(intent["name"], sample_pattern(s, slot_types, values)) for s in intent.get("samples", [])]
    phrases = LOCALES[locale]["examplePhrases"]
    assert phrases[0] == f"Alexa, open {INVOCATION}", "the first example phrase must open the skill"
    for phrase in phrases[1:]:
        found = re.fullmatch(rf"Alexa, (?:open|ask) {INVOCATION}(?: (?:to|for|about|if|whether))? (.+?)[.?]?", phrase)
        assert found, f"{locale}: {phrase!r} must start 'Alexa, open {INVOCATION}' or 'Alexa, ask {INVOCATION}'"
        utterance = found.group(1).lower()
        matched = [name for name, pattern in patterns if re.fullmatch(pattern, utterance)]
        assert matched, f"{locale}: {utterance!r} (from {phrase!r}) is no sample of interaction_model/{locale}.json"


# -- declared versus used: permissions and interfaces, from what the skill really does ------------

def test_the_permissions_are_exactly_those_the_skill_asks_for(client: FlaskClient) -> None:
    """Reminders: the scope of the AskFor directive and the consent card; person id: progress keyed by person."""
    asked: set[str] = set()
    alexa = Alexa(client)
    alexa.launch()
    reply = alexa.say("SetRemindersIntent")
    [directive] = reply.body["response"]["directives"]
    asked |= {scope["permissionScope"] for scope in directive["payload"]["permissionScopes"]}
    denied = alexa.send(rq.connections_response("DENIED", directive["token"], **alexa.common()))
    asked |= set(denied.body["response"]["card"]["permissions"])

    # Two devices of one account, one person: the person's place follows them, so the skill reads personId.
    first = Alexa(client, person_id="amzn1.ask.person.PACKAGE", user_id="amzn1.ask.account.A")
    first.launch()
    first.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    first.say("AMAZON.StopIntent")
    again = Alexa(client, person_id="amzn1.ask.person.PACKAGE", user_id="amzn1.ask.account.B").launch()
    if "Last time you stopped at ankle circles" in again.text:
        asked.add("alexa::person_id:read")

    declared = {p["name"] for p in MANIFEST["permissions"]}
    assert declared == asked, (f"declare {sorted(asked - declared)} in deploy/manifest.json permissions; "
                               f"{sorted(declared - asked)} are declared but never used")


def test_no_other_permission_scope_appears_in_the_code() -> None:
    """A scope string anywhere in skill/ must be declared too (in case a path above did not reach it)."""
    scopes = {m for path in (ROOT / "skill").rglob("*.py")
              for m in re.findall(r"alexa::[a-z_:]+", path.read_text(encoding="utf-8"))}
    declared = {p["name"] for p in MANIFEST["permissions"]}
    assert scopes <= declared, f"declare {sorted(scopes - declared)} in deploy/manifest.json permissions"


def test_the_apl_interface_is_declared_because_the_skill_sends_apl(client: FlaskClient) -> None:
    """An Echo Show gets APL directives, so ALEXA_PRESENTATION_APL is declared; no other interface is."""
    alexa = Alexa(client, supported_interfaces=APL_DEVICE)
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    reply = alexa.say("AMAZON.YesIntent")
    used = {"ALEXA_PRESENTATION_APL" for d in reply.body["response"].get("directives", [])
            if d["type"].startswith("Alexa.Presentation.APL.")}
    declared = {i["type"] for i in MANIFEST["apis"]["custom"]["interfaces"]}
    assert used == declared == {"ALEXA_PRESENTATION_APL"}


def test_the_package_has_nothing_else() -> None:
    """Only what the ASK CLI reads: the manifest and the custom models."""
    files = sorted(str(p.relative_to(PACKAGE_DIR)) for p in Path(PACKAGE_DIR).rglob("*") if p.is_file())
    assert files == sorted(["skill.json", *(f"interactionModels/custom/{loc}.json" for loc in SUPPORTED_LOCALES)])


def test_dev_package_checks_and_refuses_a_plain_http_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    """`./dev package --check` passes on the committed package; an http:// endpoint is refused before writing."""
    from deploy.package import main

    assert main(["--check"]) == 0
    assert main(["--endpoint", "http://foot-coach.example.com/", "--check"]) == 2
    assert "must be an https:// URL" in capsys.readouterr().err
