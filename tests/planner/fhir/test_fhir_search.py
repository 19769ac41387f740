"""Search parameter parsing, and what the CapabilityStatement declares matches what is served."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from planner.fhir.capability import SEARCH_PARAMETERS, capability_statement
from planner.fhir.directory import SEARCH_PARAMETERS as DIRECTORY_PARAMETERS
from planner.fhir.errors import FhirError
from planner.fhir.search import MAX_COUNT, parse_date, parse_query, parse_reference, parse_token
from planner.fhir.slots import APPOINTMENT_PARAMETERS, SLOT_PARAMETERS

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def test_dates_name_a_range_in_the_sites_zone() -> None:
    day = parse_date("ge2026-11-24", PARIS)
    assert day.prefix == "ge"
    assert (day.low, day.high) == (dt.datetime(2026, 11, 23, 23, tzinfo=UTC),
                                   dt.datetime(2026, 11, 24, 23, tzinfo=UTC))
    month = parse_date("2026-03", PARIS)  # the month the clocks change
    assert (month.low, month.high) == (dt.datetime(2026, 2, 28, 23, tzinfo=UTC),
                                       dt.datetime(2026, 3, 31, 22, tzinfo=UTC))
    assert parse_date("2026", PARIS).high == dt.datetime(2026, 12, 31, 23, tzinfo=UTC)
    moment = parse_date("lt2026-11-24T10:00:00Z", PARIS)
    assert (moment.low, moment.high - moment.low) == (dt.datetime(2026, 11, 24, 10, tzinfo=UTC),
                                                       dt.timedelta(seconds=1))
    assert parse_date("gt2026-11-24T10:00 01:00", PARIS).low == dt.datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert parse_date("2026-11-24T10:00", PARIS).low == dt.datetime(2026, 11, 24, 9, tzinfo=UTC)


@pytest.mark.parametrize("value", ["sa2026-11-24", "2026-02-30", "tomorrow", "2026-11-24T25:00Z",
                                   "ne2026-11-24"])
def test_bad_dates_are_400(value: str) -> None:
    with pytest.raises(FhirError) as error:
        parse_date(value, PARIS)
    assert error.value.status == 400


def test_queries_tokens_and_references() -> None:
    query = parse_query([("start", "ge2026-01-01"), ("start", "lt2026-02-01"), ("status", "free,busy"),
                         ("_count", "9999"), ("_offset", "20"), ("_format", "json")],
                        ["start", "status"])
    assert query.get("start") == [["ge2026-01-01"], ["lt2026-02-01"]]
    assert query.get("status") == [["free", "busy"]]
    assert (query.count, query.offset) == (MAX_COUNT, 20)
    for bad in ([("colour", "red")], [("status:not", "free")], [("_count", "-1")], [("status", "a,")]):
        with pytest.raises(FhirError):
            parse_query(bad, ["status"])
    assert parse_token("urn:x|code") == ("urn:x", "code") and parse_token("code") == (None, "code")
    assert parse_reference("Practitioner/4", ["Practitioner"]) == ("Practitioner", "4")
    assert parse_reference("4", ["Schedule"]) == ("Schedule", "4")
    assert parse_reference("http://h/fhir/Slot/7", ["Slot"]) == ("Slot", "7")
    with pytest.raises(FhirError):
        parse_reference("4", ["Practitioner", "PractitionerRole"])


def test_the_capability_statement_declares_exactly_the_parameters_served() -> None:
    served = {name: set(matchers) for name, matchers in DIRECTORY_PARAMETERS.items()}
    served["Slot"] = set(SLOT_PARAMETERS)
    served["Appointment"] = set(APPOINTMENT_PARAMETERS)
    declared = {name: {p[0] for p in params} for name, params in SEARCH_PARAMETERS.items() if params}
    assert declared == served
    statement = capability_statement("http://127.0.0.1/fhir", "1.0", "2026-11-22")
    from tests.support.fhir import validate

    validate(statement)
