"""Errors of the FHIR API, each carried to the client as an OperationOutcome."""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    """A refusal with its HTTP status, its FHIR issue type and a sentence for the client."""

    def __init__(self, status: int, code: str, diagnostics: str, *,
                 headers: dict[str, str] | None = None, audit_outcome: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}
        self.audit_outcome = audit_outcome or _OUTCOMES.get(status, "error")

    def outcome(self) -> dict[str, Any]:
        """The OperationOutcome resource for this error."""
        return operation_outcome(self.code, self.diagnostics)


_OUTCOMES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
             405: "not_allowed", 409: "conflict", 422: "refused"}


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome with one issue (``code`` from the FHIR issue-type value set)."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}


def bad_request(diagnostics: str) -> FhirError:
    """400: the search or the body cannot be understood."""
    return FhirError(400, "invalid", diagnostics)


def not_found(resource_type: str, resource_id: str) -> FhirError:
    """404: no such resource (or not one this API exposes)."""
    return FhirError(404, "not-found", f"{resource_type}/{resource_id} is not known")
