"""Every column of every table is classified (identifying, health, operational, secret)."""

from __future__ import annotations

from sqlmodel import SQLModel

import planner.models  # noqa: F401 - registers the tables
from planner.privacy.classification import CLASSIFICATION, DataClass, columns_of


def test_every_column_is_classified_and_nothing_else() -> None:
    actual = {table.name: {column.name for column in table.columns}
              for table in SQLModel.metadata.sorted_tables}
    missing = {t: sorted(cols - set(CLASSIFICATION.get(t, {}))) for t, cols in actual.items()}
    missing = {t: cols for t, cols in missing.items() if cols}
    assert not missing, f"classify these columns in planner/privacy/classification.py: {missing}"
    stale = {t: sorted(set(cols) - actual.get(t, set())) for t, cols in CLASSIFICATION.items()}
    stale = {t: cols for t, cols in stale.items() if cols}
    assert not stale, f"these classified columns no longer exist: {stale}"


def test_the_reason_for_a_visit_is_health_data_and_contacts_identify() -> None:
    assert "reason" in columns_of(DataClass.HEALTH)["appointment"]
    assert {"email", "phone", "family_name", "birth_date"} <= set(
        columns_of(DataClass.IDENTIFYING)["patient"])
    assert "password_hash" in columns_of(DataClass.SECRET)["useraccount"]
