"""What ships is the wheel: built from this checkout, installed into a fresh environment, run
from a folder that holds none of the source, it migrates its database and serves every page,
script and document a person or a client asks for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ("/", "text/html"),
    ("/signup", "text/html"),
    ("/login", "text/html"),
    ("/forgot-password", "text/html"),
    ("/map", "text/html"),
    ("/transparency", "text/html"),
    ("/api/v1/docs", "text/html"),
    ("/api/v1/openapi.json", "application/json"),
    ("/static/site.css", "text/css"),
    ("/assets/leaflet/leaflet.js", "text/javascript"),
    ("/assets/leaflet/leaflet.css", "text/css"),
    ("/assets/protomaps-leaflet/protomaps-leaflet.js", "text/javascript"),
]
# What a build of the working tree leaves out: environments, caches, tests and earlier builds.
NOT_BUILT = {
    ".git", ".venv", "build", "dist", "__pycache__", "instance", "test-artifacts", "tests",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "camera_canvass.egg-info",
}  # fmt: skip


def not_built(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in NOT_BUILT} if Path(folder) == ROOT else set()


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding the wheel and, through a path file, the dependencies
    already installed here (nothing is downloaded; the checkout's own editable install stays
    out of sight, because a path file's folder is not a site folder)."""
    place = tmp_path_factory.mktemp("wheel")
    source = place / "source"  # a copy, so that building leaves nothing in the checkout
    shutil.copytree(ROOT, source, ignore=not_built)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        place / "dist",
        source,
        cwd=place,
    )
    [wheel] = (place / "dist").glob("camera_canvass-*.whl")
    environment = place / "env"
    run(sys.executable, "-m", "venv", "--without-pip", environment, cwd=place)
    target = Path(
        sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)})
    )
    (target / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        environment / "bin" / "python",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=place,
    )
    return environment


def test_the_installed_wheel_migrates_and_serves_every_public_page(installed, tmp_path):
    python = installed / "bin" / "python"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CANVASS_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    where = run(python, "-c", "import service; print(service.__file__)", cwd=tmp_path, env=env)
    assert where.strip().startswith(str(installed)), "the test must run the installed copy"
    run(python, "-m", "flask", "--app", "service", "db", "upgrade", cwd=tmp_path, env=env)

    port = free_port()
    server = subprocess.Popen(
        [
            str(python),
            "-m",
            "waitress",
            "--host",
            "127.0.0.1",
            f"--port={port}",
            "--call",
            "service:create_app",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, server)
        for path, kind in PAGES:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
                assert response.headers["Content-Type"].startswith(kind), path
                body = response.read()
            assert body, path
        page = fetch(base, "/map").decode()
        for script in ("/static/js/maps.js", "/static/js/coverage-map.js"):
            assert script in page
            assert fetch(base, script), script
        document = json.loads(fetch(base, "/api/v1/openapi.json"))
        assert document["openapi"].startswith("3.1")
        assert "/api/v1/sites" in document["paths"]
        # A page of every domain renders from the wheel's own templates.
        assert 'name="email"' in fetch(base, "/signup").decode()
        assert 'name="password"' in fetch(base, "/login").decode()
        assert "<h1" in fetch(base, "/transparency").decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Traceback" not in output, output


def test_the_installed_service_will_not_keep_its_keys_inside_its_environment(installed, tmp_path):
    python = installed / "bin" / "python"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # no CANVASS_INSTANCE_PATH
    for command in (["-m", "flask", "--app", "wsgi", "db", "upgrade"], ["-c", "import wsgi"]):
        done = subprocess.run(
            [str(python), *command], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode != 0, done.stdout
        assert "CANVASS_INSTANCE_PATH is not set" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
    kept = [path for path in installed.rglob("*") if path.name in ("canvass.db", "keys")]
    assert kept == [], kept  # nothing was made inside the environment
    assert not (tmp_path / "instance").exists()


def fetch(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return bytes(response.read())


def wait_until_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0].decode()
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError("the installed service did not become ready within a minute")
