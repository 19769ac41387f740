"""A patient's data as a FHIR R4 Bundle (type ``collection``): Patient and Appointments."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from planner.fhir import resources
from planner.models import Appointment, Motif, Patient, Slot
from planner.models.types import utcnow
from planner.privacy.patient_data import UnknownPatient


def patient_bundle(session: Session, patient_id: int, base_url: str) -> dict[str, Any]:
    """Everything FHIR can say about the patient: identity and every appointment."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise UnknownPatient(patient_id)
    base = base_url.rstrip("/") + "/fhir"
    entries = [{"fullUrl": f"{base}/Patient/{patient.id}", "resource": resources.patient(patient)}]
    rows = session.exec(
        select(Appointment, Slot, Motif)
        .join(Slot, col(Slot.id) == col(Appointment.slot_id))
        .join(Motif, col(Motif.id) == col(Appointment.motif_id))
        .where(Appointment.patient_id == patient_id)
        .order_by(col(Slot.starts_at))
    ).all()
    for appointment, slot, motif in rows:
        resource = resources.appointment(appointment, slot, motif)
        if appointment.reason:
            resource["comment"] = appointment.reason
        entries.append({"fullUrl": f"{base}/Appointment/{appointment.id}", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection",
            "timestamp": resources.instant(utcnow()), "entry": entries}
