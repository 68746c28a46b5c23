"""The `nexfitra` commands that talk to a running API over HTTP (login, log, goals, summary,
compare, weight, chart, export). `app/cli.py` hands these command names to `main()` here."""

from app.cli_client.commands import main

__all__ = ["main"]
