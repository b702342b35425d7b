"""The README's privacy model against the database as it really is, on SQLite and PostgreSQL.

The README states, table by table, which columns hold personal data sealed for the person,
which hold keyed pseudonyms or one-way hashes, and which are in clear. These tests walk the
migrated schema and fail on any table or column the README leaves out or names wrongly; then
they take an owner with distinctive values through a whole canvass and read every row:
each column the README calls sealed holds only sealed values, and no other column holds any
of the owner's values, in clear or as their coordinates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.erasure_journey import Owner, distinctive_owner, file_mail_service, whole_canvass
from tests.support.raw_bytes import FileMailbox

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- privacy-model -->", "<!-- /privacy-model -->"
KINDS = ("sealed", "pseudonymous", "clear")
NOT_PERSONAL = {"alembic_version"}  # Alembic's own bookkeeping
NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


def readme_model() -> dict[str, dict[str, str]]:
    """{table: {column: kind}} from the README's privacy table."""
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "the README's privacy model table is missing"
    block = text[text.index(START) + len(START) : text.index(END)]
    model: dict[str, dict[str, str]] = {}
    for line in block.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue  # the header, its rule, and prose around the table
        table = NAME.match(cells[0])
        assert table, f"a privacy table row names no table: {line}"
        columns: dict[str, str] = {}
        for kind, cell in zip(KINDS, cells[1:], strict=True):
            # A column's description follows it in parentheses, in words: skip those.
            for name in NAME.findall(re.sub(r"\([^)]*\)", "", cell)):
                assert name not in columns, f"{table[1]}.{name} is listed twice"
                columns[name] = kind
        assert table[1] not in model, f"{table[1]} has two rows"
        model[table[1]] = columns
    return model


def live_schema(database_url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if table not in NOT_PERSONAL
        }
    finally:
        engine.dispose()


def test_the_readme_names_every_table_and_column_with_how_it_is_stored(database_url):
    model, schema = readme_model(), live_schema(database_url)
    assert sorted(set(schema) - set(model)) == [], "tables the README does not describe"
    assert sorted(set(model) - set(schema)) == [], "tables the README describes, not in use"
    for table, columns in schema.items():
        named = set(model[table])
        assert sorted(columns - named) == [], f"columns of {table} the README leaves out"
        assert sorted(named - columns) == [], f"columns the README gives {table}, not there"


@pytest.fixture
def service(database_url, tmp_path, monkeypatch):
    app = file_mail_service(database_url, tmp_path / "instance", monkeypatch)
    yield app
    app.extensions["canvass"].close()


def test_sealed_columns_hold_only_sealed_values_and_no_other_column_holds_a_personal_one(
    service, database_url
):
    owner = distinctive_owner()
    whole_canvass(service, FileMailbox(Path(service.instance_path) / "outbox"), owner)
    model = readme_model()
    needles = [text.lower() for text in owner.texts().values()]
    engine = sa.create_engine(database_url)
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            for table, columns in live_schema(database_url).items():
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings().all()
                for row in rows:
                    for column in columns:
                        problems += _check(
                            table, column, model[table][column], row[column], owner, needles
                        )
    finally:
        engine.dispose()
    assert problems == []


def _check(
    table: str, column: str, kind: str, value: object, owner: Owner, needles: list[str]
) -> list[str]:
    where = f"{table}.{column} ({kind})"
    if value is None:
        return []
    if kind == "sealed":
        sealed = isinstance(value, str) and value.startswith("pd1.")
        return [] if sealed else [f"{where} holds an unsealed value"]
    if isinstance(value, float):
        near = abs(value - owner.latitude) < 1e-6 or abs(value - owner.longitude) < 1e-6
        return [f"{where} holds the owner's coordinate {value}"] if near else []
    text = bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
    text = text.lower()
    found = [needle for needle in needles if needle in text]
    for coordinate in (owner.latitude, owner.longitude):
        if f"{coordinate:.6f}"[:-1] in text:
            found.append(f"coordinate {coordinate}")
    return [f"{where} holds {needle!r}" for needle in found]
