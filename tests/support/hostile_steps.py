"""Hypothesis strategies for the steps of a city's residents, each carrying hostile input,
and the sweep of every field of every command with each poison value."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.support.city import (
    CAMERA,
    CAMERA_FORM_VALID,
    CANVASS,
    CANVASS_FORM_VALID,
    CONSENT,
    INCIDENT,
    MISSING,
    PASSWORD,
    SITE,
    SITE_FORM_VALID,
    SITE_LOCATION,
    VISIT,
    VISIT_FORM_VALID,
    form_text,
)
from tests.support.hostile import (
    POISON,
    hostile_day,
    hostile_moment,
    hostile_number,
    hostile_polygons,
    hostile_text,
)

# --- what a step may send ------------------------------------------------------------------


def anything() -> st.SearchStrategy:
    """A hostile value of any kind, or the field left out."""
    return st.one_of(
        hostile_text(), hostile_number(), hostile_moment(), st.just(MISSING), st.just(None)
    )


def _mutated(valid: dict, hostile: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """A valid body with one of its fields made hostile, now and then none or a few, so that
    the others pass and the hostile one reaches as deep as validation lets it (and valid
    bodies move the city on)."""

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        body = dict(valid)
        count = draw(st.sampled_from((1, 0, 1, 1, 1, 2, 3)))
        for name in draw(
            st.lists(st.sampled_from(sorted(hostile)), min_size=count, max_size=count)
        ):
            body[name] = draw(hostile[name])
        return {k: v for k, v in body.items() if v != MISSING}

    return build()


POISON_TEXTS = [value for value in POISON if isinstance(value, str)]
POISON_NUMBERS = [value for value in POISON if not isinstance(value, str)]


def text_field() -> st.SearchStrategy:
    """What goes into a text field: a poison half the time, else any hostile value."""
    return st.one_of(st.sampled_from(POISON_TEXTS), hostile_text(), anything())


def number_field() -> st.SearchStrategy:
    """What goes into a number field: a poison half the time, else any hostile number."""
    return st.one_of(st.sampled_from(POISON_NUMBERS), hostile_number())


CAMERA_FIELDS = {
    "label": text_field(),
    "bearing_degrees": number_field(),
    "field_of_view_degrees": number_field(),
    "range_metres": number_field(),
    "retention_days": number_field(),
    "placement": text_field(),
    "recording": text_field(),
}
CAMERA_BODY = _mutated(CAMERA, CAMERA_FIELDS)
SITE_FIELDS = {
    "label": text_field(),
    "address": text_field(),
    "latitude": number_field(),
    "longitude": number_field(),
}
CONSENT_FIELDS = {
    "contact_for_requests": anything(),
    "categories": st.one_of(anything(), st.lists(text_field(), max_size=3)),
    "share_exact_location": anything(),
}
SITE_BODY = _mutated(
    SITE,
    SITE_FIELDS
    | CONSENT_FIELDS
    | {"kind": text_field(), "cameras": st.lists(CAMERA_BODY, min_size=1, max_size=2)},
)
CANVASS_BODY = _mutated(
    CANVASS,
    {
        "case_number": text_field(),
        "category": text_field(),
        "incident": st.fixed_dictionaries(
            {"latitude": number_field(), "longitude": number_field()}
        ),
        "window_start": hostile_moment(),
        "window_end": hostile_moment(),
        "area": st.one_of(
            st.fixed_dictionaries({"radius_m": number_field()}),
            st.fixed_dictionaries({"polygon": st.sampled_from(hostile_polygons(*INCIDENT))}),
        ),
        "justification": text_field(),
        "legal_basis": text_field(),
    },
)
VISIT_FIELDS = {
    "latitude": number_field(),
    "longitude": number_field(),
    "address": text_field(),
    "result": text_field(),
    "retention_days": number_field(),
    "clock_offset_seconds": number_field(),
    "contact_made": anything(),
    "revisit_due": hostile_day(),
    "note": text_field(),
}
VISIT_BODY = _mutated(VISIT, VISIT_FIELDS)
SITE_FORM = _mutated(
    SITE_FORM_VALID,
    SITE_FIELDS | CONSENT_FIELDS | {"kind": text_field(), "scope": text_field()},
)
CAMERA_FORM = _mutated(CAMERA_FORM_VALID, CAMERA_FIELDS)
CANVASS_FORM = _mutated(
    CANVASS_FORM_VALID,
    {
        "case_number": text_field(),
        "category": text_field(),
        "latitude": number_field(),
        "longitude": number_field(),
        "address": text_field(),
        "shape": st.one_of(st.sampled_from(("circle", "polygon")), text_field()),
        "radius_m": number_field(),
        "polygon": st.one_of(st.sampled_from(hostile_polygons(*INCIDENT)), text_field()),
        "window_start": hostile_moment(),
        "window_end": hostile_moment(),
        "justification": text_field(),
        "legal_basis": text_field(),
    },
)
VISIT_FORM = _mutated(VISIT_FORM_VALID, VISIT_FIELDS)
PICK = st.integers(0, 3)  # which of the sites, cameras or canvasses made so far

STEPS = st.one_of(
    st.tuples(st.just("sign_up"), text_field(), st.booleans()),
    st.tuples(st.just("register_site"), SITE_BODY),
    st.tuples(st.just("change_site"), PICK, _mutated({"label": "Home"}, SITE_FIELDS)),
    st.tuples(st.just("set_consent"), PICK, st.sampled_from(("PUT", "PATCH")), _mutated(
        CONSENT, CONSENT_FIELDS
    )),
    st.tuples(st.just("add_camera"), PICK, CAMERA_BODY),
    st.tuples(st.just("change_camera"), PICK, CAMERA_BODY),
    st.tuples(st.just("site_action"), PICK, st.sampled_from(("pause", "resume", "unregister"))),
    st.tuples(st.just("remove_camera"), PICK),
    st.tuples(st.just("open_canvass"), CANVASS_BODY),
    st.tuples(st.just("check_canvass"), CANVASS_BODY),
    st.tuples(
        st.just("canvass_action"),
        PICK,
        st.sampled_from(("submit", "approve", "dispatch", "cancel")),
        text_field(),
    ),
    st.tuples(st.just("record_visit"), PICK, VISIT_BODY),
    st.tuples(
        st.just("answer"),
        st.one_of(st.just("the emailed link"), hostile_text()),
        st.one_of(st.sampled_from(("share_now", "will_bring", "no_footage", "decline")),
                  anything()),
        st.one_of(st.none(), text_field()),
    ),
    st.tuples(
        st.just("upload"),
        st.one_of(st.just("the emailed link"), hostile_text()),
        number_field(),
        text_field(),
        st.sampled_from(("right", "wrong", MISSING)),
        st.integers(0, 255),
    ),
    st.tuples(
        st.just("audit_query"),
        st.sampled_from(
            (
                "/api/v1/audit/events?after={}",
                "/api/v1/audit/events?limit={}",
                "/api/v1/audit/proof/inclusion?position={}&size=1",
                "/api/v1/audit/proof/inclusion?position=1&size={}",
                "/api/v1/audit/proof/consistency?from=1&to={}",
                "/api/v1/audit/proof/consistency?from={}&to=2",
                "/api/v1/audit/access?page={}",
            )
        ),
        number_field(),
    ),
    st.tuples(st.just("erase_owner"), st.one_of(st.just(PASSWORD), hostile_text())),
    st.tuples(st.just("name_token"), text_field()),
    st.tuples(st.just("scheduler_runs")),
    st.tuples(st.just("take_footage"), PICK),
    st.tuples(st.just("staff_account"), text_field(), text_field()),
    st.tuples(st.just("page_new_site"), SITE_FORM),
    st.tuples(st.just("page_edit_site"), PICK, SITE_FORM),
    st.tuples(st.just("page_add_camera"), PICK, CAMERA_FORM),
    st.tuples(st.just("page_new_canvass"), CANVASS_FORM),
    st.tuples(st.just("page_visit"), PICK, VISIT_FORM),
)  # fmt: skip


# --- every field of every command, given each poison in turn ---------------------------------

FORMS = {
    "page_new_site": (lambda form: ("page_new_site", form), SITE_FORM_VALID),
    "page_edit_site": (lambda form: ("page_edit_site", 0, form), SITE_FORM_VALID),
    "page_add_camera": (lambda form: ("page_add_camera", 0, form), CAMERA_FORM_VALID),
    "page_new_canvass": (lambda form: ("page_new_canvass", form), CANVASS_FORM_VALID),
    "page_visit": (lambda form: ("page_visit", 0, form), VISIT_FORM_VALID),
}
BODIES = {
    "register_site": (lambda body: ("register_site", body), SITE),
    "register_site camera": (lambda camera: ("register_site", SITE | {"cameras": [camera]}),
                             CAMERA),
    "change_site": (lambda body: ("change_site", 0, body), SITE_LOCATION),
    "set_consent PUT": (lambda body: ("set_consent", 0, "PUT", body), CONSENT),
    "set_consent PATCH": (lambda body: ("set_consent", 0, "PATCH", body), CONSENT),
    "add_camera": (lambda body: ("add_camera", 0, body), CAMERA),
    "change_camera": (lambda body: ("change_camera", 0, body), CAMERA),
    "open_canvass": (lambda body: ("open_canvass", body), CANVASS),
    "open_canvass incident": (lambda place: ("open_canvass", CANVASS | {"incident": place}),
                              CANVASS["incident"]),
    "open_canvass area": (lambda area: ("open_canvass", CANVASS | {"area": area}),
                          {"radius_m": 250}),
    "check_canvass": (lambda body: ("check_canvass", body), CANVASS),
    "record_visit": (lambda body: ("record_visit", 0, body), VISIT),
    "approve": (lambda body: ("canvass_action", 0, "approve", body["reason"]), {"reason": "ok"}),
    "cancel": (lambda body: ("canvass_action", 1, "cancel", body["reason"]), {"reason": "ok"}),
    "sign_up": (lambda body: ("sign_up", body["display_name"], True), {"display_name": "N"}),
    "name_token": (lambda body: ("name_token", body["name"]), {"name": "laptop"}),
    "staff_account": (lambda body: ("staff_account", body["agency"], body["name"]),
                      {"agency": "SFPD", "name": "Det. Lee"}),
    "answer": (lambda body: ("answer", "the emailed link", body["answer"], body["note"]),
               {"answer": "share_now", "note": None}),
    "upload": (lambda body: ("upload", "the emailed link", body["clock_offset_seconds"],
                             body["statement"], "right", body["clip"]),
               {"clock_offset_seconds": -90, "statement": "From the recorder.", "clip": 1}),
}  # fmt: skip


def poisoned_steps():
    """Every field of every command, in turn given each poison, the other fields valid."""
    clip = iter(range(2, 10**6))
    for name, (step, valid) in (BODIES | FORMS).items():
        for field_name in valid:
            if field_name == "clip":
                continue
            for poison in POISON:
                value = form_text(poison) if name in FORMS else poison
                changed = valid | {field_name: value}
                if "clip" in changed:
                    changed["clip"] = next(clip)
                yield f"{name}: {field_name}={poison!r:.40}", step(changed)
