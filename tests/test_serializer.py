"""FastSerializer gives exactly what the SDK's DefaultSerializer gives: same objects, same errors, same JSON.

Equality (``==``) is not enough: the SDK's models compare ``__dict__``, and two datetimes are equal across
tzinfo types. So every check walks both object graphs and compares types, values, attribute order,
extra raw attributes and tzinfo types. ``CheckedSerializer`` also notes each input the fast path
handed to the SDK, so the tests can tell the fast path really served realistic input.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import (
    DialogState,
    Intent,
    IntentConfirmationStatus,
    RequestEnvelope,
    Response,
    ResponseEnvelope,
    Slot,
    SlotConfirmationStatus,
)
from ask_sdk_model.dialog import DelegateDirective, ElicitSlotDirective
from ask_sdk_model.interfaces.alexa.presentation.apl import (
    ExecuteCommandsDirective,
    RenderDocumentDirective,
    SequentialCommand,
    SetValueCommand,
)
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.ui import (
    AskForPermissionsConsentCard,
    Image,
    PlainTextOutputSpeech,
    PlayBehavior,
    Reprompt,
    SimpleCard,
    SsmlOutputSpeech,
    StandardCard,
)
from conftest import Alexa
from dateutil import tz
from dateutil.parser import parse as dateutil_parse
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reminders import REMINDERS, AlexaApi, api, permitted  # noqa: F401 - `api` is the stand-in API fixture

from skill.alexa.serializer import FastSerializer

ROOT = Path(__file__).resolve().parents[1]
REAL_ALEXA = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-alexa"
SDK = DefaultSerializer()
APL_DEVICE = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}
REMINDER_TYPE = "ask_sdk_model.services.reminder_management.reminder_response.ReminderResponse"
GET_REMINDERS_TYPE = "ask_sdk_model.services.reminder_management.get_reminders_response.GetRemindersResponse"
REMINDER_ITEM_TYPE = "ask_sdk_model.services.reminder_management.reminder.Reminder"
ERROR_TYPE = "ask_sdk_model.services.reminder_management.error.Error"


# -- comparing outcomes ---------------------------------------------------------------------------------------

def assert_same(fast: Any, sdk: Any, path: str = "$") -> None:
    """Walk both object graphs: the same types everywhere, the same values, the same attributes in the same order."""
    assert type(fast) is type(sdk), f"{path}: {type(fast).__name__} != {type(sdk).__name__}"
    if isinstance(fast, Enum):
        assert fast is sdk, path
    elif isinstance(fast, datetime):
        # Not fast == sdk: two aware datetimes in a repeated hour (fold=1) with distinct tzinfo objects
        # never compare equal (PEP 495), not even two results of dateutil's own parser.
        assert (fast.replace(tzinfo=None), fast.fold) == (sdk.replace(tzinfo=None), sdk.fold), path
        assert type(fast.tzinfo) is type(sdk.tzinfo), f"{path}: {fast.tzinfo!r} != {sdk.tzinfo!r}"
        assert (fast.utcoffset(), fast.tzname()) == (sdk.utcoffset(), sdk.tzname()), path
    elif isinstance(fast, float) and math.isnan(fast):
        assert math.isnan(sdk), path
    elif isinstance(fast, (list, tuple)):
        assert len(fast) == len(sdk), f"{path}: {len(fast)} items != {len(sdk)}"
        for index, (fast_item, sdk_item) in enumerate(zip(fast, sdk)):
            assert_same(fast_item, sdk_item, f"{path}[{index}]")
    elif isinstance(fast, dict):
        assert list(fast) == list(sdk), f"{path}: keys {list(fast)} != {list(sdk)}"
        for key in fast:
            assert_same(fast[key], sdk[key], f"{path}[{key!r}]")
    elif isinstance(fast, (str, bytes, int, float, date, type(None), type)):
        assert fast == sdk, f"{path}: {fast!r} != {sdk!r}"
    else:
        fast_attributes, sdk_attributes = vars(fast), vars(sdk)
        assert list(fast_attributes) == list(sdk_attributes), f"{path}: attributes differ"
        for name in fast_attributes:
            assert_same(fast_attributes[name], sdk_attributes[name], f"{path}.{name}")


@dataclass
class Outcome:
    """What one call gave: a value, or an exception's type and message."""

    value: Any = None
    error: tuple[type[BaseException], str] | None = None


