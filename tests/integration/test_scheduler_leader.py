"""Exactly one scheduler: of two started on one database, one runs the jobs and the other
waits, taking over when the first is killed; a one-off run refuses while one leads; a command
line command never starts the in-process scheduler."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service.scheduler import JOBS

ROOT = Path(__file__).resolve().parents[2]
RAN = re.compile(r"scheduled job ([\w-]+) runs")


class Scheduler:
    """`flask --app wsgi scheduler run` in a process of its own, its log collected."""

    def __init__(self, database_url: str, instance: Path, *command: str) -> None:
        env = dict(os.environ) | {
            "CANVASS_DATABASE_URL": database_url,
            "CANVASS_INSTANCE_PATH": str(instance),
            "CANVASS_LOG_LEVEL": "DEBUG",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.append(line)

    def wait(self, seconds: float = 60) -> int:
        """The exit code, once the process has ended and all it printed is read."""
        code = self.process.wait(timeout=seconds)
        self._collector.join(timeout=10)
        return code

    def jobs_run(self) -> list[str]:
        return [m.group(1) for line in list(self.lines) if (m := RAN.search(line))]

    def wait_for(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.lines)):
                return
            assert self.process.poll() is None, "".join(self.lines)
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} in:\n" + "".join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.wait(30)


@pytest.fixture
def migrated(database_url, tmp_path) -> tuple[str, Path]:
    return database_url, tmp_path / "instance"


@pytest.mark.slow
def test_of_two_schedulers_one_runs_each_job_and_the_other_takes_over_when_it_dies(migrated):
    url, instance = migrated
    first = Scheduler(url, instance, "scheduler", "run")
    second = None
    try:
        first.wait_for("now runs the scheduled jobs")
        first.wait_for("scheduled job finish-erasures runs")  # the last of the first round
        second = Scheduler(url, instance, "scheduler", "run")
        second.wait_for("waits to take over")
        time.sleep(2)  # long enough for a second scheduler's first round, had it started one
        assert sorted(set(first.jobs_run())) == sorted(name for name, _, _ in JOBS)
        assert second.jobs_run() == []

        first.process.send_signal(signal.SIGKILL)  # the lock goes with the process
        first.wait(30)
        second.wait_for("now runs the scheduled jobs", seconds=30)
        second.wait_for("scheduled job finish-erasures runs")
        assert sorted(set(second.jobs_run())) == sorted(name for name, _, _ in JOBS)
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_one_off_run_refuses_while_a_scheduler_runs_the_jobs(migrated):
    url, instance = migrated
    leader = Scheduler(url, instance, "scheduler", "run")
    try:
        leader.wait_for("now runs the scheduled jobs")
        once = Scheduler(url, instance, "scheduler", "run", "--once")
        assert once.wait() == 1
        output = "".join(once.lines)
        assert "Another scheduler is running the jobs now" in output, output
        assert "Traceback" not in output and once.jobs_run() == []
    finally:
        leader.stop()
    alone = Scheduler(url, instance, "scheduler", "run", "--once")
    assert alone.wait() == 0, "".join(alone.lines)
    assert sorted(alone.jobs_run()) == sorted(name for name, _, _ in JOBS)


def test_a_command_line_command_never_starts_the_in_process_scheduler(migrated, monkeypatch):
    url, instance = migrated
    monkeypatch.setenv("CANVASS_RUN_SCHEDULER_IN_PROCESS", "true")
    command = Scheduler(url, instance, "outbox", "send")
    assert command.wait() == 0, "".join(command.lines)
    output = "".join(command.lines)
    assert "scheduled jobs" not in output and command.jobs_run() == [], output
