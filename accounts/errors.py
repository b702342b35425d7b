"""The accounts' refusals, each with words a person understands."""

from __future__ import annotations


class AccountError(Exception):
    """Base of the accounts' domain errors."""


class InvalidAccount(AccountError):
    """Some fields are not acceptable; `errors` names each with its reasons."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("Some of what you entered could not be accepted.")


class AccountExists(AccountError):
    """An account with that email address exists already."""


class AccountNotFound(AccountError):
    """No such account (said the same way whether or not it exists for someone else)."""


class InvalidLink(AccountError):
    """A link that has expired, was used already, or was altered."""

    def __init__(self) -> None:
        super().__init__(
            "This link has expired or has been used already. Ask for a new one and use it "
            "within its time."
        )


class LoginFailed(AccountError):
    """Wrong email or password, said without telling which."""

    def __init__(self) -> None:
        super().__init__("That email address and password do not match an account.")


class NotVerified(AccountError):
    """The email address has not been confirmed yet."""

    def __init__(self) -> None:
        super().__init__("Please confirm your email address first: follow the link we sent you.")


class TooManyAttempts(AccountError):
    """Logins are paused for a while after repeated failures."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, round(retry_after_seconds / 60))
        super().__init__(
            f"Too many failed attempts. For your safety, please wait {minutes} "
            f"minute{'s' if minutes != 1 else ''} and try again."
        )


class CodeRefused(LoginFailed):
    """A second-factor code that is wrong, or was used already."""

    def __init__(self, message: str) -> None:
        AccountError.__init__(self, message)


class SecondFactorNeeded(LoginFailed):
    """The account signs in with a second factor, and none was given."""

    def __init__(self) -> None:
        AccountError.__init__(
            self,
            "This account signs in with a second factor: send the 6-digit code from your "
            "authenticator app, or one of your recovery codes, as 'code'.",
        )


class EnrolmentNeeded(AccountError):
    """The account must set up its second factor (on the login page) before this."""

    def __init__(self) -> None:
        super().__init__(
            "Set up your second factor first: log in on the service's login page, which "
            "walks you through it; then ask again with a code from your app."
        )
