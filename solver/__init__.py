"""Roster optimisation with OR-Tools CP-SAT: plain dataclasses in, results out.

Imports ortools and the standard library only.
"""

from solver.problem import (
    OFF,
    CoverDemand,
    Pin,
    RosterProblem,
    ShiftRequest,
    ShiftType,
    Staff,
    Weights,
)
from solver.result import Conflict, Roster, RosterResult, Status, Violation
from solver.roster import RosterSolver, solve

__all__ = [
    "OFF", "Conflict", "CoverDemand", "Pin", "Roster", "RosterProblem", "RosterResult",
    "RosterSolver", "ShiftRequest", "ShiftType", "Staff", "Status", "Violation", "Weights",
    "solve",
]
