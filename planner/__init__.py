"""Créneau's domain: tables, services, settings, database and command line."""