def outcome(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except Exception as err:  # noqa: BLE001 - the exception itself is what is compared
        return Outcome(error=(type(err), str(err)))


def assert_same_outcome(fast: Outcome, sdk: Outcome, what: str = "$") -> None:
    assert fast.error == sdk.error, f"{what}: {fast.error} != {sdk.error}"
    if fast.error is None:
        assert_same(fast.value, sdk.value, what)


class CheckedSerializer(FastSerializer):
    """A FastSerializer that runs the SDK's serializer beside every call and notes what it handed to the SDK."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any, Outcome, Outcome]] = []  # (method, input type, fast, SDK)
        self.declined: list[Any] = []

    def deserialize(self, payload: Any, obj_type: Any) -> Any:
        fast = outcome(lambda: super(CheckedSerializer, self).deserialize(payload, obj_type))
        self.calls.append(("deserialize", obj_type, fast, outcome(lambda: SDK.deserialize(payload, obj_type))))
        return _unwrap(fast)

    def serialize(self, obj: Any) -> Any:
        fast = outcome(lambda: json.dumps(super(CheckedSerializer, self).serialize(obj)))
        self.calls.append(("serialize", type(obj), fast, outcome(lambda: json.dumps(SDK.serialize(obj)))))
        return json.loads(_unwrap(fast))

    def _deserialize_with_sdk(self, payload: Any, obj_type: Any) -> Any:
        self.declined.append((payload, obj_type))
        return super()._deserialize_with_sdk(payload, obj_type)

    def _serialize_with_sdk(self, obj: Any) -> Any:
        self.declined.append(obj)
        return super()._serialize_with_sdk(obj)

    def _encode_with_parent(self, obj: Any) -> Any:
        self.declined.append(obj)
        return super()._encode_with_parent(obj)

    def assert_all_same(self) -> None:
        for method, input_type, fast, sdk in self.calls:
            assert_same_outcome(fast, sdk, f"{method}({input_type})")


def _unwrap(result: Outcome) -> Any:
    if result.error is not None:
        raise result.error[0](result.error[1])
    return result.value


def check_deserialize(text: str | None, obj_type: Any, *, fast_path: bool) -> Outcome:
    """Deserialize with both; the results must match, and `fast_path` says whether the SDK may be asked."""
    checked = CheckedSerializer()
    result = outcome(lambda: checked.deserialize(text, obj_type))
    checked.assert_all_same()
    if fast_path:
        assert checked.declined == [], f"the fast path declined {obj_type}"
    return result


def check_serialize(build: Callable[[], Any], *, fast_path: bool = True) -> str:
    """Serialize a freshly built object with each; the JSON must be byte for byte the same."""
    checked = CheckedSerializer()
    fast = outcome(lambda: json.dumps(FastSerializer.serialize(checked, build())))
    sdk = outcome(lambda: json.dumps(SDK.serialize(build())))
    assert_same_outcome(fast, sdk)
    if fast_path:
        assert checked.declined == [], "the fast path declined part of the object"
    return fast.value


def test_the_comparison_notices_what_equality_would_miss() -> None:
    """SDK models compare equal across tzinfo types and ignore attribute order; assert_same does not."""
    text = json.dumps(rq.launch())
    one, other = SDK.deserialize(text, RequestEnvelope), SDK.deserialize(text, RequestEnvelope)
    other.request.timestamp = other.request.timestamp.astimezone(timezone.utc)
    assert one == other
    with pytest.raises(AssertionError, match="tz"):
        assert_same(one, other)
    other = SDK.deserialize(text, RequestEnvelope)
    other.session.unexpected = "raw"
    with pytest.raises(AssertionError, match="attributes differ"):
        assert_same(one, other)


# -- request envelopes ---------------------------------------------------------------------------------------

NESTED_ATTRIBUTES = {
    "schema": 1,
    "workout": {"routine": "daily", "position": {"exercise": "toe_press", "rep": 3, "side": None},
                "done": ["ankle_circles", {"id": "toe_press", "sets": [1, 2]}]},
    "pace": 1.25, "heard_safety": True, "offer": None, "note": "café ☕ <&>",
}


def with_timestamp(envelope: dict[str, Any], stamp: str) -> dict[str, Any]:
    envelope["request"]["timestamp"] = stamp
    return envelope


def built_envelopes() -> dict[str, dict[str, Any]]:
    """Envelopes from the project's own request builders, one of each kind the skill meets."""
    return {
        "launch": rq.launch(),
        "launch, person": rq.launch(person_id=rq.PERSON_ID),
        "launch, Echo Show": rq.launch(supported_interfaces=APL_DEVICE, locale="en-GB"),
        "intent, said slot": rq.intent("StartExerciseIntent", {"exercise": "toe curls"}),
        "intent, resolved slot": rq.intent("StartExerciseIntent", {"exercise": {"value": "toe curls", "id": "toe_press"}},
                                           session_attributes=NESTED_ATTRIBUTES, person_id=rq.PERSON_ID),
        "intent, unresolved slot": rq.intent("StartExerciseIntent", {"exercise": {"value": "jumping jacks", "id": None}}),
        "intent, confirmed, permission": rq.intent("SetRemindersIntent", {"firstTime": "08:00", "secondTime": "12:30"},
                                                   confirmation="CONFIRMED", consent_token="consent"),
        "yes mid-workout, Echo Show": rq.intent("AMAZON.YesIntent", session_attributes=NESTED_ATTRIBUTES,
                                                supported_interfaces=APL_DEVICE),
        "session ended": rq.session_ended(),
        "session ended, error": rq.envelope({"type": "SessionEndedRequest", "reason": "ERROR",
                                             "error": {"type": "INVALID_RESPONSE", "message": "bad SSML"}}),
        "Connections.Response": rq.connections_response("ACCEPTED", "reminders:08:00"),
        "Connections.Response, v1 payload": rq.connections_response("DENIED", "t", payload={"status": "DENIED"}),
        "CanFulfillIntentRequest": rq.envelope({"type": "CanFulfillIntentRequest",
                                                "intent": {"name": "StartRoutineIntent", "slots": {}}}),
        "timestamp with milliseconds": with_timestamp(rq.launch(), "2026-11-21T15:33:36.123Z"),
        "timestamp with +00:00": with_timestamp(rq.launch(), "2026-11-21T15:33:36+00:00"),
        "timestamp with 6 digits and +00:00": with_timestamp(rq.launch(), "2026-11-21T15:33:36.000001+00:00"),
        "unknown keys": {**rq.launch(), "futureField": {"nested": [1, None]},
                         "request": {**rq.launch()["request"], "object_type": "raw", "attribute_map": {"x": "y"}}},
    }


def request_files() -> list[Path]:
    return sorted((ROOT / "samples").glob("*.json")) + sorted((ROOT / "tests").rglob("*.json"))


def test_there_are_request_files_to_check() -> None:
    assert request_files(), "samples/*.json is gone: the file tests below would check nothing"


@pytest.mark.parametrize("path", request_files(), ids=lambda path: path.name)
def test_project_request_files_deserialize_the_same(path: Path) -> None:
    check_deserialize(path.read_text(encoding="utf-8"), RequestEnvelope, fast_path=True)


def real_alexa_bodies() -> list[Any]:
    if not REAL_ALEXA.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason="the shared real Alexa request fixtures (../shared/fixtures/real-alexa) are not here"))]
    return sorted(REAL_ALEXA.glob("*/body*.json"))


