"""Errors that the command line and the web layer turn into one clear sentence."""


class ConfigError(Exception):
    """The configuration cannot be used (bad value, unreachable database...).

    The message is a complete sentence meant for the person who runs Créneau.
    """
