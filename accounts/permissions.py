"""Who may do what: the one declared table of roles and actions, enforced by the decorators
`api_allows` and `page_allows` on every view (and printed in the README).

Scopes within an action are the services' business and hold for every path to it:
investigators act on their own canvasses of their agency, supervisors within their agency,
auditors read their agency's log (an auditor of agency "ALL" reads every agency's), and an
owner only ever reaches their own sites, requests and trail.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNER, INVESTIGATOR, SUPERVISOR, AUDITOR, ADMIN = (
    "owner",
    "investigator",
    "supervisor",
    "auditor",
    "admin",
)
ANY_ACCOUNT = (OWNER, INVESTIGATOR, SUPERVISOR, AUDITOR, ADMIN)


@dataclass(frozen=True)
class Permission:
    roles: tuple[str, ...]
    what: str


PERMISSIONS: dict[str, Permission] = {
    "account.own": Permission(ANY_ACCOUNT, "see who they are; manage their own API tokens"),
    "account.erase_own": Permission((OWNER,), "delete their own account and personal data"),
    "sites.manage": Permission((OWNER,), "register and manage their own sites and cameras"),
    "address.lookup": Permission(ANY_ACCOUNT, "look an address up in the gazetteer"),
    "requests.own": Permission((OWNER,), "see the requests sent to them"),
    "trail.own": Permission((OWNER,), "see every access to their own data"),
    "canvass.open": Permission((INVESTIGATOR,), "open, check and submit a canvass"),
    "canvass.dispatch": Permission((INVESTIGATOR,), "send a canvass's requests, or cancel it"),
    "canvass.visit": Permission((INVESTIGATOR,), "log a door-to-door visit"),
    "canvass.read": Permission(
        (INVESTIGATOR, SUPERVISOR), "see canvasses, candidates, answers, visits and exports"
    ),
    "canvass.approve": Permission((SUPERVISOR,), "approve a canvass beyond the limits"),
    "footage.take": Permission(
        (INVESTIGATOR, SUPERVISOR), "download footage and the case package (recorded)"
    ),
    "audit.read": Permission(
        (AUDITOR,), "search and export the access log; canvass timelines; proofs; events"
    ),
    "audit.checkpoint": Permission((AUDITOR,), "sign a checkpoint of the log now"),
}
# Admins create staff accounts on the command line (`flask accounts create`) and have no
# action here: in particular they can never read footage or the access log.


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may perform an action; KeyError for an undeclared one."""
    return PERMISSIONS[action].roles


def table_markdown() -> str:
    """The table as the README prints it."""
    roles = list(ANY_ACCOUNT)
    lines = [
        "| action | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission in PERMISSIONS.values():
        marks = ["yes" if role in permission.roles else "" for role in roles]
        lines.append(f"| {permission.what} | " + " | ".join(marks) + " |")
    return "\n".join(lines)