@pytest.mark.parametrize("path", real_alexa_bodies(), ids=lambda path: path and path.parent.name + "/" + path.name)
def test_real_alexa_requests_deserialize_the_same(path: Path) -> None:
    """Requests Amazon really sent, byte for byte (one has a leading space; one a slot value in UTF-8)."""
    check_deserialize(path.read_bytes().decode("utf-8"), RequestEnvelope, fast_path=True)


@pytest.mark.parametrize("name", list(built_envelopes()))
def test_built_envelopes_deserialize_the_same_on_the_fast_path(name: str) -> None:
    text = json.dumps(built_envelopes()[name])
    result = check_deserialize(text, RequestEnvelope, fast_path=True)
    assert isinstance(result.value, RequestEnvelope)


@pytest.mark.parametrize("name", list(built_envelopes()))
def test_deserialized_envelopes_serialize_to_the_same_json(name: str) -> None:
    text = json.dumps(built_envelopes()[name])
    # The "unknown keys" request carries a raw attribute named attribute_map: the SDK's code must read it.
    check_serialize(lambda: SDK.deserialize(text, RequestEnvelope), fast_path=name != "unknown keys")


ODD_INPUTS: list[tuple[str | None, Any]] = [
    (None, RequestEnvelope),
    ("not json", RequestEnvelope),
    ("null", RequestEnvelope),
    ("[]", RequestEnvelope),                        # the SDK makes an empty envelope of it
    ('"text"', RequestEnvelope),
    ("12", RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), "yesterday")), RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), "2026-11-21T15:33:36.1234567Z")), RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), "2026-11-21T15:33:36")), RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), "2026-11-21T15:33:36+01:00")), RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), "2026-02-30T15:33:36Z")), RequestEnvelope),
    (json.dumps(with_timestamp(rq.launch(), 1700000000)), RequestEnvelope),
    (json.dumps(rq.envelope({"type": "Alexa.NoSuchRequest"})), RequestEnvelope),
    (json.dumps(rq.envelope({"locale": "en-US"})), RequestEnvelope),
    (json.dumps({**rq.intent("X"), "request": {**rq.intent("X")["request"], "dialogState": "NOPE"}}), RequestEnvelope),
    (json.dumps({**rq.launch(), "session": "a string"}), RequestEnvelope),
    (json.dumps({**rq.launch(), "session": ["new"]}), RequestEnvelope),
    (json.dumps(rq.launch()), None),
    (json.dumps(rq.launch()), ["not", "hashable"]),
]


