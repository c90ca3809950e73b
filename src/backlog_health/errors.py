"""Errors the CLI turns into one line on stderr and exit code 2."""


class BacklogHealthError(Exception):
    """A problem the user can fix: bad input, config, rule file, connection or credentials.

    The message is one line that names the problem and the fix.
    """


class InputError(BacklogHealthError):
    """A backlog source could not be read."""


class ConfigError(BacklogHealthError):
    """The configuration is invalid."""


class RuleError(BacklogHealthError):
    """A rule file is invalid."""
