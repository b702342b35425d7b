"""The account emails, in plain words. Subject lines carry nothing personal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

MOMENT = "%d %B %Y %H:%M %Z"  # 14 December 2018 21:40 PST: every time with its zone


@dataclass(frozen=True)
class Email:
    recipient: str
    subject: str
    body: str


def confirm_address(recipient: str, name: str, link: str) -> Email:
    return Email(
        recipient,
        "Confirm your email address for the camera registry",
        f"Hello {name.strip()},\n\n"
        "Thank you for signing up to the camera registry. Please confirm that this is your\n"
        "email address by opening this link within 3 days:\n\n"
        f"{link}\n\n"
        "If you did not sign up, you can ignore this message: nothing will happen.\n",
    )


def already_registered(recipient: str, name: str | None, login: str, reset: str) -> Email:
    """To the holder of an address someone signed up with again: nothing changed."""
    greeting = f"Hello {name.strip()}," if name and name.strip() else "Hello,"
    return Email(
        recipient,
        "Signing up to the camera registry",
        f"{greeting}\n\n"
        "Someone (we hope you) tried to sign up to the camera registry with this email\n"
        "address. You already have an account with it, so nothing has changed.\n\n"
        f"To log in, open {login}\n"
        f"If you have forgotten your password, choose a new one at {reset}\n\n"
        "If it was not you, ignore this message: your account stays as it is.\n",
    )


def welcome_staff(recipient: str, name: str, role: str, agency: str, link: str) -> Email:
    return Email(
        recipient,
        "Your camera registry account: choose a password",
        f"Hello {name.strip()},\n\n"
        f"An administrator has created {_with_article(role)} account for you at "
        f"{agency.strip()}.\n"
        "Choose your password by opening this link within 2 hours:\n\n"
        f"{link}\n\n"
        "When you first log in you will also set up a second factor: have an authenticator\n"
        "app on your phone ready (for example FreeOTP, Google or Microsoft Authenticator).\n\n"
        "If the link has expired, ask for a new one from the login page.\n",
    )


def reset_password(recipient: str, name: str, link: str) -> Email:
    return Email(
        recipient,
        "Choose a new password for the camera registry",
        f"Hello {name.strip()},\n\n"
        "Someone (we hope you) asked to choose a new password for your account. Open this\n"
        "link within 2 hours to do so:\n\n"
        f"{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )


def erasure_notice(
    recipient: str, name: str, erase_after: datetime, link: str, zone: tzinfo
) -> Email:
    """To an owner inactive for long: when their data will be erased, in the agency's time."""
    when = f"{erase_after.astimezone(zone):{MOMENT}}"
    return Email(
        recipient,
        "Your camera registry registration will be removed",
        f"Hello {name.strip()},\n\n"
        "You registered cameras with the camera registry, but nothing has changed on your\n"
        "account for a long time. To keep no personal data longer than needed, we will erase\n"
        f"your account, your sites and your personal data after {when}.\n\n"
        "If you want to stay registered, open this link and press the button:\n\n"
        f"{link}\n\n"
        "If you do nothing, you will not hear from us again.\n",
    )


def _with_article(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
