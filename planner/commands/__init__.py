"""Command groups of the ``creneau`` CLI, one module per area."""
