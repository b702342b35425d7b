"""The whole read model as plain rows, once every projection has caught up or been rebuilt."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from events_store.projections import ProjectionRunner

# Not read-model rows: the projections' own bookkeeping, and SQLite's R*Tree shadow tables,
# whose node layout depends on insertion history rather than on the rows indexed.
NOT_COMPARED = ("projection_positions",)
SHADOW_SUFFIXES = ("_rtree_node", "_rtree_parent", "_rtree_rowid")
# Surrogate keys the database assigns; compared through the natural key they stand for.
SURROGATES: dict[str, tuple[str, str]] = {}
# A sealed value (events_store.vault) has a fresh random nonce each time it is written, so a
# rebuilt row's differs from the incremental one's: compared by the subject it is sealed for.
SEALED_PREFIX = "pd1."

Dump = dict[str, list[tuple[Any, ...]]]


class ProjectionProblem(AssertionError):
    """A projection failed, lags behind the log, or could not be rebuilt."""


def caught_up_read_model(runner: ProjectionRunner, engine: sa.Engine) -> Dump:
    """Let every projection apply the whole log, check that each did, and dump every table."""
    catch_up_every_projection(runner)
    return dump_tables(engine)


def catch_up_every_projection(runner: ProjectionRunner) -> None:
    """Let every projection apply the whole log, and check that each did and none failed."""
    try:
        runner.catch_up()
    except Exception as error:  # any failure here is what the test reports
        raise ProjectionProblem(f"catching up failed: {type(error).__name__}: {error}") from error
    problems = [
        f"{status.name} at {status.position} of {status.head}"
        + (f" ({status.failure.describe()})" if getattr(status, "failure", None) else "")
        for status in runner.status()
        if status.position != status.head or getattr(status, "failure", None)
    ]
    if problems:
        raise ProjectionProblem("projections behind the log: " + "; ".join(problems))


def rebuilt_read_model(runner: ProjectionRunner, engine: sa.Engine) -> Dump:
    """Rebuild every projection from the log, then dump every table."""
    for name in runner.names:
        try:
            runner.rebuild(name)
        except Exception as error:
            raise ProjectionProblem(
                f"rebuilding {name} failed: {type(error).__name__}: {error}"
            ) from error
    return caught_up_read_model(runner, engine)


def dump_tables(engine: sa.Engine) -> Dump:
    """Every row of every compared table, surrogate keys replaced, in a canonical order."""
    names = sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        naturals = {
            column: dict(conn.execute(sa.text(f"SELECT {column}, {natural} FROM {table}")).all())
            for column, (table, natural) in SURROGATES.items()
            if table in names
        }
        return {
            name: _rows(conn, name, naturals)
            for name in names
            if name not in NOT_COMPARED and not name.endswith(SHADOW_SUFFIXES)
        }


def _rows(conn: sa.Connection, table: str, naturals: dict[str, dict]) -> list[tuple]:
    result = conn.execute(sa.text(f'SELECT * FROM "{table}"'))
    columns = list(result.keys())
    rows = [
        tuple(
            (
                name,
                naturals[name].get(value, f"unknown {value}")
                if name in naturals
                else _unsealed(value),
            )
            for name, value in zip(columns, row, strict=True)
        )
        for row in result
    ]
    return sorted(rows, key=repr)


def _unsealed(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        return "sealed for " + value.split(".")[1]
    return value
