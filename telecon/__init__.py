"""Video consultations: rooms, join tokens, waiting room, aiortc peers and forwarding.

Imports aiortc and the standard library only; never ``web`` nor ``planner``. The web
layer talks to :class:`telecon.signalling.Signalling`.
"""
