"""The public figures cannot be reverse-engineered: the coverage map against a differencing
attack with planted accounts, the transparency figures against telling a decline from
silence, and both behind a rate limit per client address."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit import coverage as cov
from audit.public import REQUESTS_PER_WINDOW, request_counts
from audit.transparency import transparency_report
from registry.cells import BLOCK, Block, Cell, cell_of
from registry.geodesy import Point, distance_m
from tests.e2e.test_owner_journey_api import PASSWORD, sign_up_and_verify

# A lone owner's home, in a block of its own; the business street is a few kilometres away.
HOME = (42.33712, -83.06118)
STREET = (42.35523, -83.07341)
LONG_AGO = timedelta(days=60)


def set_log_clock(app, monkeypatch, moment: datetime | None) -> None:
    """Record what follows as if it happened at `moment` (None: the real time again)."""
    recorder = app.extensions["canvass"].store._recorder
    if moment is None:
        monkeypatch.undo()
    else:
        monkeypatch.setattr(recorder, "_clock", lambda: moment)


def owner_site(client, mailbox, email, latitude, longitude, cameras=1):
    bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, email)}
    body = {
        "label": "Home",
        "latitude": latitude,
        "longitude": longitude,
        "cameras": [
            {"label": f"Camera {n}", "bearing_degrees": 90, "field_of_view_degrees": 90,
             "range_metres": 30, "retention_days": 14}
            for n in range(cameras)
        ],
    }  # fmt: skip
    site = client.post("/api/v1/sites", headers=bearer, json=body)
    assert site.status_code == 201, site.get_json()
    return bearer, site.get_json()["site_id"]


def import_street(cli, tmp_path, n=30):
    """`n` businesses imported from a public list, all within one block of the street."""
    block = cell_of(*STREET).block.box
    rng = random.Random(7)
    nodes = [
        {"id": 9000 + i, "type": "camera",
         "lat": rng.uniform(block.south + 1e-5, block.north - 1e-5),
         "lon": rng.uniform(block.west + 1e-5, block.east - 1e-5)}
        for i in range(n)
    ]  # fmt: skip
    path = tmp_path / "street.json"
    path.write_text(json.dumps(nodes))
    result = cli.invoke(args=["registry", "import", str(path), "--format", "osm-surveillance"])
    assert result.exit_code == 0, result.output


def histogram(app) -> dict[Block, tuple[int, int]]:
    """What the month's release is drawn from: owners and counted cameras per block."""
    counts: dict[Block, tuple[int, int]] = {}
    with app.extensions["canvass"].engine.connect() as conn:
        for c in cov.contributions(conn, cov.period_of(datetime.now(UTC))).values():
            owners, cameras = counts.get(c.block, (0, 0))
            counts[c.block] = (owners + 1, cameras + c.cameras)
    return counts


