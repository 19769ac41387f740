"""What a solve returns: status, objective, bound, roster and explanations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.Enum):
    """Outcome of a solve (independent of OR-Tools' enum)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"  # time limit or stop reached before any roster was found
    MODEL_INVALID = "model_invalid"

    @property
    def has_roster(self) -> bool:
        """True when the result carries a roster."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class Violation:
    """One paid penalty (soft rule) or one breach (hard rule, from the validator).

    Attributes:
        rule: Rule name (e.g. ``"cover_under"``, ``"shift_on_request"``).
        staff: Staff id concerned, if any.
        day: Day concerned, if any.
        shift: Shift id concerned, if any.
        cost: Penalty paid (0 for hard-rule breaches).
        message: Explanation for a manager.
    """

    rule: str
    staff: str | None
    day: int | None
    shift: str | None
    cost: int
    message: str


@dataclass(frozen=True)
class Conflict:
    """A reason why no roster exists.

    Attributes:
        rules: Hard rules that cannot hold together.
        staff: Staff concerned (None when the conflict is about a cover demand).
        days: Days concerned.
        message: Sentence for a manager.
    """

    rules: tuple[str, ...]
    staff: str | None
    days: tuple[int, ...]
    message: str


Roster = dict[str, list[str | None]]


@dataclass
class RosterResult:
    """Result of :func:`solver.solve`.

    Attributes:
        status: Outcome.
        objective: Cost of the roster (None without roster).
        bound: Best proven lower bound.
        seconds: Wall time of the whole solve, model building included.
        roster: staff id -> one entry per day: shift id or None (day off).
        violations: Every penalty paid by the roster; their costs add up to ``objective``.
        conflicts: Why there is no roster (when INFEASIBLE and explained).
        message: Free-form detail (e.g. model validation error).
    """

    status: Status
    objective: int | None = None
    bound: float | None = None
    seconds: float = 0.0
    roster: Roster = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    message: str = ""

    @property
    def explanation(self) -> list[str]:
        """The conflicts as sentences."""
        return [c.message for c in self.conflicts]

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0 = proven optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))
