"""A real PostgreSQL 15 server for the tests, started by the tests themselves: `initdb` and
`pg_ctl` in a temporary folder, a free port on 127.0.0.1 and a unix socket in that folder,
nothing assumed running beforehand. As root (CI) the server runs as the unprivileged `postgres`
user the Debian package creates (initdb refuses root), its folder owned by that user.

PostgreSQL missing is a failure, not a skip: the store suite must run against both
implementations (`apt-get install postgresql`; .ci/run does).
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresMissing(RuntimeError):
    pass


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if found:
        return Path(found[0]).parent
    ctl = shutil.which("pg_ctl")
    if ctl:
        return Path(ctl).parent
    raise PostgresMissing("PostgreSQL (initdb, pg_ctl) is not installed: apt-get install postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One server for a test session; `database()` makes a fresh database for one test."""

    USER = "yingjian"

    def __init__(self, durable: bool = False):
        """`durable`: PostgreSQL's own defaults for writing (fsync, synchronous commit), as an
        office's server runs (the benchmarks); without it the tests' server skips the disk
        flushes (a crash of the test machine loses a test database, nothing else)."""
        self.durable = durable
        self.bin = _bin_dir()
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        # as root, in /tmp: the postgres user must reach the folder (TMPDIR may be root's own)
        self.dir = Path(tempfile.mkdtemp(prefix="yingjian-pg-",
                                         dir="/tmp" if as_root and os.path.isdir("/tmp") else None))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self._run_as: dict = {}
        if as_root:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        self._names = itertools.count(1)
        self.created: list[str] = []
        self._pg(["initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync"])
        self.start()

    def _pg(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        res = subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, **self._run_as)
        if check and res.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed: {res.stdout}{res.stderr}\n{log}")
        return res

    def _options(self) -> str:
        fast = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        return (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 {fast}"
                "-c max_connections=300 -c shared_buffers=128MB")

    def start(self) -> None:
        self._pg(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-w", "-t", "60", "start"])

    def stop(self) -> None:
        self._pg(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"], check=False)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server comes back."""
        self._pg(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-m", "fast", "-w", "-t", "60", "restart"])

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg
        with psycopg.connect(self.dsn(), autocommit=True) as c:
            c.execute(sql)

    def database(self, template: str = "template0") -> str:
        """A fresh, empty database (made from `template`): its address."""
        name = f"t{os.getpid()}_{next(self._names)}"
        for attempt in range(50):
            try:
                self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
                break
            except Exception as e:         # the template busy for a moment: another copy
                if "being accessed" not in str(e) or attempt == 49:
                    raise
                time.sleep(0.1)
        self.created.append(name)
        return self.dsn(name)

    def drop_created(self) -> None:
        """Drop the databases made since the last call (a test's, at its end)."""
        names, self.created = self.created, []
        for name in names:
            try:
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:
                pass                        # the server stopped by the test: dropped with it

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
