"""Carry out canvass commands for staff, and find a canvass's candidate cameras."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

import sqlalchemy as sa

from accounts.handlers import User
from accounts.projection import users
from accounts.queries import accounts, email_of, verified_emails
from events_store import ANY, EventStore, RecordedEvent
from events_store.handling import fixed_subject, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.sealing import open_row, to_new_event
from events_store.vault import KeyVault
from registry.geodesy import Point
from registry.projection import cameras, sites
from registry.queries import cameras_within

from . import commands as c
from . import emails
from . import events as e
from .candidates import CandidateList, candidates, search_reach
from .decider import CanvassState, area_of, decide, preview
from .digest import Digests
from .dispatching import Dispatcher
from .errors import CanvassNotFound, InvalidCanvass, NotAllowedNow
from .policy import CATEGORY_NAMES, SQUARE_METRES_PER_SQUARE_MILE, AgencyPolicy, check
from .projection import VISIT_PRIVATE, canvasses, footage, requests, visits
from .streams import CANVASS, canvass_stream, listing_stream

__all__ = ["CANVASS", "CanvassService", "canvass_stream"]

INVESTIGATOR, SUPERVISOR = "investigator", "supervisor"
# Candidates are listed once a canvass is submitted, for as long as it is being worked on or
# its results are read; never for a draft, nor once it is called off.
LISTED_WHEN = ("submitted", "approved", "dispatched", "closed")
NOT_SUBMITTED = "Submit the canvass to see the cameras that may have recorded it."
CALLED_OFF = "This canvass was called off: it lists no cameras any more."
EXPIRED = "This canvass expired before it was sent out: it lists no cameras any more."
NOT_LISTED = {
    "expired": EXPIRED,
    "denied": "A supervisor denied this canvass: it lists no cameras.",
    "sent_back": "A supervisor sent this canvass back: change it or submit it again to see "
    "the cameras that may have recorded it.",
}
NOTICE_NAMESPACE = uuid.UUID("3f1e7c2a-9b64-4d08-b5a3-c2e81f0d7a56")


class CanvassService:
    """The write side of canvasses, and the questions investigators ask of them."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        policy_for: Callable[[str], AgencyPolicy],
        clock: Callable[[], datetime],
        dispatcher: Dispatcher,
        public_url: Callable[[], str] = lambda: "",
        zone: tzinfo = UTC,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._policy_for = policy_for
        self.clock = clock  # replaceable, so that tests and jobs can set the time
        self.dispatcher = dispatcher
        self._public_url = public_url
        self.zone = zone  # the time zone emails speak in
        self.digests = Digests(store, vault, engine, projections, public_url, zone)

    def open(self, investigator: User, details: dict[str, Any]) -> str:
        """Open a draft canvass; refusals are reported field by field."""
        canvass_id = str(uuid.uuid4())
        command = c.OpenCanvass(
            canvass_id=canvass_id,
            agency=investigator.agency or "",
            investigator_id=investigator.user_id,
            **details,
        )
        self._execute(investigator, command)
        return canvass_id

    def check(self, investigator: User, details: dict[str, Any]) -> dict[str, Any]:
        """How a canvass would fare against the agency's policy; nothing is recorded."""
        command = c.OpenCanvass(
            canvass_id="", agency=investigator.agency or "", investigator_id="", **details
        )
        report = preview(command, self._policy_for(investigator.agency or ""), self.clock())
        try:
            center = Point(details["incident_latitude"], details["incident_longitude"])
            square_miles = area_of(details["area"], center)[1] / SQUARE_METRES_PER_SQUARE_MILE
        except (ValueError, TypeError, KeyError):
            square_miles = None
        return {
            "within_limits": report.within_limits,
            "refusals": report.refusals,
            "exceedances": report.exceedances,
            "area_square_miles": None if square_miles is None else round(square_miles, 4),
        }

    def submit(self, investigator: User, canvass_id: str) -> None:
        """Submit: approved at once within the limits, else sent to a supervisor, and the
        agency's supervisors are emailed (with the submission, in one append)."""
        canvass = self._visible(investigator, canvass_id)
        stored = self._store.read_stream(canvass_stream(canvass_id))
        state = CANVASS.fold(stored)
        messages: list[OutgoingMessage] = []
        if state.scope is not None and state.status in ("draft", "sent_back"):
            report = check(state.scope, self._policy_for(state.agency or ""), self.clock())
            if not report.refusals and not report.within_limits:
                waiting = canvass | {"exceedances": report.exceedances}
                messages = self._supervisors_told(waiting, len(stored))
        command = c.SubmitCanvass(canvass_id, investigator.user_id)
        self._execute(investigator, command, messages=messages)

    def deny(self, supervisor: User, canvass_id: str, reason: str) -> None:
        """A supervisor refuses a canvass beyond the limits, for good, with a reason."""
        self._visible(supervisor, canvass_id)
        agency = supervisor.agency or ""
        self._execute(supervisor, c.DenyCanvass(canvass_id, supervisor.user_id, agency, reason))

    def send_back(self, supervisor: User, canvass_id: str, reason: str) -> None:
        """A supervisor returns a canvass to its investigator to change, with a reason."""
        self._visible(supervisor, canvass_id)
        agency = supervisor.agency or ""
        command = c.SendBackCanvass(canvass_id, supervisor.user_id, agency, reason)
        self._execute(supervisor, command)

    def revise(self, investigator: User, canvass_id: str, details: dict[str, Any]) -> None:
        """Change a canvass that was sent back (it is a draft again, to submit)."""
        self._visible(investigator, canvass_id)
        self._execute(investigator, c.ReviseCanvass(canvass_id, investigator.user_id, **details))

    def close(self, investigator: User, canvass_id: str, outcomes: dict[str, str]) -> None:
        """The investigator closes a dispatched canvass, marking what became of each site's
        offered footage (unmarked: not needed); the owners who offered it are told."""
        canvass = self._visible(investigator, canvass_id)
        offered = {row["site_id"] for row in self.offers(canvass_id)}
        unknown = sorted(set(outcomes) - offered)
        if unknown:
            raise InvalidCanvass(
                {"outcomes": ["Mark only the sites whose owners offered footage for this canvass."]}
            )
        messages = self._owners_told(canvass, outcomes)
        command = c.CloseCanvass(
            canvass_id, "investigator", investigator.user_id, tuple(sorted(outcomes.items()))
        )
        self._execute(investigator, command, messages=messages)

    def approve_override(self, supervisor: User, canvass_id: str, reason: str) -> None:
        """A supervisor lets a canvass exceed the limits, with a recorded reason."""
        self._visible(supervisor, canvass_id)
        command = c.ApproveOverride(canvass_id, supervisor.user_id, supervisor.agency or "", reason)
        self._execute(supervisor, command)

    def dispatch(self, investigator: User, canvass_id: str) -> dict[str, int]:
        """Send an approved canvass out: one request to each owner of a ranked candidate,
        recorded as the dispatch's plan, then made; a dispatch cut short is finished."""
        self._visible(investigator, canvass_id)
        now = self.clock()
        if not self._dispatch_unfinished(canvass_id):
            found = self._find(self._visible(investigator, canvass_id))
            planned, not_asked = self.dispatcher.plan(canvass_id, found.ranked, now)
            command = c.DispatchCanvass(canvass_id, investigator.user_id, planned, not_asked)
            try:
                self._execute(investigator, command)
            except NotAllowedNow:
                if not self._dispatch_unfinished(canvass_id):
                    raise
                # dispatched a moment ago by another click: help finish it
        return self.dispatcher.finish(canvass_id, now)

    def _dispatch_unfinished(self, canvass_id: str) -> bool:
        state = CANVASS.fold(self._store.read_stream(canvass_stream(canvass_id)))
        return state.status == "dispatched" and not state.dispatch_finished

    def requests(self, user: User, canvass_id: str) -> dict[str, Any]:
        """How the owners answered, as counts; sites are named only where they offer footage."""
        self._visible(user, canvass_id)
        return self.dispatcher.summary(canvass_id)

    def cancel(self, investigator: User, canvass_id: str, reason: str) -> None:
        """Call a canvass off."""
        self._visible(investigator, canvass_id)
        self._execute(investigator, c.CancelCanvass(canvass_id, investigator.user_id, reason))

    def view(self, user: User, canvass_id: str) -> dict[str, Any]:
        """A canvass the user may see (their own, or their agency's for a supervisor)."""
        return self._visible(user, canvass_id)

    def list_for(self, user: User) -> list[dict[str, Any]]:
        """The canvasses the user may see, newest first."""
        query = sa.select(canvasses).where(canvasses.c.agency == user.agency)
        if user.role == INVESTIGATOR:
            query = query.where(canvasses.c.investigator_id == user.user_id)
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = conn.execute(query.order_by(canvasses.c.opened_at.desc()))
            return [_view(row._mapping) for row in rows]

    def candidates(self, user: User, canvass_id: str, shown_as: str = "api") -> CandidateList:
        """The cameras that may have recorded the incident, ranked; no owner identity.

        Only for a submitted canvass (NotAllowedNow for a draft, or one called off); each
        listing is recorded first, as an access to the sites listed (`shown_as`: api, page,
        geojson, csv or report)."""
        canvass = self._visible(user, canvass_id)
        if canvass["status"] == "draft":
            raise NotAllowedNow(NOT_SUBMITTED)
        if canvass["status"] not in LISTED_WHEN:
            raise NotAllowedNow(NOT_LISTED.get(canvass["status"], CALLED_OFF))
        found = self._find(canvass)
        self._record_listing(user, canvass, found, shown_as)
        return found

    def candidates_or_why(
        self, user: User, canvass_id: str, shown_as: str
    ) -> tuple[CandidateList, str | None]:
        """For pages: the candidates, or none and why the canvass lists none now."""
        try:
            return self.candidates(user, canvass_id, shown_as), None
        except NotAllowedNow as not_now:
            return CandidateList([], []), str(not_now)

    def _find(self, canvass: dict[str, Any]) -> CandidateList:
        incident = Point(canvass["incident_latitude"], canvass["incident_longitude"])
        shape, _ = area_of(canvass["area"], incident)
        reach = search_reach(shape, incident)  # wide enough for every cell touching the area
        with self._engine.connect().execution_options(read_only=True) as conn:
            hits = cameras_within(conn, self._vault, reach.center, reach.radius_m)
        return candidates(
            hits, incident, canvass["window_end"], canvass["category"], self.clock(), shape
        )

    def _record_listing(
        self, user: User, canvass: dict[str, Any], found: CandidateList, shown_as: str
    ) -> None:
        what = CATEGORY_NAMES.get(canvass["category"], canvass["category"])
        site_ids = found.site_ids
        event = e.CandidatesListed(
            canvass_id=canvass["canvass_id"],
            actor=user.user_id,
            role=user.role,
            agency=user.agency,
            case_number=canvass["case_number"],
            legal_basis=canvass["legal_basis"],
            purpose=f"canvass for {what}",
            shown_as=shown_as,
            sites=len(site_ids),
            site_ids=site_ids,
        )
        metadata = {"actor": user.user_id, "role": user.role, "agency": user.agency}
        new = to_new_event(self._vault, user.user_id, event, metadata)
        self._store.append(listing_stream(canvass["canvass_id"]), [new], ANY)

    def alert_expiring(self, now: datetime) -> int:
        """Tell investigators, once per request, when unanswered footage will be overwritten
        within a day; return how many canvasses got an alert."""
        alerted = 0
        for canvass, request_ids in self._expiring(now):
            email = self._email_of(canvass["investigator_id"])
            if email is None:
                continue
            message = emails.expiry_alert(email, canvass, len(request_ids))
            recorded = handle(
                self._store,
                self._vault,
                canvass_stream(canvass["canvass_id"]),
                CANVASS,
                partial(_alert, canvass["canvass_id"], tuple(request_ids)),
                fixed_subject(canvass["investigator_id"]),
                {"actor": "scheduler", "role": "system"},
                [
                    OutgoingMessage(
                        message.recipient,
                        message.subject,
                        message.body,
                        canvass["investigator_id"],
                    )
                ],
            )
            alerted += bool(recorded)
        return alerted

    def close_settled(self, now: datetime) -> int:
        """Close dispatched canvasses whose every request is settled, and those open longer
        than their agency's deadline; return how many closed.

        A request is settled once it expired, its owner answered that they have nothing to
        share, or footage came; an owner who offered footage keeps the canvass open until it
        arrives or their request's time is up, since uploads stop when the canvass closes.
        """
        offered_and_awaited = sa.and_(
            requests.c.status == "answered",
            requests.c.answer.in_(("share_now", "will_bring")),
            requests.c.expires_at > now,
            ~sa.exists().where(footage.c.request_id == requests.c.request_id),
        )
        unanswered = sa.exists().where(
            requests.c.canvass_id == canvasses.c.canvass_id,
            sa.or_(requests.c.status == "sent", offered_and_awaited),
        )
        asked = sa.exists().where(requests.c.canvass_id == canvasses.c.canvass_id)
        query = sa.select(
            canvasses.c.canvass_id,
            canvasses.c.agency,
            canvasses.c.investigator_id,
            canvasses.c.opened_at,
            sa.and_(asked, ~unanswered, ~canvasses.c.dispatch_unfinished).label("settled"),
        ).where(canvasses.c.status == "dispatched")
        with self._engine.connect().execution_options(read_only=True) as conn:
            running = list(conn.execute(query))
        closed = 0
        for row in running:
            if row.settled:
                reason = "settled"
            elif now >= row.opened_at + self._policy_for(row.agency).deadline:
                reason = "deadline"
            else:
                continue
            canvass = self._visible_to_agency(row.canvass_id)
            marked = CANVASS.fold(self._store.read_stream(canvass_stream(row.canvass_id)))
            closed += bool(
                handle(
                    self._store,
                    self._vault,
                    canvass_stream(row.canvass_id),
                    CANVASS,
                    partial(_close, row.canvass_id, reason, now),
                    fixed_subject(row.investigator_id),
                    {"actor": "scheduler", "role": "system"},
                    self._owners_told(canvass, marked.outcomes),
                )
            )
        if closed:
            self._projections.catch_up(["canvass"])
        return closed

    def _expiring(self, now: datetime) -> list[tuple[dict[str, Any], list[str]]]:
        query = (
            sa.select(canvasses, requests.c.request_id, sa.func.min(cameras.c.retention_days))
            .select_from(
                canvasses.join(requests, requests.c.canvass_id == canvasses.c.canvass_id).join(
                    cameras, cameras.c.site_id == requests.c.site_id
                )
            )
            .where(canvasses.c.status == "dispatched", requests.c.status == "sent")
            .group_by(*canvasses.c, requests.c.request_id)
        )
        due: dict[str, tuple[dict[str, Any], list[str]]] = {}
        with self._engine.connect().execution_options(read_only=True) as conn:
            for row in conn.execute(query):
                canvass = _view({k: v for k, v in row._mapping.items() if k in canvasses.c})
                expires = canvass["window_end"] + timedelta(days=row[-1])
                if expires - timedelta(hours=24) <= now < expires:
                    due.setdefault(canvass["canvass_id"], (canvass, []))[1].append(row.request_id)
        return list(due.values())

    def _supervisors_told(self, canvass: dict[str, Any], version: int) -> list[OutgoingMessage]:
        """The email to each supervisor of the canvass's agency that it waits for them; its id
        names the canvass, the submission and the supervisor, so it goes once."""
        query = sa.select(users.c.user_id).where(
            users.c.role == SUPERVISOR, users.c.agency == canvass["agency"]
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            ids = sorted(conn.execute(query).scalars())
        link = f"{self._public_url()}/approvals"
        messages = []
        for user_id, found in sorted(accounts(self._engine, self._vault, ids).items()):
            if found.email is None:
                continue
            email = emails.awaiting_approval(found.email, canvass, link, self.zone)
            message_id = uuid.uuid5(
                NOTICE_NAMESPACE, f"{canvass['canvass_id']}|{version}|{user_id}"
            )
            messages.append(
                OutgoingMessage(
                    email.recipient, email.subject, email.body, user_id, str(message_id)
                )
            )
        return messages

    def footage_outcomes(self, user: User, canvass_id: str) -> dict[str, str | None]:
        """By site, for each site whose owner offered footage and is still registered: what
        became of it once the canvass is closed (a site left unmarked: not needed), or None
        while it is open. These are the sites that closing may mark."""
        self._visible(user, canvass_id)
        state = CANVASS.fold(self._store.read_stream(canvass_stream(canvass_id)))
        still_offering = set(self.dispatcher.summary(canvass_id)["sites_offering_footage"])
        offered = {offer["site_id"] for offer in self.offers(canvass_id)} & still_offering
        closed = state.status == "closed"
        return {
            site_id: state.outcomes.get(site_id, "not_needed") if closed else None
            for site_id in sorted(offered)
        }

    def offers(self, canvass_id: str) -> list[dict[str, Any]]:
        """The canvass's requests whose owners offered footage (or sent some)."""
        sent_some = sa.exists().where(footage.c.request_id == requests.c.request_id)
        query = sa.select(requests.c.request_id, requests.c.site_id, requests.c.owner_id).where(
            requests.c.canvass_id == canvass_id,
            sa.or_(requests.c.answer.in_(("share_now", "will_bring")), sent_some),
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return [
                dict(row._mapping) for row in conn.execute(query.order_by(requests.c.request_id))
            ]

    def _owners_told(
        self, canvass: dict[str, Any], outcomes: dict[str, str]
    ) -> list[OutgoingMessage]:
        """The email to each owner who offered footage, saying what became of it (not needed
        where the investigator marked nothing); one per request, ever."""
        self._projections.catch_up(["canvass_requests"])
        offers = self.offers(canvass["canvass_id"])
        addresses = verified_emails(self._engine, self._vault, [o["owner_id"] for o in offers])
        link = f"{self._public_url()}/my-requests"
        messages = []
        for offer in offers:
            address = addresses.get(offer["owner_id"])
            if address is None:
                continue
            outcome = outcomes.get(offer["site_id"], "not_needed")
            email = emails.request_outcome(address, canvass, outcome, link, self.zone)
            message_id = uuid.uuid5(NOTICE_NAMESPACE, f"{offer['request_id']}|outcome")
            messages.append(
                OutgoingMessage(
                    email.recipient, email.subject, email.body, offer["owner_id"], str(message_id)
                )
            )
        return messages

    def _visible_to_agency(self, canvass_id: str) -> dict[str, Any]:
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(
                sa.select(canvasses).where(canvasses.c.canvass_id == canvass_id)
            ).first()
        if row is None:
            raise CanvassNotFound(canvass_id)
        return _view(row._mapping)

    def _email_of(self, user_id: str) -> str | None:
        return email_of(self._engine, self._vault, user_id)

    def _visible(self, user: User, canvass_id: str) -> dict[str, Any]:
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(
                sa.select(canvasses).where(canvasses.c.canvass_id == canvass_id)
            ).first()
        if row is None or row.agency != user.agency:
            raise CanvassNotFound(canvass_id)
        if user.role == INVESTIGATOR and row.investigator_id != user.user_id:
            raise CanvassNotFound(canvass_id)
        return _view(row._mapping)

    def record_visit(self, investigator: User, canvass_id: str, visit: dict[str, Any]) -> str:
        """Log a door-to-door visit. Its place, address and note are sealed: for the owner of
        the candidate site it names (so erasing the owner erases it), else for the canvass's
        visits, forgotten when the canvass's retention ends."""
        canvass = self._visible(investigator, canvass_id)
        visit_id = str(uuid.uuid4())
        command = c.RecordVisit(canvass_id, investigator.user_id, visit_id, **visit)
        subject = visits_subject(canvass_id)
        if command.site_id:
            subject = self._visited_owner(canvass, command.site_id)
        self._execute(investigator, command, subject=subject)
        return visit_id

    def _visited_owner(self, canvass: dict[str, Any], site_id: str) -> str:
        listed = canvass["status"] in LISTED_WHEN and site_id in self._find(canvass).site_ids
        with self._engine.connect().execution_options(read_only=True) as conn:
            owner = conn.execute(
                sa.select(sites.c.owner_id).where(sites.c.site_id == site_id)
            ).scalar()
        if not listed or owner is None:
            raise InvalidCanvass({"site_id": ["Choose one of this canvass's candidate sites."]})
        return str(owner)

    def visits(self, user: User, canvass_id: str) -> list[dict[str, Any]]:
        """The canvass's door-to-door log, oldest first, places and notes opened (None where
        they were erased)."""
        self._visible(user, canvass_id)
        query = (
            sa.select(visits)
            .where(visits.c.canvass_id == canvass_id)
            .order_by(visits.c.recorded_at, visits.c.visit_id)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        for row in rows:
            sealed = row.pop("private")
            opened = open_row(self._vault, sealed, visits.name, row["visit_id"]) or {}
            row.update({name: opened.get(name) for name in VISIT_PRIVATE})
        return rows

    def forget_ended_visits(self, now: datetime, keep: timedelta) -> int:
        """Forget the key of the visits of canvasses that ended more than `keep` ago (those
        not at a registered site): their places, addresses and notes become unreadable
        everywhere, log included. Return how many canvasses' visits were forgotten."""
        query = (
            sa.select(canvasses.c.canvass_id)
            .where(
                canvasses.c.status.in_(("closed", "cancelled", "expired")),
                canvasses.c.updated_at <= now - keep,
                sa.exists().where(visits.c.canvass_id == canvasses.c.canvass_id),
            )
            .order_by(canvasses.c.canvass_id)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            ended = list(conn.execute(query).scalars())
        forgotten = 0
        for canvass_id in ended:
            subject = visits_subject(canvass_id)
            if not self._vault.is_forgotten(subject):
                self._vault.forget(subject)
                forgotten += 1
        return forgotten

    def _execute(
        self,
        user: User,
        command: Any,
        subject: str | None = None,
        messages: list[OutgoingMessage] | None = None,
    ) -> list[RecordedEvent]:
        metadata = {"actor": user.user_id, "role": user.role, "agency": user.agency}
        policy = self._policy_for(user.agency or "")
        now = self.clock()
        recorded = handle(
            self._store,
            self._vault,
            canvass_stream(command.canvass_id),
            CANVASS,
            lambda state: decide(command, state, policy, now),
            lambda _: subject or user.user_id,
            metadata,
            messages or (),
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["canvass"])
        return recorded


def visits_subject(canvass_id: str) -> str:
    """Whose key seals a canvass's visits that name no registered site."""
    return f"visits-{canvass_id}"


def _view(row: Any) -> dict[str, Any]:
    view = dict(row)
    view["area"] = json.loads(view["area"])
    view["exceedances"] = json.loads(view["exceedances"])
    return view  # times come back aware, in UTC (UtcDateTime columns)


def _alert(canvass_id: str, request_ids: tuple[str, ...], state: CanvassState) -> list[Any]:
    return decide(
        c.AlertExpiringFootage(canvass_id, request_ids), state, AgencyPolicy(), datetime.now(UTC)
    )


def _close(canvass_id: str, reason: str, now: datetime, state: CanvassState) -> list[Any]:
    if state.status != "dispatched":
        return []  # closed, or cancelled, since the job looked
    return decide(c.CloseCanvass(canvass_id, reason), state, AgencyPolicy(), now)
