"""The one exception the CLI turns into a one-line message and a non-zero exit."""


class CliError(Exception):
    """A failure to report to the user as `error: <message>`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
