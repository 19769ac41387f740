"""HTTP controllers: thin, they call planner services and render templates or JSON."""
