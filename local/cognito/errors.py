"""Cognito's error responses: `__type` and `message` in the body, HTTP 400, as the API reference
lists them for each operation (e.g. InitiateAuth: NotAuthorizedException, UserNotFoundException,
InvalidParameterException, ResourceNotFoundException)."""

from __future__ import annotations

WRONG_CREDENTIALS = "Incorrect username or password."


class CognitoError(Exception):
    """An error Cognito returns to the caller: its `__type` and message."""

    status = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def not_authorized(message: str = WRONG_CREDENTIALS) -> CognitoError:
    return CognitoError("NotAuthorizedException", message)


def user_not_found() -> CognitoError:
    return CognitoError("UserNotFoundException", "User does not exist.")


def invalid_parameter(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


def resource_not_found(message: str) -> CognitoError:
    return CognitoError("ResourceNotFoundException", message)
