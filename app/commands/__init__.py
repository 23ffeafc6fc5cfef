"""Sub-command groups of the ``wardroom`` CLI, each a typer app that ``app.cli`` registers."""
