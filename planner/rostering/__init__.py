"""Rostering: build the solver's problem from the database, solve off the event loop, export."""
