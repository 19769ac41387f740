"""The API under attack: Schemathesis against ``/schema/openapi.json``, in-process (ASGI).

Every documented operation is called with generated data (valid and invalid), anonymously, once
per staff role (a complete staff session with its CSRF header, as a signed-in browser would send)
and once as a FHIR client holding a token with every scope. Checks: no server error, documented
status codes, content types, headers and bodies, and no authentication bypass — a guarded
operation (FHIR data, video signalling: bearer tokens only) never answers 2xx to a caller without
a valid token for it, whatever staff session it holds.

The run is bounded (``EXAMPLES`` per operation and mode) and derandomised: the same cases every
run, drawn once and sent by every caller. ``SCHEMATHESIS_EXAMPLES`` raises the bound for a longer
local hunt.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.auth.sessions import token_hash
from planner.database import make_engine
from planner.fhir.capability import RESOURCE_SCOPES
from planner.models import StaffSession
from planner.settings import Settings
from tests.planner.booking.support import NOW, sqlite_copy_of_demo
from tests.support.fhir import new_token
from tests.web.video.conftest import staff_cookie

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup, ServerError  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
DOMAIN = "msp-tilleuls.example"
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "admin": f"admin@{DOMAIN}",
    "manager": f"valerie.dumas@{DOMAIN}",
    "clinician": f"claire.morel@{DOMAIN}",
    "nurse": f"camille.petit@{DOMAIN}",
    "secretary": f"sandrine.blanc@{DOMAIN}",
    "pharmacist": f"elodie.marchand@{DOMAIN}",
    "fhir_client": None,  # no staff session: an API token with every FHIR scope
}
#: Operations that need a bearer token (FHIR API token, video join token): a staff session alone
#: never opens them, and neither does anonymity.
GUARDED_PREFIXES = ("/fhir/", "/api/v1/video/")
PUBLIC_PATHS = {"/fhir/metadata"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

TOTALS: Counter[str] = Counter()
OPERATIONS: set[str] = set()
FINDINGS: dict[str, list[str]] = {}


def is_guarded(path: str) -> bool:
    """Whether the operation at ``path`` needs a bearer token."""
    return path.startswith(GUARDED_PREFIXES) and path not in PUBLIC_PATHS


def bypass_check(token_opens: tuple[str, ...] = ()):  # noqa: ANN201 - a Schemathesis check
    """The auth-bypass check for a caller whose token opens the operations under ``token_opens``."""

    def auth_bypass(ctx, response, case) -> bool | None:  # noqa: ANN001
        path = case.operation.path
        if is_guarded(path) and not path.startswith(token_opens) and 200 <= response.status_code < 300:
            raise AssertionError(f"auth bypass: {case.method} {case.formatted_path} answered "
                                 f"{response.status_code} without a valid bearer token")
        return None

    return auth_bypass


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Engine]]:
    """The app on the booking demo (fixed clock), and its schema loaded from the app itself."""
    from web.app import create_app

    folder = tmp_path_factory.mktemp("schemathesis")
    engine = make_engine(sqlite_copy_of_demo(folder, tmp_path_factory))
    app = create_app(settings=Settings(data_dir=folder / "var", secret_key="test-secret-key-0123456789",
                                       rate_limit_api=0, allowed_hosts="127.0.0.1,testserver",
                                       ice_host_addresses="127.0.0.1", ice_accept_networks="127.0.0.0/8"),
                     engine=engine)
    app.state.clock = lambda: NOW
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    CASES.clear()  # cases are bound to their schema's app
    yield schema, engine
    engine.dispose()


def _headers(engine: Engine, role: str, email: str | None) -> dict[str, str]:
    if role == "fhir_client":
        scopes = {*RESOURCE_SCOPES.values(), "fhir/appointment.write"}
        return {"Authorization": f"Bearer {new_token(engine, *sorted(scopes))}"}
    if email is None:
        return {}
    token = staff_cookie(engine, email)
    with Session(engine) as db:
        csrf = db.exec(select(StaffSession.csrf_token).where(StaffSession.id == token_hash(token))).one()
    return {"Cookie": f"creneau_staff={token}", "X-CSRF-Token": csrf}


def _negatable(operation) -> bool:  # noqa: ANN001
    """Whether invalid data can be made for the operation (any string is a valid string path part)."""
    raw = operation.definition.raw
    return "requestBody" in raw or any(
        item.get("in") != "path" or item.get("schema", {}).get("type") != "string"
        for item in raw.get("parameters", []))


#: The generated cases of each operation and mode, drawn once and sent by every caller. Generation is
#: derandomised and does not depend on the answers, so each caller used to draw these very cases
#: again; drawing them once leaves every caller the same requests for a fraction of the time.
CASES: dict[tuple[str, GenerationMode], list | None] = {}


def _cases(operation, mode: GenerationMode) -> list | None:  # noqa: ANN001
    """The cases of ``operation`` in ``mode`` (``None``: nothing to negate)."""
    key = (f"{operation.method.upper()} {operation.path}", mode)
    if key not in CASES:
        drawn: list = []

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def draw(case) -> None:  # noqa: ANN001
            drawn.append(case)

        try:
            draw()
            CASES[key] = drawn
        except Unsatisfiable:  # nothing to negate (an operation without parameters)
            CASES[key] = None
    return CASES[key]


def _fuzz(operation, headers: dict[str, str], mode: GenerationMode, role: str,  # noqa: ANN001
          auth_bypass) -> None:  # noqa: ANN001
    key = f"{operation.method.upper()} {operation.path}"
    OPERATIONS.add(key)
    cases = _cases(operation, mode)
    if cases is None:
        TOTALS["unsatisfiable"] += 1
        return
    for case in cases:
        TOTALS["cases"] += 1
        try:
            case.call_and_validate(base_url="http://127.0.0.1", headers=headers, checks=CHECKS,
                                   additional_checks=[auth_bypass])
        except (AssertionError, FailureGroup) as failure:
            found = list(failure.exceptions) if isinstance(failure, FailureGroup) else [failure]
            for one in found:
                TOTALS["server_errors"] += isinstance(one, ServerError)
                TOTALS["bypasses"] += "auth bypass" in str(one)
                FINDINGS.setdefault(f"{role} {key} ({mode.value}) {type(one).__name__}", []).append(
                    f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:300]}"
                    f"\n{one}"[:2000])


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_api_conforms_under_attack(api, role: str) -> None:  # noqa: ANN001
    """No server error, no undocumented answer, no bypass, for this caller."""
    schema, engine = api
    headers = _headers(engine, role, ROLES[role])
    auth_bypass = bypass_check(("/fhir/",) if role == "fhir_client" else ())
    before = len(FINDINGS)
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if _negatable(operation) \
            else [GenerationMode.POSITIVE]
        for mode in modes:
            _fuzz(operation, headers, mode, role, auth_bypass)
    print(f"\n[schemathesis] {role}: {len(OPERATIONS)} operations, {TOTALS['cases']} cases so far, "
          f"{TOTALS['server_errors']} server errors, {TOTALS['bypasses']} auth bypasses")
    new = {k: v for k, v in list(FINDINGS.items())[before:]}
    assert not new, "\n\n".join(f"{k} ({len(v)}x):\n{v[0]}" for k, v in new.items())



def test_the_bypass_check_flags_a_guarded_2xx() -> None:
    """The auth-bypass check itself: a 2xx on a guarded operation fails, a 401 or a public 2xx not."""
    from types import SimpleNamespace

    def call(path: str, status: int, check=bypass_check()) -> None:  # noqa: ANN001, B008
        case = SimpleNamespace(operation=SimpleNamespace(path=path), method="GET", formatted_path=path)
        check(None, SimpleNamespace(status_code=status), case)

    with pytest.raises(AssertionError, match="auth bypass"):
        call("/fhir/Patient/{resource_id}", 200)
    with pytest.raises(AssertionError, match="auth bypass"):
        call("/api/v1/video/{room}/admit", 200)
    call("/fhir/Patient/{resource_id}", 401)
    call("/fhir/metadata", 200)
    call("/api/v1/slots", 200)
    call("/fhir/Slot", 200, bypass_check(("/fhir/",)))
