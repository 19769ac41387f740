"""Helpers shared by the test suite: databases on both backends, a real server, a real browser."""
