"""backlog-health: tells a Product Owner how healthy the backlog is and exactly what to fix."""

__version__ = "0.1.0"
