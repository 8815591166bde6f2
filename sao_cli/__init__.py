"""The `sao` command line: thin Typer commands over the engine."""
