"""The README prints the role x action table the code enforces."""

from __future__ import annotations

from pathlib import Path

from accounts.permissions import PERMISSIONS, roles_for, table_markdown


def test_the_readme_prints_the_table_the_code_enforces():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert table_markdown() in readme


def test_admins_can_never_take_footage_or_read_the_access_log():
    assert "admin" not in roles_for("footage.take")
    assert "admin" not in roles_for("audit.read")
    assert all(permission.roles for permission in PERMISSIONS.values())
