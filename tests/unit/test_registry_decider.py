"""The registry's rules: given past events, when a command, then events or a refusal."""

from __future__ import annotations

from functools import reduce

import pytest

from registry import commands as c
from registry import events as e
from registry.decider import RegistryPolicy, SiteState, camera_errors, decide, evolve
from registry.errors import CameraNotFound, InvalidSite, LimitReached, NotAllowedNow, SiteNotFound
from registry.geodesy import Point, Polygon

SITE, OWNER = "site-1", "owner-1"
POLICY = RegistryPolicy()
SALINAS = (36.6777, -121.6555)
CAMERA = c.CameraSpec("Driveway", 135, 90, 25, "outdoor", "motion", 14)


def register(**overrides) -> c.RegisterSite:
    fields = {
        "site_id": SITE,
        "owner_id": OWNER,
        "kind": "home",
        "label": "Home",
        "address": "1531 McKinnon Street, Salinas",
        "latitude": SALINAS[0],
        "longitude": SALINAS[1],
        "location_source": "address",
    }
    return c.RegisterSite(**(fields | overrides))


def given(*commands: c.SiteCommand) -> SiteState:
    state = SiteState()
    for command in commands:
        state = reduce(evolve, decide(command, state, POLICY), state)
    return state


def test_registering_a_site_records_where_it_is_and_what_its_owner_agreed_to():
    [event] = decide(register(label="  Home  "), SiteState(), POLICY)
    assert isinstance(event, e.SiteRegistered)
    assert event.label == "Home"
    assert (event.latitude, event.longitude) == SALINAS
    assert event.categories == ["all"]
    assert event.contact_for_requests is True
    assert event.share_exact_location is False
    assert set(event.personal_data()) == {"label", "address", "latitude", "longitude", "source_ref"}
    assert "address" not in event.public_data()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"address": "x" * 201}, "address"),
        ({"latitude": 90.5}, "latitude"),
        ({"latitude": float("nan")}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"longitude": True}, "longitude"),
        ({"kind": "castle"}, "kind"),
        ({"location_source": "guess"}, "location_source"),
        ({"categories": ()}, "categories"),
        ({"categories": ("traffic", "jaywalking")}, "categories"),
        ({"categories": ("traffic", "traffic")}, "categories"),
    ],
)
def test_a_site_with_a_bad_field_is_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidSite) as refused:
        decide(register(**overrides), SiteState(), POLICY)
    assert field in refused.value.errors


def test_a_site_outside_the_service_area_is_refused():
    monterey = Polygon(
        [Point(36.2, -122.1), Point(36.2, -121.2), Point(37.0, -121.2), Point(37.0, -122.1)]
    )
    policy = RegistryPolicy(service_area=monterey)
    assert decide(register(), SiteState(), policy)
    with pytest.raises(InvalidSite) as refused:
        decide(register(latitude=42.40, longitude=-83.20), SiteState(), policy)
    assert refused.value.errors == {
        "location": ["This place is outside the area the registry serves."]
    }


def test_an_owner_may_have_fifty_sites_and_no_more():
    assert decide(register(), SiteState(), POLICY, owner_site_count=49)
    with pytest.raises(LimitReached, match="limit is 50"):
        decide(register(), SiteState(), POLICY, owner_site_count=50)


def test_a_site_may_have_sixty_four_cameras_and_no_more():
    state = given(register(), *(c.AddCamera(SITE, OWNER, f"cam-{n}", CAMERA) for n in range(64)))
    assert len(state.cameras) == 64
    with pytest.raises(LimitReached, match="at most 64"):
        decide(c.AddCamera(SITE, OWNER, "cam-65", CAMERA), state, POLICY)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"label": ""}, "label"),
        ({"bearing_degrees": 360}, "bearing_degrees"),
        ({"bearing_degrees": -1}, "bearing_degrees"),
        ({"field_of_view_degrees": 0}, "field_of_view_degrees"),
        ({"field_of_view_degrees": 361}, "field_of_view_degrees"),
        ({"range_metres": 0}, "range_metres"),
        ({"range_metres": 501}, "range_metres"),
        ({"placement": "underwater"}, "placement"),
        ({"recording": "sometimes"}, "recording"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 366}, "retention_days"),
        ({"retention_days": 7.5}, "retention_days"),
    ],
)
def test_a_camera_with_a_bad_setting_is_refused_naming_the_setting(change, field):
    from dataclasses import replace

    camera = replace(CAMERA, **change)
    assert field in camera_errors(camera)
    with pytest.raises(InvalidSite) as refused:
        decide(c.AddCamera(SITE, OWNER, "cam", camera), given(register()), POLICY)
    assert field in refused.value.errors


