"""Booking as a state machine: random sequences of the planner's booking services, checked after
every step against a model and the rules the database must keep.

Steps: book, cancel (patient or staff), move, join the waitlist, accept or expire waitlist offers,
regenerate the slots of a day, and let time pass. After each step:

- no two active appointments overlap for one clinician, nor for one room;
- every active appointment's slot lies inside a consultation session of its clinician;
- one active appointment per slot;
- no booking the services confirmed is lost, and none appears or moves unannounced (the model);
- regeneration never touches a booked slot (same times, never withdrawn).

Bounded and derandomised (the same sequences every run). For a longer local hunt,
``BOOKING_STATEFUL_EXAMPLES`` raises the number of sequences and ``BOOKING_STATEFUL_RANDOM=1`` draws
new ones. Each sequence starts from a fresh copy of the demo: a SQLite file, or on PostgreSQL
(``CRENEAU_TEST_DATABASE_URL``) one database whose saved rows are put back before each sequence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from planner.booking.availability import SlotQuery, free_slots, unbookable_reason
from planner.booking.booking import book, cancel, move
from planner.booking.errors import (
    NotActive,
    OfferUnavailable,
    SlotUnavailable,
    TooLateToChange,
)
from planner.booking.slots import generate_slots
from planner.booking.waitlist import accept_offer, expire_offers, join
from planner.database import make_engine
from planner.models import (
    ACTIVE_STATUSES,
    Appointment,
    ConsultationSession,
    Motif,
    Slot,
    StaffMember,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.conftest import DEMO_TODAY
from tests.planner.booking.support import LINKS, NOW, load_demo_with_slots, patient, sqlite_copy_of_demo
from tests.support.databases import PostgresSnapshot, fresh_postgres_database

EXAMPLES = int(os.environ.get("BOOKING_STATEFUL_EXAMPLES", "20"))
STEPS = 40
#: General practice: two clinicians, four motifs (in person, first visit, urgent, video).
MOTIFS = ("mg-consult", "mg-premiere", "mg-urgence", "mg-video")
CLINICIANS = ("MOREL", "LEFEVRE")
DAYS = 2
CHOICES = 12
_ACTIVE = [s.value for s in ACTIVE_STATUSES]
_patients = itertools.count(1000)
#: What the sequences did (printed with ``-s``): a run that books nothing proves nothing.
STATS: Counter[str] = Counter()


def event(name: str) -> None:
    """Count a step that changed something."""
    STATS[name] += 1


def active_appointments(db: Session) -> list[tuple[Appointment, Slot]]:
    """Every active appointment with its slot."""
    return list(db.execute(select(Appointment, Slot).join(Slot, Slot.id == Appointment.slot_id)
                           .where(col(Appointment.status).in_(_ACTIVE))).tuples())


class BookingMachine(RuleBasedStateMachine):
    """The booking services under random use."""

    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.engine = self.make_engine()
        self.now = NOW
        with Session(self.engine) as db:
            self.motifs = list(db.execute(select(Motif.id).where(col(Motif.code).in_(MOTIFS))).scalars())
            self.staff = list(db.execute(select(StaffMember.id).where(
                col(StaffMember.code).in_(CLINICIANS))).scalars())
            #: The model: appointment id → (slot id, starts, ends) of every booking we were promised.
            self.expected = {a.id: (s.id, s.starts_at, s.ends_at) for a, s in active_appointments(db)}

    def make_engine(self) -> Engine:  # pragma: no cover - set by the fixture
        raise NotImplementedError

    def teardown(self) -> None:
        self.engine.dispose()

    # --- helpers -------------------------------------------------------------------------------

    def _free(self, motif_id: int | None = None) -> list:
        with Session(self.engine) as db:
            return free_slots(db, SlotQuery(motif_id=motif_id, start=self.now,
                                            end=self.now + dt.timedelta(days=DAYS), limit=400), self.now)

    def _candidates(self) -> list:
        """The earliest free slots of the chosen motifs and clinicians: few, so that bookings,
        moves and waitlist offers meet."""
        return [s for s in self._free() if s.motif_id in self.motifs and s.staff_id in self.staff][:CHOICES]

    def _record(self, appointment_id: int, slot_id: int) -> None:
        with Session(self.engine) as db:
            slot = db.get(Slot, slot_id)
            assert slot is not None
            self.expected[appointment_id] = (slot.id, slot.starts_at, slot.ends_at)

    # --- rules ---------------------------------------------------------------------------------

    @rule(data=st.data())
    def book_a_free_slot(self, data: st.DataObject) -> None:
        candidates = self._candidates()
        if not candidates:
            return
        slot = data.draw(st.sampled_from(candidates), label="slot")
        try:
            result = book(self.engine, slot_id=slot.id, patient=patient(next(_patients)), links=LINKS,
                          now=self.now)
        except SlotUnavailable:
            raise AssertionError(f"a free slot ({slot.id}) could not be booked") from None
        assert result.view.slot_id == slot.id
        self._record(result.view.id, slot.id)
        event("booked")

    @rule(data=st.data())
    def book_a_taken_slot(self, data: st.DataObject) -> None:
        if not self.expected:
            return
        slot_id = data.draw(st.sampled_from(sorted(s for s, _a, _b in self.expected.values())))
        with pytest.raises(SlotUnavailable):
            book(self.engine, slot_id=slot_id, patient=patient(next(_patients)), links=LINKS, now=self.now)

    @rule(data=st.data(), by_staff=st.booleans())
    def cancel(self, data: st.DataObject, by_staff: bool) -> None:
        if not self.expected:
            return
        appointment_id = data.draw(st.sampled_from(sorted(self.expected)), label="appointment")
        try:
            cancel(self.engine, appointment_id, links=LINKS, now=self.now, by_staff=by_staff)
        except (TooLateToChange, NotActive):
            return
        del self.expected[appointment_id]
        event("cancelled")

    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        if not self.expected:
            return
        appointment_id = data.draw(st.sampled_from(sorted(self.expected)), label="appointment")
        with Session(self.engine) as db:
            motif_id = db.get(Appointment, appointment_id).motif_id  # type: ignore[union-attr]
        targets = [s for s in self._free(motif_id) if s.staff_id in self.staff][:CHOICES]
        if not targets:
            return
        target = data.draw(st.sampled_from(targets), label="target")
        try:
            view = move(self.engine, appointment_id, target.id, links=LINKS, now=self.now)
        except TooLateToChange:
            return
        assert view.slot_id == target.id
        self._record(appointment_id, target.id)
        event("moved")

    @rule(data=st.data())
    def join_waitlist(self, data: st.DataObject) -> None:
        if not self.expected:
            return
        appointment_id = data.draw(st.sampled_from(sorted(self.expected)), label="appointment")
        join(self.engine, appointment_id, now=self.now)

    @rule(data=st.data())
    def free_an_earlier_slot_for_a_waiting_patient(self, data: st.DataObject) -> None:
        """A patient waits for an earlier slot; the appointment before theirs is cancelled."""
        with Session(self.engine) as db:
            pairs = [(later.id, earlier.id) for (later, ls), (earlier, es) in itertools.permutations(
                active_appointments(db), 2)
                if later.id in self.expected and earlier.id in self.expected
                and later.motif_id == earlier.motif_id and es.starts_at < ls.starts_at
                and es.starts_at > self.now]
        if not pairs:
            return
        later_id, earlier_id = data.draw(st.sampled_from(sorted(pairs)), label="waiting, cancelled")
        waiting = join(self.engine, later_id, now=self.now).status == WaitlistStatus.WAITING
        slot_id = self.expected[earlier_id][0]
        cancel(self.engine, earlier_id, links=LINKS, now=self.now, by_staff=True)
        del self.expected[earlier_id]
        event("cancelled for the waitlist")
        with Session(self.engine) as db:
            slot = db.get(Slot, slot_id)
            motif = db.get(Motif, slot.motif_id)  # type: ignore[union-attr]
            bookable = unbookable_reason(slot, motif, self.now) is None  # type: ignore[arg-type]
            offered = db.execute(select(WaitlistEntry.id).where(
                WaitlistEntry.offered_slot_id == slot_id,
                WaitlistEntry.status == WaitlistStatus.OFFERED.value)).first()
        if bookable and waiting:  # (a patient already holding another offer is not waiting)
            assert offered is not None, f"freed slot {slot_id} offered to nobody on the waitlist"
            event("offered")

    @rule(data=st.data())
    def accept_an_offer(self, data: st.DataObject) -> None:
        with Session(self.engine) as db:
            offers = list(db.execute(select(WaitlistEntry.id, WaitlistEntry.offered_slot_id,
                                            WaitlistEntry.appointment_id).where(
                WaitlistEntry.status == WaitlistStatus.OFFERED.value)).tuples())
        if not offers:
            return
        entry_id, slot_id, appointment_id = data.draw(st.sampled_from(sorted(offers)), label="offer")
        try:
            view = accept_offer(self.engine, entry_id, slot_id, links=LINKS, now=self.now)
        except OfferUnavailable:
            return
        assert view.id == appointment_id and view.slot_id == slot_id
        self._record(appointment_id, slot_id)
        event("offer accepted")

    @rule()
    def expire_offers(self) -> None:
        if expire_offers(self.engine, LINKS, self.now):
            event("offers expired")

    @rule(day=st.integers(0, DAYS - 1))
    def regenerate_a_day(self, day: int) -> None:
        first = DEMO_TODAY + dt.timedelta(days=day)
        with Session(self.engine) as db:
            # a day solves to optimality in ~0.2 s; the generous limit keeps a loaded box deterministic
            report = generate_slots(db, first, first + dt.timedelta(days=1), time_limit=10.0)
            db.commit()
        event(f"regenerated ({'kept booked' if report.kept_booked else 'nothing booked'})")

    @rule(minutes=st.sampled_from([5, 20, 45, 90, 240]))
    def time_passes(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_database_keeps_its_promises(self) -> None:
        with Session(self.engine) as db:
            active = active_appointments(db)
            sessions = {s.id: s for s in db.execute(select(ConsultationSession).where(col(
                ConsultationSession.id).in_({slot.session_id for _a, slot in active}))).scalars()}
        found = {a.id: (s.id, s.starts_at, s.ends_at) for a, s in active}
        lost = set(self.expected) - set(found)
        assert not lost, f"confirmed bookings lost: {sorted(lost)}"
        assert found == self.expected, "active appointments differ from what the services confirmed"
        slots = [slot for _a, slot in active]
        assert len({s.id for s in slots}) == len(slots), "two active appointments on one slot"
        for slot in slots:
            assert not slot.withdrawn, f"booked slot {slot.id} withdrawn"
            session = sessions[slot.session_id]
            assert session.staff_id == slot.staff_id
            assert session.starts_at <= slot.starts_at < slot.ends_at <= session.ends_at, \
                f"slot {slot.id} outside its session {session.id}"
        for key in ("staff_id", "room_id"):
            by_owner: dict[int, list[Slot]] = {}
            for slot in slots:
                if getattr(slot, key) is not None:
                    by_owner.setdefault(getattr(slot, key), []).append(slot)
            for owner, held in by_owner.items():
                held.sort(key=lambda s: s.starts_at)
                for earlier, later in itertools.pairwise(held):
                    assert earlier.ends_at <= later.starts_at, \
                        f"{key}={owner}: slots {earlier.id} and {later.id} overlap"


#: ``BOOKING_STATEFUL_RANDOM=1``: new sequences each run (a local hunt), not CI's fixed ones.
HUNTING = os.environ.get("BOOKING_STATEFUL_RANDOM") == "1"
#: In CI a failure is reported as found (its whole sequence), not shrunk: shrinking a sequence of
#: database steps can take minutes. A local hunt shrinks.
SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                    derandomize=not HUNTING, database=None,
                    phases=list(Phase) if HUNTING else [Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.slow
def test_booking_state_machine_on_sqlite(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    counter = itertools.count()

    class OnSqlite(BookingMachine):
        def make_engine(self) -> Engine:
            folder = tmp_path / f"run{next(counter)}"
            folder.mkdir()
            return make_engine(sqlite_copy_of_demo(folder, tmp_path_factory))

    OnSqlite.TestCase.settings = SETTINGS
    STATS.clear()
    OnSqlite.TestCase().runTest()
    print(f"\n[booking state machine, SQLite] {dict(STATS)}")
    assert STATS["booked"] and STATS["moved"] and STATS["cancelled"], STATS


@pytest.mark.slow
@pytest.mark.postgres
def test_booking_state_machine_on_postgresql() -> None:
    with fresh_postgres_database() as url:
        loader = make_engine(url)
        load_demo_with_slots(loader, days=DAYS + 1)
        demo = PostgresSnapshot(loader)

        class OnPostgres(BookingMachine):
            """Each sequence on the demo as first loaded: the database's rows and sequences put back."""

            def make_engine(self) -> Engine:
                demo.restore()
                return make_engine(url)

        OnPostgres.TestCase.settings = SETTINGS
        STATS.clear()
        try:
            OnPostgres.TestCase().runTest()
        finally:
            loader.dispose()
    print(f"\n[booking state machine, PostgreSQL] {dict(STATS)}")
    assert STATS["booked"] and STATS["moved"] and STATS["cancelled"], STATS
