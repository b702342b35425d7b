"""Address suggestions as a person types: GET /api/v1/geocode/suggest over the city's points."""

from __future__ import annotations

import pytest

from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.support.address_points import eas_slice, point_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SUGGEST = "/api/v1/geocode/suggest"


@pytest.fixture
def san_francisco(cli, shared_data, tmp_path):
    path, kept = eas_slice(shared_data, tmp_path)
    assert cli.invoke(args=["geocoder", "import", str(path)]).exit_code == 0
    return kept


@pytest.fixture
def bearer(client, mailbox):
    return {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox)}


def test_a_typed_address_is_suggested_with_its_position(client, bearer, san_francisco):
    response = client.get(SUGGEST, headers=bearer, query_string={"q": "1 dr carlton b goodlet"})
    assert response.status_code == 200
    [city_hall] = response.get_json()["suggestions"]
    lat, lon = point_of(san_francisco, "1 DR CARLTON B GOODLETT PL")
    assert city_hall == {
        "address": "1 Dr Carlton B Goodlett Pl, San Francisco, CA",
        "latitude": pytest.approx(lat, abs=1e-6),
        "longitude": pytest.approx(lon, abs=1e-6),
        "exact": True,
    }


def test_at_most_eight_addresses_are_suggested_and_a_missing_number_gives_its_neighbours(
    client, bearer, san_francisco
):
    begun = client.get(SUGGEST, headers=bearer, query_string={"q": "1 m"}).get_json()
    assert [s["address"] for s in begun["suggestions"]] == [
        "1 Mission St, San Francisco, CA",
        "1 Montgomery St, San Francisco, CA",
    ]

    near = client.get(SUGGEST, headers=bearer, query_string={"q": "99999 Misson St"}).get_json()
    assert len(near["suggestions"]) == 8
    assert not any(s["exact"] for s in near["suggestions"])
    assert all("Mission St" in s["address"] for s in near["suggestions"])


def test_suggestions_need_an_account_as_the_address_lookup_does(client, san_francisco):
    assert client.get(SUGGEST, query_string={"q": "1 mission st"}).status_code == 401
    assert client.get("/api/v1/geocode", query_string={"address": "1 mission"}).status_code == 401


# What the field says to bad typing: empty, blank, 10 KB, a NUL byte, no field at all.
BAD_TYPING = [
    ({"q": ""}, "Type 1 to 200 characters of the address."),
    ({"q": "   "}, "Type 1 to 200 characters of the address."),
    ({"q": "x" * 10_000}, "Type 1 to 200 characters of the address."),
    ({"q": "1 mission\x00 st"}, "Remove the invisible control character U+0000 from this text."),
    ({}, "This field is required."),
]


def test_bad_typing_is_refused_with_a_message_naming_the_field(client, bearer):
    for query, message in BAD_TYPING:
        response = client.get(SUGGEST, headers=bearer, query_string=query)
        assert response.status_code == 422, query
        assert message in response.get_json()["errors"]["q"], query


def test_the_openapi_document_describes_the_suggestions_and_their_limits(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/geocode/suggest"]["get"]
    [q] = [p for p in operation["parameters"] if p["name"] == "q"]
    assert q["required"] is True
    assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (1, 200)
    assert {"200", "401", "422"} <= set(operation["responses"])
    assert "eight" in operation["description"] + operation["summary"]