def test_pausing_resuming_and_unregistering_follow_the_site_lifecycle():
    state = given(register(), c.AddCamera(SITE, OWNER, "cam-1", CAMERA))
    [paused] = decide(c.PauseSite(SITE, OWNER), state, POLICY)
    state = evolve(state, paused)
    assert state.status == "paused"
    with pytest.raises(NotAllowedNow, match="already paused"):
        decide(c.PauseSite(SITE, OWNER), state, POLICY)
    state = evolve(state, decide(c.ResumeSite(SITE, OWNER), state, POLICY)[0])
    with pytest.raises(NotAllowedNow, match="not paused"):
        decide(c.ResumeSite(SITE, OWNER), state, POLICY)
    state = evolve(state, decide(c.UnregisterSite(SITE, OWNER), state, POLICY)[0])
    assert state.status == "unregistered" and not state.cameras
    with pytest.raises(SiteNotFound):
        decide(c.ResumeSite(SITE, OWNER), state, POLICY)


@pytest.mark.parametrize(
    "command",
    [
        c.PauseSite(SITE, "someone-else"),
        c.AddCamera(SITE, "someone-else", "cam-9", CAMERA),
        c.UnregisterSite("site-that-does-not-exist", OWNER),
    ],
)
def test_another_owners_site_looks_exactly_like_no_site(command):
    state = given(register()) if command.site_id == SITE else SiteState()
    with pytest.raises(SiteNotFound) as refused:
        decide(command, state, POLICY)
    assert str(refused.value) == "There is no such site among yours."


def test_changing_or_removing_a_camera_the_site_does_not_have_is_refused():
    state = given(register())
    with pytest.raises(CameraNotFound):
        decide(c.ChangeCamera(SITE, OWNER, "cam-x", CAMERA), state, POLICY)
    with pytest.raises(CameraNotFound):
        decide(
            c.RemoveCamera(
                SITE,
                OWNER,
                "cam-x",
            ),
            state,
            POLICY,
        )


def test_a_site_cannot_be_registered_twice():
    with pytest.raises(NotAllowedNow):
        decide(register(), given(register()), POLICY)


def test_consent_can_be_narrowed_to_chosen_categories():
    [event] = decide(
        c.SetConsent(SITE, OWNER, True, ("violent_crime", "missing_person"), True),
        given(register()),
        POLICY,
    )
    assert event == e.ConsentChanged(SITE, True, ["violent_crime", "missing_person"], True)


def test_what_an_owner_calls_a_site_or_a_camera_is_personal_and_camera_facts_are_not():
    [site, added] = decide(register(cameras=(c.NewCamera("cam-1", CAMERA),)), SiteState(), POLICY)
    state = reduce(evolve, [site, added], SiteState())
    [changed] = decide(c.ChangeCamera(SITE, OWNER, "cam-1", CAMERA), state, POLICY)
    [details] = decide(
        c.ChangeSiteDetails(SITE, OWNER, "Shop", None, *SALINAS, "pin"), state, POLICY
    )
    assert set(details.personal_data()) == {"label", "address", "latitude", "longitude"}
    for camera in (added, changed):
        assert camera.personal_data() == {"label": "Driveway"}
        assert "label" not in camera.public_data()
        assert camera.public_data()["retention_days"] == 14
    assert {type(ev).SCHEMA_VERSION for ev in (site, added, changed, details)} == {2}


def test_an_event_stored_before_labels_were_sealed_still_reads():
    stored = {"site_id": SITE, "camera_id": "cam-1", "label": "Driveway", "bearing_degrees": 1.0}
    assert e.CameraAdded.from_data(stored).label == "Driveway"
    erased = {"site_id": SITE, "camera_id": "cam-1", "bearing_degrees": 1.0}
    assert e.CameraAdded.from_data(erased).label is None
