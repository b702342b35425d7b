"""Hostile commands through the public API, the pages and the command line: every answer is
below 500, every projection keeps up with the log, and rebuilding every projection from the
log gives exactly the read model that applying the events one by one gave."""

from __future__ import annotations

import os
import reprlib
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from tests.support.city import CANVASS, City, Residents, new_database, service, settle
from tests.support.copies import copy_database
from tests.support.hostile_steps import STEPS, poisoned_steps
from tests.support.read_model import (
    ProjectionProblem,
    catch_up_every_projection,
    caught_up_read_model,
    rebuilt_read_model,
)


def check_projections(city: City) -> None:
    """Every projection has applied the whole log, and none has failed."""
    catch_up_every_projection(city.services.projections)


def check_rebuild(city: City) -> None:
    """Rebuilding every projection from the log gives exactly the rows applied one by one."""
    runner, engine = city.services.projections, city.services.engine
    incremental = caught_up_read_model(runner, engine)
    rebuilt = rebuilt_read_model(runner, engine)
    for table in sorted(incremental.keys() | rebuilt.keys()):
        # Rows compared as text, so that a NaN stored twice counts as the same value.
        before = [repr(row) for row in incremental.get(table, [])]
        after = [repr(row) for row in rebuilt.get(table, [])]
        missing = [row for row in before if row not in after]
        extra = [row for row in after if row not in before]
        assert before == after, f"{table} differs after a rebuild: {missing=} {extra=}"


# --- the property ----------------------------------------------------------------------------

BRIEFLY = reprlib.Repr()  # steps as text short enough to read, long strings cut
BRIEFLY.maxlevel, BRIEFLY.maxdict, BRIEFLY.maxlist, BRIEFLY.maxtuple = 6, 20, 20, 20
BRIEFLY.maxstring = BRIEFLY.maxother = 80

EXAMPLES = int(os.environ.get("PROJECTION_PROPERTY_EXAMPLES", "25"))
IN_CI = os.environ.get("CI") == "true"
# In CI the examples are the same on every run and a failure is reported as found: shrinking
# one can take minutes. Run the test locally to shrink it.
PHASES = tuple(p for p in Phase if p is not Phase.shrink or not IN_CI)


@dataclass(frozen=True)
class Prepared:
    """Where the settled city lies, and who lives in it."""

    url: str
    schema: str
    keys: Path
    residents: Residents

    def copy_to(self, backend, sqlite_template, directory: Path, cleanup: ExitStack):
        """A database of its own holding the settled city, and a copy of its data keys."""
        directory.mkdir(parents=True, exist_ok=True)
        url, schema = new_database(backend, sqlite_template, directory, cleanup)
        copy_database(self.url, url, self.schema, schema)
        shutil.copytree(self.keys, directory / "keys")
        return url, directory / "keys"


@pytest.fixture
def prepared(backend, sqlite_template, smtp_server, tmp_path, monkeypatch):
    """The settled city once, on a database each example copies (hashing the residents'
    passwords is what makes a city slow to build)."""
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    with ExitStack() as cleanup:
        url, schema = new_database(backend, sqlite_template, tmp_path, cleanup)
        keys = tmp_path / "city-keys"
        app = service(url, smtp_server, tmp_path / "footage", keys)
        try:
            residents = settle(app, smtp_server.mailbox)
        finally:
            app.extensions["canvass"].close()
        yield Prepared(url, schema, keys, residents)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=IN_CI,
    phases=PHASES,
    # The fixtures (the settled city, the SMTP server) serve every example; each example
    # copies the city into a database of its own and builds its own service on it.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(steps=st.lists(STEPS, min_size=4, max_size=15))
def test_hostile_commands_leave_every_projection_caught_up_and_rebuildable(
    backend, sqlite_template, smtp_server, prepared, steps
):
    with ExitStack() as cleanup:
        directory = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        url, keys = prepared.copy_to(backend, sqlite_template, directory, cleanup)
        app = service(url, smtp_server, directory / "footage", keys)
        cleanup.callback(app.extensions["canvass"].close)
        city = City(app, smtp_server.mailbox, prepared.residents.copy())
        note(f"steps: {BRIEFLY.repr(steps)}")
        check_projections(city)

        for step in steps:
            city.take(step)
            check_projections(city)
        check_rebuild(city)


@pytest.mark.slow
def test_every_field_of_every_command_given_a_poison_leaves_the_projections_whole(
    backend, sqlite_template, smtp_server, prepared, tmp_path
):
    with ExitStack() as cleanup:
        url, keys = prepared.copy_to(backend, sqlite_template, tmp_path / "example", cleanup)
        app = service(url, smtp_server, tmp_path / "example" / "footage", keys)
        cleanup.callback(app.extensions["canvass"].close)
        city = City(app, smtp_server.mailbox, prepared.residents.copy())
        city.open(CANVASS)  # a draft, for the poisoned reasons to cancel

        store, failures = city.services.store, []
        for label, step in poisoned_steps():
            head = store.head()
            try:
                city.take(step)
            except AssertionError as failure:
                failures.append(f"{label}: {str(failure)[:400]}")
            if store.head() == head:
                continue  # only what was appended can stop a projection
            try:
                check_projections(city)
            except ProjectionProblem as stopped:  # every later check would repeat it
                failures.append(f"{label}: {stopped}")
                break
        assert not failures, "\n".join(failures)
        city.take(("take_footage", 0))
        city.take(("scheduler_runs",))
        check_projections(city)
        check_rebuild(city)