def ask(client, box, n):
    """One anonymous request, each from an address of its own (rate limits do not help)."""
    south, west, north, east = box
    return client.get(
        "/api/v1/public/coverage",
        query_string={"south": south, "west": west, "north": north, "east": east},
        environ_base={"REMOTE_ADDR": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"},
    )


def test_a_thousand_sliding_boxes_and_two_planted_accounts_learn_nothing_finer_than_a_block(
    app, client, cli, mailbox, monkeypatch, tmp_path
):
    now = datetime.now(UTC)
    set_log_clock(app, monkeypatch, now - LONG_AGO)
    _, home = owner_site(client, mailbox, "lone@example.org", *HOME, cameras=2)
    # The first planted account has standing: opened long ago, its site beside the home.
    _, planted_old = owner_site(client, mailbox, "mole@example.org", HOME[0] + 1e-4, HOME[1])
    set_log_clock(app, monkeypatch, None)
    # The second is new: signed up today, its site just as close.
    planted_new = owner_site(client, mailbox, "fresh@example.org", HOME[0], HOME[1] + 1e-4)
    import_street(cli, tmp_path)

    before = histogram(app)
    home_block = cell_of(*HOME).block
    assert before[home_block] == (2, 3)  # the home and the old mole; the new one is not counted
    assert before[cell_of(*STREET).block] == (30, 30)

    rng = random.Random(2026)
    figures: dict[tuple[float, float, float, float], tuple[int, int]] = {}
    for n in range(1000):
        # Edges slide around the home (and sometimes the street) by a metre up to kilometres.
        centre = HOME if n % 4 else STREET
        south = centre[0] - rng.choice([1e-5, 1e-4, 1e-3, rng.uniform(0, 0.03)])
        north = centre[0] + rng.choice([1e-5, 1e-4, 1e-3, rng.uniform(0, 0.03)])
        west = centre[1] - rng.choice([1e-5, 1e-4, 1e-3, rng.uniform(0, 0.03)])
        east = centre[1] + rng.choice([1e-5, 1e-4, 1e-3, rng.uniform(0, 0.03)])
        answer = ask(client, (south, west, north, east), n)
        assert answer.status_code == 200
        body = answer.get_json()
        for block in body["blocks"]:
            edges = (block["south"], block["west"], block["north"], block["east"])
            # (a) a square's figures are the same for every box that shows it...
            assert figures.setdefault(edges, (block["owners"], block["cameras"])) == (
                block["owners"],
                block["cameras"],
            )
            # ...and every square shown overlaps the box: the box only chooses squares.
            assert block["south"] <= north and block["north"] >= south
            assert block["west"] <= east and block["east"] >= west
    # Every square ever shown is a whole block: nothing finer than a block leaves the service.
    blocks = {cell_of((s + n) / 2, (w + e) / 2).block: (s, w, n, e) for s, w, n, e in figures}
    for block, edges in blocks.items():
        box = block.box
        assert edges == (box.south, box.west, box.north, box.east)
        across = distance_m(Point(box.south, box.west), Point(box.south, box.east))
        assert across > 1000 > 5 * Cell(block.row * BLOCK, block.col * BLOCK).size_m
    assert cell_of(*STREET).block in blocks  # the busy street is on the map...
    # ...and the answers are exactly the month's one release, whatever was asked.
    with app.extensions["canvass"].engine.connect() as conn:
        [stored] = conn.execute(sa.select(cov.releases)).all()
    assert {(Block(r, c), o, k) for r, c, o, k in json.loads(stored.blocks)} == {
        (block, *figures[edges]) for block, edges in blocks.items()
    }
    first = ask(client, (-90, -180, 90, 180), 5000).get_json()

    # (b) Moving the home anywhere else in its block, or the new mole's site, changes neither
    # what is served this month nor what any release is drawn from.
    inside = cell_of(*HOME).block.box
    moved = (inside.south + 0.93 * (inside.north - inside.south), inside.west + 1e-4)
    assert cell_of(*moved).block == home_block and cell_of(*moved) != cell_of(*HOME)
    bearer = {"Authorization": "Bearer " + sign_up_and_verify_again(client, "lone@example.org")}
    changed = client.patch(
        f"/api/v1/sites/{home}",
        headers=bearer,
        json={"label": "Home", "latitude": moved[0], "longitude": moved[1]},
    )
    assert changed.status_code == 200, changed.get_json()
    client.patch(
        f"/api/v1/sites/{planted_new[1]}",
        headers=planted_new[0],
        json={"label": "Home", "latitude": moved[0], "longitude": moved[1] + 1e-5},
    )
    assert histogram(app) == before
    assert ask(client, (-90, -180, 90, 180), 5001).get_json() == first
    # The old mole counts like any owner of standing: it changes one block by one owner and
    # at most four cameras, which is what the noise is calibrated for.
    assert planted_old


def sign_up_and_verify_again(client, email):
    """A fresh token for an owner who signed up earlier."""
    issued = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": "again"}
    )
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()["token"]


def test_one_release_a_month_is_stored_and_served_to_everyone_until_the_next(
    app, client, cli, tmp_path
):
    import_street(cli, tmp_path)
    engine = app.extensions["canvass"].engine
    now = datetime.now(UTC)
    answers = [ask(client, (-90, -180, 90, 180), n).get_json() for n in range(20)]
    assert all(answer == answers[0] for answer in answers)  # no fresh noise to average away
    assert cov.release_for(engine, now) == cov.release_for(engine, now)
    [street] = answers[0]["blocks"]
    assert street["owners"] >= cov.THRESHOLD and street["cameras"] >= street["owners"]
    privacy = answers[0]["privacy"]
    epsilon, delta = cov.budget()
    assert privacy["epsilon_per_release"] == pytest.approx(epsilon) == 1.5
    assert privacy["delta_per_release"] == pytest.approx(delta)
    assert 0 < delta < 1e-4
    assert privacy["epsilon_per_year"] == pytest.approx(12 * epsilon)
    assert answers[0]["period"] == f"{now:%Y-%m}"
    # Next month brings a release of its own, drawn afresh; this month's stays as it was.
    later = cov.next_period_start(cov.period_of(now)) + timedelta(days=3)
    following = cov.release_for(engine, later)
    assert following.period == cov.period_of(later) != answers[0]["period"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(cov.releases)) == 2
    assert ask(client, (-90, -180, 90, 180), 99).get_json() == answers[0]


