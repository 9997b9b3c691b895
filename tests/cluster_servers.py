"""The servers of the cluster tests, started by the tests themselves in temporary folders:
a real `redis-server` on a free loopback port (persisting to its folder, so that "its data
deleted" means something), and the database the workers share. Nothing assumes a service
already running; a missing redis-server fails the test, never skips it."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yingjian.workspace import Workspace, init

from tests.conftest import set_watch_options

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """One redis-server process in `folder`; `stop()`, `start()` again on the same port."""

    def __init__(self, folder: Path):
        if not os.path.exists(REDIS):
            pytest.fail("redis-server is not installed (Debian: apt-get install redis-server); "
                        "the cluster tests need it")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start: "
                             + (self.folder / "redis.log").read_text(errors="replace")[-2000:])

    def client(self):
        import redis
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def delete_data(self) -> None:
        """Everything Redis kept on disk, gone (what an emptied or replaced server has)."""
        for p in self.folder.iterdir():
            if p.name != "redis.log":
                shutil.rmtree(p) if p.is_dir() else p.unlink()


@pytest.fixture
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def cluster_database(request):
    """The database every process of a cluster test shares: None is the workspace's SQLite
    file (several processes on one machine, WAL mode); else a fresh database on the session's
    real PostgreSQL (`[cluster] database`, as several machines have it)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_server").database()


def cluster_workspace(root: Path, broker: str, objects: Path, database: str | None,
                      units=("人武部", "教育局"), max_read_seconds: int = 60,
                      inbox: Path | None = None) -> Workspace:
    """A workspace whose work goes to workers: [cluster] broker and objects (and database)."""
    init(root, units=list(units), inbox=str(inbox) if inbox else None)
    set_watch_options(root, stable_seconds=0.2, incomplete_after=1)
    p = root / "yingjian.toml"
    text, n = re.subn(r"(?m)^max_read_seconds = [^#\n]*", f"max_read_seconds = {max_read_seconds}  ",
                      p.read_text(encoding="utf-8"))
    assert n == 1
    lines = ["", "[cluster]", f'broker = "{broker}"', f'objects = "{objects.as_posix()}"']
    if database:
        lines.append(f'database = "{database}"')
    p.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return Workspace.open(root)


def yingjian(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "yingjian", "-w", str(root), *args]


def start_worker(root: Path, log: Path, *args: str) -> subprocess.Popen:
    """`yingjian worker` in a process of its own (its own process group, so that a kill of
    it takes its guarded readers too, as a machine that dies would)."""
    out = open(log, "ab")
    return subprocess.Popen(yingjian(root, "worker", *args), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill_hard(proc: subprocess.Popen) -> None:
    """SIGKILL, as the OOM killer or a pulled plug: no warm shutdown, nothing acknowledged."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            kill_hard(proc)


def wait_until(predicate, timeout: float, what: str, every: float = 0.25, logs=()):
    """Poll until `predicate` is true; on timeout the error carries the end of each log in `logs`
    (the processes' own words are what tells a CI failure from a slow machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + log_tails(logs))


def log_tails(logs, lines: int = 40) -> str:
    out = []
    for log in logs:
        log = Path(log)
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else "(none)"
        out.append(f"\n--- {log.name} ---\n" + "\n".join(text.splitlines()[-lines:]))
    return "".join(out)