@pytest.mark.parametrize("text, obj_type", ODD_INPUTS, ids=[str(index) for index in range(len(ODD_INPUTS))])
def test_odd_input_gets_the_sdks_own_result_or_exception(text: str | None, obj_type: Any) -> None:
    check_deserialize(text, obj_type, fast_path=False)


# -- type strings, as the SDK's service clients pass them ---------------------------------------------------

REMINDER = {"alertToken": "alert-1", "createdTime": "2026-11-21T12:00:00.000Z",
            "updatedTime": "2026-11-21T12:00:00.000Z", "status": "ON", "version": "1",
            "href": "/v1/alerts/reminders/alert-1"}
ALERT = {"alertToken": "old-1", "createdTime": "2026-11-21T12:00:00Z", "status": "ON", "version": "2",
         "trigger": {"type": "SCHEDULED_ABSOLUTE", "timeZoneId": "Europe/Berlin", "offsetInSeconds": "30",
                     "recurrence": {"freq": "DAILY", "byDay": ["MO", "TU"],
                                    "recurrenceRules": ["FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1"]}},
         "pushNotification": {"status": "ENABLED"}}
# The SDK cannot read this one: AlertInfo declares its spokenInfo as a class in a module that does not exist
# (ask_sdk_model.services.reminder_management.alert_info_spoken_info), so it raises SerializationException.
ALERT_WITH_INFO = {**ALERT, "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": "Foot exercises"}]}}}
TYPED_INPUTS: list[tuple[Any, Any]] = [
    (REMINDER, REMINDER_TYPE),
    ({"totalCount": "2", "alerts": [ALERT, {"alertToken": "old-2", "status": "COMPLETED"}], "links": {"next": None}},
     GET_REMINDERS_TYPE),
    ({"totalCount": "0", "alerts": []}, GET_REMINDERS_TYPE),
    ([ALERT, None, REMINDER], f"list[{REMINDER_ITEM_TYPE}]"),
    ({"a": ALERT, "b": None}, f"dict(str, {REMINDER_ITEM_TYPE})"),
    ({"code": "NOT_FOUND", "message": "no"}, ERROR_TYPE),
    ("STARTED", "ask_sdk_model.dialog_state.DialogState"),
    ("STARTED", DialogState),
    ([1, 2.5, "3", None, True], "list[int]"),
    ([1, 2.5, "3", None, True], "list[float]"),
    ([1, "x", {"k": [1]}], "list[str]"),
    ([1, "x", {"k": [1]}], "list[object]"),
    ({"a": "1", "b": 2.9}, "dict(str, int)"),
    ({"a": {"b": [1]}}, "dict(str, object)"),
    ("2026-11-21T15:33:36Z", "datetime"),
    ("2026-11-21T15:33:36.5+00:00", datetime),
    ("2026-11-21T15:33:36Z", "date"),
    (12.7, "int"),
    (12, "float"),
    ("yes", "bool"),
    ({"nested": [1]}, "str"),
    ({"nested": [1]}, "object"),
    ({"any": "thing"}, "DefaultSerializer"),       # a bare name is looked up in the SDK serializer's module
    ({"any": "thing"}, "ask_sdk_core.serialize.DefaultSerializer"),
]
ODD_TYPED_INPUTS: list[tuple[Any, Any]] = [
    (["a", 1, 2], "list[str, int]"),                # the comma form: item types by position, zip() stops short
    ([{"a": 1}], "list[dict(str, object)]"),        # split on the comma inside: the SDK cannot resolve "dict(str"
    ([], "list[dict(str, object)]"),
    ({"a": 1}, "dict(str,int)"),                    # no space: the SDK's pattern does not match, so {}
    ([1], "list["),
    ({"a": "x"}, "dict(str, int)"),
    ("NOPE", "ask_sdk_model.dialog_state.DialogState"),
    ("12x", "int"),
    ("NaN", "float"),
    ({"type": "LaunchRequest", "requestId": "r"}, "ask_sdk_model.intent_request.IntentRequest"),  # a LaunchRequest
    ({"requestId": "r"}, "ask_sdk_model.request.Request"),
    ({"a": 1}, "no.such.module.Thing"),
    ({"a": 1}, "NoSuchName"),
    ({"a": 1}, "sys"),
    ({"a": 1}, None),
    ("not a time", "datetime"),
    (5, "datetime"),
    ("2026-11-21T15:33:36 XYZ", "datetime"),
    ({"alertToken": ["a"], "status": "MAYBE"}, REMINDER_TYPE),
    ({"totalCount": "1", "alerts": [ALERT_WITH_INFO]}, GET_REMINDERS_TYPE),
]