def test_the_public_figures_are_rate_limited_per_address_in_plain_words(app, client):
    for path in ("/api/v1/public/coverage", "/api/v1/public/transparency", "/transparency"):
        for _ in range(REQUESTS_PER_WINDOW):
            assert client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
        refused = client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        text = refused.get_data(as_text=True)
        assert "please wait" in text and "Traceback" not in text
        if path.startswith("/api/"):
            assert refused.get_json()["code"] == "too_many_attempts"
        # Another address is served meanwhile.
        other = client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.9"})
        assert other.status_code == 200
        with app.extensions["canvass"].engine.begin() as conn:
            clients = conn.scalars(sa.select(request_counts.c.client)).all()
            conn.execute(request_counts.delete())
        assert len(clients) == 2 and not any("192.0.2" in c or "198.51" in c for c in clients)


@contextmanager
def world(backend, sqlite_template, tmp_path, monkeypatch, cy_declines: bool):
    """A service of its own where SFPD canvassed five times in December 2018: ana and ben
    said they would bring footage each time; cy declined once (or stayed silent) and
    stayed silent the other times."""
    from service import create_app
    from tests.databases import fresh_postgres_schema
    from tests.e2e.test_canvass_api import staff
    from tests.e2e.test_canvass_requests import owner_with_camera
    from tests.e2e.test_transparency import DECEMBER, canvass, footage_requests, set_time
    from tests.smtp import SMTPServer

    place = tmp_path / ("declines" if cy_declines else "silent")
    place.mkdir()
    with ExitStack() as stack:
        if backend == "sqlite":
            url = sqlite_template.fresh(place)
        else:
            url = stack.enter_context(fresh_postgres_schema())
        smtp = stack.enter_context(SMTPServer())
        monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(place / "instance"))
        app = create_app(
            {"DATABASE_URL": url, "TESTING": True, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port}
        )
        stack.callback(app.extensions["canvass"].close)
        client, cli = app.test_client(), app.test_cli_runner()
        for name, metres in (("ana", 40), ("ben", 90), ("cy", 130)):
            owner_with_camera(client, smtp.mailbox, f"{name}@example.org", metres)
        sfpd = staff(cli, client, smtp.mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
        app.extensions["canvass"].canvass.dispatcher.weekly_cap = 100
        set_time(app, monkeypatch, DECEMBER + timedelta(days=1))
        for n in range(5):
            path = canvass(client, sfpd, DECEMBER, 150, 1, f"181-00{n:04d}")
            assert client.post(f"{path}/dispatch", headers=sfpd).status_code == 200
        assert cli.invoke(args=["outbox", "send"]).exit_code == 0
        links = footage_requests(smtp.mailbox)  # ana's five, ben's five, cy's five
        assert len(links) == 15
        answers = ["will_bring"] * 10 + (["decline"] if cy_declines else [None]) + [None] * 4
        for token, answer in zip(links, answers, strict=True):
            if answer:
                sent = client.post(
                    "/api/v1/requests/answer", json={"token": token, "answer": answer}
                )
                assert sent.status_code == 200, sent.get_json()
        monkeypatch.undo()
        yield app


def published_figures(app) -> list[str]:
    public = app.test_client()
    return [
        public.get(path, query_string=query).get_data(as_text=True)
        for path in ("/api/v1/public/transparency", "/transparency")
        for query in ({}, {"year": 2018})
    ]


def test_the_public_cannot_tell_a_decline_from_silence(
    backend, sqlite_template, tmp_path, monkeypatch
):
    seen = []
    for cy_declines in (True, False):
        with world(backend, sqlite_template, tmp_path, monkeypatch, cy_declines) as app:
            seen.append(published_figures(app))
            with app.extensions["canvass"].engine.connect() as conn:
                report = transparency_report(conn)
                answers = conn.scalars(sa.text("SELECT answer FROM canvass_requests")).all()
            assert ("decline" in answers) == cy_declines  # the worlds really differ
    declined, silent = seen
    assert declined == silent  # every published figure, JSON and page, for all years and 2018
    [december] = report["agency_months"]
    # Not hidden by suppression: the merged figure itself is published, exactly.
    assert december["answers"] == {
        "share_now": 0, "will_bring": 10, "no_footage": 0, "did_not_provide": 5
    }  # fmt: skip
    assert december["requests_sent"] == 15


def test_racing_first_requests_of_a_month_all_serve_the_one_release_stored(app, cli, tmp_path):
    import_street(cli, tmp_path)
    engine = app.extensions["canvass"].engine
    moment = datetime(2031, 5, 1, 0, 0, 1, tzinfo=UTC)
    start = threading.Barrier(6)

    def first_request() -> cov.Release:
        start.wait()
        return cov.release_for(engine, moment)

    with ThreadPoolExecutor(6) as pool:
        served = list(pool.map(lambda _: first_request(), range(6)))
    assert len(set(served)) == 1
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(cov.releases)) == 1
