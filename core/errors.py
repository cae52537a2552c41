"""Errors meant for the user: pages show their text, the CLI prints it and exits with status 2."""


class UserError(ValueError):
    """Bad input described in one plain sentence (never shown with a traceback)."""