@pytest.mark.parametrize("payload, obj_type", TYPED_INPUTS, ids=[str(t) for _, t in TYPED_INPUTS])
def test_type_strings_and_classes_decode_the_same_on_the_fast_path(payload: Any, obj_type: Any) -> None:
    check_deserialize(json.dumps(payload), obj_type, fast_path=True)


@pytest.mark.parametrize("payload, obj_type", ODD_TYPED_INPUTS, ids=[str(t) for _, t in ODD_TYPED_INPUTS])
def test_the_sdks_type_string_quirks_are_kept(payload: Any, obj_type: Any) -> None:
    check_deserialize(json.dumps(payload), obj_type, fast_path=False)


def test_a_discriminator_subclass_follows_the_payload_like_the_sdk() -> None:
    """Asked for an IntentRequest, the SDK builds whatever the payload's "type" names (the classmethod is inherited)."""
    text = json.dumps({"type": "LaunchRequest", "requestId": "r"})
    result = check_deserialize(text, "ask_sdk_model.intent_request.IntentRequest", fast_path=True)
    assert type(result.value).__name__ == "LaunchRequest"


# -- timestamps and the host's time zone ---------------------------------------------------------------------

# A POSIX zone named "UTC" in winter and "BST" in summer: takes every branch of dateutil's choice of tzinfo.
UTC_WITH_SUMMER_TIME = "UTC0BST,M3.5.0/1,M10.5.0"
LOCAL_ZONES = ["UTC", "Etc/UTC", "America/New_York", "Europe/London", "Asia/Kolkata", UTC_WITH_SUMMER_TIME]


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name`, as if the host were configured so."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize("zone, tzinfo_type", [
    ("UTC", tz.tzlocal), ("America/New_York", tz.tzutc), (UTC_WITH_SUMMER_TIME, tz.tzlocal),
])
def test_dateutil_reads_z_as_local_time_when_the_host_zone_is_called_utc(zone: str, tzinfo_type: type) -> None:
    """The quirk the fast path reproduces: "Z" gives tzlocal() on a host whose zone is named "UTC"."""
    with local_zone(zone):
        expected = dateutil_parse("2026-01-15T12:00:00Z")
        result = check_deserialize('"2026-01-15T12:00:00Z"', "datetime", fast_path=True)
    assert type(expected.tzinfo) is tzinfo_type
    assert_same(result.value, expected)


@pytest.mark.parametrize("stamp", [
    "2026-10-25T01:30:00Z",         # the hour that happens twice in UTC_WITH_SUMMER_TIME: dateutil sets fold=1
    "2026-07-01T12:00:00.25Z",      # summer: the local name is "BST", so dateutil falls back to tz.UTC
    "2026-03-29T01:30:00+00:00",    # the hour that does not exist locally
    "2026-01-15T12:00:00Z",
])
@pytest.mark.parametrize("zone", LOCAL_ZONES)
def test_alexa_timestamps_match_dateutil_in_every_host_zone(zone: str, stamp: str) -> None:
    with local_zone(zone):
        result = check_deserialize(json.dumps(stamp), "datetime", fast_path=True)
        assert_same(result.value, dateutil_parse(stamp))


def test_the_repeated_hour_gets_fold_1_like_dateutil() -> None:
    with local_zone(UTC_WITH_SUMMER_TIME):
        result = check_deserialize('"2026-10-25T01:30:00Z"', "datetime", fast_path=True)
    assert result.value.fold == 1 and type(result.value.tzinfo) is tz.tzlocal


@settings(max_examples=150, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       digits=st.integers(min_value=0, max_value=6), suffix=st.sampled_from(["Z", "+00:00"]),
       zone=st.sampled_from(LOCAL_ZONES))
def test_any_alexa_shaped_timestamp_matches_dateutil(moment: datetime, digits: int, suffix: str, zone: str) -> None:
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
    if digits:
        stamp += "." + f"{moment.microsecond:06d}"[:digits]
    stamp += suffix
    with local_zone(zone):
        result = check_deserialize(json.dumps(stamp), "datetime", fast_path=True)
        assert_same(result.value, dateutil_parse(stamp))


# -- the SDK changes model classes as it goes -----------------------------------------------------------------

@contextmanager
def class_maps_restored() -> Iterator[None]:
    """Put every SDK model class's attribute_map back as it was: the SDK's serialize can add keys to them."""
    maps = [vars(cls)["attribute_map"] for module_name, module in list(sys.modules.items())
            if module_name.startswith("ask_sdk_model") and module is not None
            for cls in vars(module).values() if isinstance(cls, type) and "attribute_map" in vars(cls)]
    saved = [dict(attribute_map) for attribute_map in maps]
    try:
        yield
    finally:
        for attribute_map, before in zip(maps, saved):
            attribute_map.clear()
            attribute_map.update(before)


def test_a_class_map_the_sdk_grew_is_planned_again() -> None:
    """Serializing a card that carries its own deserialized_types adds its keys to SimpleCard's class map, for good.

    After that the SDK refuses a card payload with such a key; plans made before must not hide it.
    """
    text = json.dumps({"type": "Simple", "title": "t", "extra": "e"})
    card_type = "ask_sdk_model.ui.card.Card"
    fast = FastSerializer()

    def card_with_own_types() -> SimpleCard:
        card = SimpleCard(title="t")
        card.deserialized_types = {**SimpleCard.deserialized_types, "extra": "str"}  # type: ignore[misc]
        card.extra = "e"  # type: ignore[attr-defined]
        return card

    with class_maps_restored():
        assert_same_outcome(outcome(lambda: fast.deserialize(text, card_type)),
                            outcome(lambda: SDK.deserialize(text, card_type)))
        assert fast.deserialize(text, card_type).extra == "e"   # a raw attribute, so far
        assert_same_outcome(outcome(lambda: json.dumps(fast.serialize(card_with_own_types()))),
                            outcome(lambda: json.dumps(SDK.serialize(card_with_own_types()))))
        assert "extra" in SimpleCard.attribute_map
        after = outcome(lambda: SDK.deserialize(text, card_type))
        assert after.error is not None and after.error[1] == "'extra'"
        assert_same_outcome(outcome(lambda: fast.deserialize(text, card_type)), after)
    assert "extra" not in SimpleCard.attribute_map


# -- random damage to a real envelope ------------------------------------------------------------------------

def json_junk() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20)
               | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
               | st.sampled_from(["", "2026-11-21T15:33:36Z", "2026-13-01T00:00:00Z", "2026-11-21T15:33:36.1234567Z",
                                  "2026-11-21T15:33:36z", "2026-11-21 15:33:36", "2026-11-21T15:33:36-00:00",
                                  "LaunchRequest", "IntentRequest", "STARTED", "CONFIRMED", "ER_SUCCESS_MATCH"]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        json_keys(), inner, max_size=3), max_leaves=6)


def json_keys() -> st.SearchStrategy[str]:
    return st.text(max_size=8) | st.sampled_from([
        "type", "object_type", "requestId", "timestamp", "attribute_map", "deserialized_types", "to_dict",
        "__class__", "__dict__", "slots", "resolutions", "value", "System", "person", "new",
    ])


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (not the root itself)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def mutate(document: Any, data: st.DataObject) -> None:
    """Drop a key, change a value's type, or add an unknown key, somewhere in the document."""
    candidates = paths(document)
    if not candidates:
        return  # everything was dropped already
    path = data.draw(st.sampled_from(candidates))
    *parent_path, last = path
    parent = document
    for step in parent_path:
        parent = parent[step]
    action = data.draw(st.sampled_from(["drop", "replace", "add key"]))
    if action == "drop":
        del parent[last]
    elif action == "replace":
        parent[last] = data.draw(json_junk())
    elif isinstance(parent[last], dict):
        parent[last][data.draw(json_keys())] = data.draw(json_junk())
    else:
        parent[last] = data.draw(json_junk())


SEEDS = [
    rq.intent("StartExerciseIntent", {"exercise": {"value": "toe curls", "id": "toe_press"}},
              session_attributes=NESTED_ATTRIBUTES, person_id=rq.PERSON_ID, supported_interfaces=APL_DEVICE,
              consent_token="consent"),
    rq.connections_response("ACCEPTED", "reminders:08:00"),
    rq.session_ended(session_attributes=NESTED_ATTRIBUTES),
]


@settings(max_examples=150, deadline=None)
@given(seed=st.sampled_from(range(len(SEEDS))), count=st.integers(min_value=1, max_value=4), data=st.data())
def test_damaged_envelopes_give_the_same_result_or_the_same_exception(seed: int, count: int, data: st.DataObject) -> None:
    document = json.loads(json.dumps(SEEDS[seed]))
    for _ in range(count):
        mutate(document, data)
    text = json.dumps(document)
    fast = FastSerializer()
    fast_result = outcome(lambda: fast.deserialize(text, RequestEnvelope))
    sdk_result = outcome(lambda: SDK.deserialize(text, RequestEnvelope))
    assert_same_outcome(fast_result, sdk_result)
    if fast_result.error is None:
        # And back: a damaged envelope may carry raw attributes named like the SDK's own maps.
        with class_maps_restored():
            assert_same_outcome(outcome(lambda: json.dumps(fast.serialize(fast_result.value))),
                                outcome(lambda: json.dumps(SDK.serialize(sdk_result.value))))


# -- responses -------------------------------------------------------------------------------------------------

class Stage(Enum):
    """A plain Enum in session attributes: the SDK writes its value."""

    WARM_UP = "warm-up"


def full_response() -> ResponseEnvelope:
    """A response with everything the skill (or the SDK's builder) can put in one."""
    return ResponseEnvelope(
        version="1.0",
        session_attributes={**NESTED_ATTRIBUTES, "tuple": (1, "two", [3]), "whole": Decimal("4"),
                            "half": Decimal("2.5"), "stage": Stage.WARM_UP, "at": datetime(2026, 11, 21, 15, 0),
                            "day": date(2026, 11, 21), "empty": {}, "list of dicts": [{"a": None}, {}]},
        user_agent="ask-python/1.19.0 Python/3.11",
        response=Response(
            output_speech=SsmlOutputSpeech(ssml='<speak>One. <break time="3s"/> Two.</speak>',
                                           play_behavior=PlayBehavior.REPLACE_ENQUEUED),
            reprompt=Reprompt(output_speech=SsmlOutputSpeech(ssml="<speak>Say next.</speak>")),
            card=StandardCard(title="Toe presses", text="Press & hold", image=Image(small_image_url="https://x/s.png")),
            should_end_session=False,
            directives=[
                RenderDocumentDirective(token="screen", document={"type": "APL", "version": "2023.2",
                                        "mainTemplate": {"parameters": ["payload"], "items": [{"type": "Text"}]}},
                                        datasources={"screen": {"title": "Toe presses", "reps": [1, 2, 3]}}),
                ExecuteCommandsDirective(token="screen", commands=[
                    {"type": "Sequential", "commands": [{"type": "SetValue", "componentId": "counter",
                                                         "property": "text", "value": "1", "delay": 3000}]}]),
                ExecuteCommandsDirective(token="screen", commands=[SequentialCommand(commands=[
                    SetValueCommand(component_id="counter", object_property="text", value="2", delay=500)])]),
                DelegateDirective(updated_intent=Intent(
                    name="StartExerciseIntent", confirmation_status=IntentConfirmationStatus.NONE,
                    slots={"exercise": Slot(name="exercise", value="toe curls",
                                            confirmation_status=SlotConfirmationStatus.CONFIRMED)})),
                ElicitSlotDirective(slot_to_elicit="firstTime"),
                SendRequestDirective(name="AskFor", token="reminders", payload={
                    "@type": "AskForPermissionsConsentRequest", "@version": "2",
                    "permissionScopes": [{"permissionScope": rq.REMINDERS_SCOPE, "consentLevel": "ACCOUNT"}]}),
            ],
        ),
    )


RESPONSES: dict[str, Callable[[], Any]] = {
    "everything": full_response,
    "speech only": lambda: ResponseEnvelope(version="1.0", response=Response(
        output_speech=PlainTextOutputSpeech(text="Bye."), should_end_session=True)),
    "consent card": lambda: ResponseEnvelope(version="1.0", session_attributes={}, response=Response(
        card=AskForPermissionsConsentCard(permissions=[rq.REMINDERS_SCOPE]))),
    "empty response": lambda: ResponseEnvelope(version="1.0", response=Response()),
    "bare values": lambda: [None, 1, 2.5, True, "s", b"bytes", (1, 2), {"k": [Decimal("1.0")]}],
}


@pytest.mark.parametrize("name", list(RESPONSES))
def test_responses_serialize_to_byte_identical_json(name: str) -> None:
    check_serialize(RESPONSES[name])


def card_with_its_own_map() -> SimpleCard:
    card = SimpleCard(title="t", content="c")
    card.attribute_map = {"title": "heading"}  # type: ignore[misc] - what a request key of that name would do
    return card


@pytest.mark.parametrize("build, error", [
    (lambda: ResponseEnvelope(response=Response(card=types.SimpleNamespace(title="x"))), AttributeError),
    (lambda: {"plain": object()}, AttributeError),
    (lambda: {"nan": Decimal("sNaN")}, Exception),
    (card_with_its_own_map, None),
])
def test_unusual_objects_get_the_sdks_result_or_exception(build: Callable[[], Any], error: type | None) -> None:
    checked = CheckedSerializer()
    fast = outcome(lambda: FastSerializer.serialize(checked, build()))
    sdk = outcome(lambda: SDK.serialize(build()))
    assert_same_outcome(fast, sdk)
    assert checked.declined, "these objects are exactly the ones the SDK's own code must take"
    if error is None:
        # The SDK extends the instance's map with identity entries: "object_type" is not renamed "type".
        assert fast.error is None and fast.value == {"object_type": "Simple", "heading": "t", "content": "c"}
    else:
        assert fast.error is not None and issubclass(fast.error[0], error)


@settings(max_examples=150, deadline=None)
@given(attributes=st.dictionaries(json_keys(), json_junk(), max_size=6))
def test_any_session_attributes_serialize_to_the_same_json(attributes: dict[str, Any]) -> None:
    check_serialize(lambda: ResponseEnvelope(version="1.0", session_attributes=json.loads(json.dumps(attributes)),
                                             response=Response(should_end_session=False)))


# -- the running app -----------------------------------------------------------------------------------------

def served_skill(app: Flask) -> CustomSkill:
    """The skill behind POST /: create_app keeps it only in the webhook's closures, so look there."""
    todo: list[tuple[Any, int]] = [(view, 0) for view in app.view_functions.values()]
    seen: set[int] = set()
    while todo:
        item, depth = todo.pop()
        if id(item) in seen or depth > 4:
            continue
        seen.add(id(item))
        if isinstance(item, CustomSkill):
            return item
        if isinstance(item, types.FunctionType):
            todo += [(cell.cell_contents, depth + 1) for cell in item.__closure__ or ()]
        elif not isinstance(item, (type, types.ModuleType)) and hasattr(item, "__dict__"):
            todo += [(value, depth + 1) for value in vars(item).values()]
    raise AssertionError("no CustomSkill found behind the app's views")


def test_the_app_serves_its_skill_with_the_fast_serializer(app: Flask, alexa: Alexa) -> None:
    skill = served_skill(app)
    assert type(skill.serializer) is FastSerializer
    alexa.launch()
    assert RequestEnvelope in skill.serializer._decoders, "the served request did not go through it"


def test_a_conversation_through_the_app_matches_the_sdk_call_for_call(
        app: Flask, client: FlaskClient, api: AlexaApi) -> None:
    """Every (de)serialization the app does, service clients included, gives the SDK's result on the fast path."""
    checked = CheckedSerializer()
    served_skill(app).serializer = checked
    bodies: list[dict[str, Any]] = []

    plain = Alexa(client)
    for turn in (plain.launch, lambda: plain.say("StartRoutineIntent"), lambda: plain.say("AMAZON.YesIntent"),
                 lambda: plain.say("AMAZON.PauseIntent"), lambda: plain.say("AMAZON.ResumeIntent"),
                 lambda: plain.say("AMAZON.HelpIntent"), lambda: plain.say("AMAZON.StopIntent")):
        bodies.append(turn().body)
    show = Alexa(client, supported_interfaces=APL_DEVICE, person_id=rq.PERSON_ID)
    bodies.append(show.launch().body)
    bodies.append(show.say("StartExerciseIntent", exercise={"value": "ankle rotations", "id": "ankle_circles"}).body)
    bodies.append(show.say("AMAZON.YesIntent").body)
    show.end_session()
    reminding = permitted(client)
    bodies.append(reminding.launch().body)
    bodies.append(reminding.say("SetRemindersIntent").body)
    bodies.append(reminding.say("AMAZON.YesIntent").body)
    api.answers[("DELETE", f"{REMINDERS}/alert-1")] = (200, {})
    bodies.append(reminding.say("CancelRemindersIntent").body)
    client.post("/", json=rq.connections_response("DENIED", "reminders:08:00"))

    checked.assert_all_same()
    assert checked.declined == [], "realistic traffic fell back to the SDK's code"
    kinds = {(method, input_type) for method, input_type, _, _ in checked.calls}
    assert ("deserialize", RequestEnvelope) in kinds and ("serialize", ResponseEnvelope) in kinds
    assert ("deserialize", REMINDER_TYPE) in kinds, "the reminders client no longer reads through the skill's serializer"
    assert any(d["type"] == "Alexa.Presentation.APL.ExecuteCommands"
               for body in bodies for d in body["response"].get("directives", [])), "no APL turn was checked"
    for body in bodies:
        check_deserialize(json.dumps(body), ResponseEnvelope, fast_path=True)
