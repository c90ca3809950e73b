"""Entry point for `python -m backlog_health`."""

from backlog_health.cli import main

main()
