import os
import re
from pathlib import Path

import pytest

from yingjian.workspace import Workspace, init


@pytest.fixture(autouse=True, scope="session")
def _short_stability_window():
    """The workspaces the tests make (`init`, `yingjian init`, `city add`, `demo` in this
    process) say a file is completely copied after 0.2 s unchanged, not the 5 s an office's
    share needs: the tests write their files whole before any pass, and every `yingjian
    ingest` they run otherwise waited 5 s for nothing (some 5 minutes of the suite). Tests of
    the window itself set their own; a workspace made by a subprocess keeps the real 5 s."""
    from yingjian import config
    real = config.render

    def render(*args, **kw) -> str:
        text = real(*args, **kw)
        short, n = re.subn(r"(?m)^stable_seconds = 5 ", "stable_seconds = 0.2", text)
        assert n == 1, "the template's stability window moved"
        return short
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "render", render)
        yield


def run_server(srv) -> None:
    """A waitress server's loop, for `threading.Thread(target=run_server, args=(srv,))`: the
    test's `srv.close()` ends it, and the loop's select on the closed socket (EBADF) is that
    ending, not an error of the thread."""
    import errno
    try:
        srv.run()
    except OSError as e:
        if e.errno != errno.EBADF:
            raise


def set_watch_options(root: Path, **values) -> None:
    """Edit [watch] values in a workspace's yingjian.toml (tests use short windows)."""
    p = root / "yingjian.toml"
    text = p.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"(?m)^{key} = [^#\n]*", f"{key} = {value}  ", text)
        assert n == 1, key
    p.write_text(text, encoding="utf-8")


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """A fresh workspace with two units and a short stability window."""
    root = tmp_path / "ws"
    init(root, units=["人武部", "教育局"])
    set_watch_options(root, stable_seconds=0.2, incomplete_after=1)
    on_this_database(root)
    w = Workspace.open(root)
    if _DATABASE[0]:
        w.open_stores()       # made there now, as `init` made them in SQLite (a test may use none)
    yield w
    w.close()


@pytest.fixture
def inbox(ws) -> Path:
    return ws.config.inbox


def ingest(ws: Workspace, **kw):
    """One pass with no stability window: the test wrote the files itself, completely."""
    kw.setdefault("stable_seconds", 0)
    kw.setdefault("incomplete_after", 0)
    return ws.ingestor(**kw).ingest_pass()


def files_by_path(ws: Workspace) -> dict:
    from yingjian import records
    return {r["path"]: r for r in records.files(ws.catalog)}


def age(path: Path, seconds: float = 3600) -> None:
    """Make a file look written `seconds` ago."""
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def standard_workspace(tmp_path: Path, standard_text: str, units: list[str]) -> Workspace:
    """A workspace using the standard written in `standard_text` (the readiness tests use a
    small one, so that every status can be reached with a few files)."""
    std = tmp_path / "standard.yaml"
    std.write_text(standard_text, encoding="utf-8")
    init(tmp_path / "ws", standard=std, units=units)
    on_this_database(tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


@pytest.fixture(autouse=True)
def _quick_tests_run_no_ocr(request, monkeypatch):
    """The README's quick check (`-m "not slow"`) skips the real OCR: a test that runs the
    engine in this process without the `slow` mark fails and says so."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    from archive import ocr
    calls = []
    real = ocr.engine

    def counted():
        calls.append(1)
        return real()
    monkeypatch.setattr(ocr, "engine", counted)
    yield
    assert not calls, "this test runs the real OCR engine: mark it @pytest.mark.slow"


# -- the stores on both implementations ------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of the tests' own for the whole session (tests/pg_server.py). Not
    installed: the tests that need it fail (never skip: the store suite runs on both)."""
    from tests.pg_server import PgServer
    server = _SERVER[0] = PgServer()
    yield server
    _SERVER[0] = None
    server.close()


_SERVER: list = [None]


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """The databases a test made are dropped when it ends (the server lives for the session)."""
    yield
    if _SERVER[0] is not None and _SERVER[0].created:
        _SERVER[0].drop_created()


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.database()


def pytest_collection_modifyitems(items):
    """Every test that uses the PostgreSQL server is a `cluster` test (`-m cluster` runs them
    alone)."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)


class Backend:
    """One implementation of the database stores: `open(cls, **kw)` makes a store of it, and
    `use(root)` points a workspace at it (SQLite: nothing to do)."""

    def __init__(self, name: str, tmp_path: Path, server=None):
        self.name, self.server = name, server
        self.where = server.database() if server is not None else tmp_path / "catalog.sqlite"

    def open(self, cls, **kw):
        if self.server is None:
            return cls(self.where, **kw)
        from foundation.pgstore import pg_store
        return pg_store(cls)(self.where, **kw)

    def use(self, root: Path) -> None:
        if self.server is not None:
            use_database(root, self.where)


def use_database(root: Path, dsn: str) -> None:
    """Give a workspace's yingjian.toml a [cluster] database."""
    p = root / "yingjian.toml"
    p.write_text(p.read_text(encoding="utf-8") + f'\n[cluster]\ndatabase = "{dsn}"\n',
                 encoding="utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.cluster)])
def backend(request, tmp_path) -> Backend:
    """The store suite's one parametrized fixture: every test using it runs on SQLite and on a
    real PostgreSQL."""
    server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    return Backend(request.param, tmp_path, server)


# the database the workspaces of the running test use: None for SQLite (the default), or the
# address of a fresh PostgreSQL database (`on_both_databases`)
_DATABASE: list = [None]


def on_this_database(root: Path) -> None:
    """Point a workspace the tests made at the running test's database (nothing for SQLite)."""
    if _DATABASE[0]:
        use_database(root, _DATABASE[0])
        _DATABASE.append(root)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.cluster)])
def on_both_databases(request):
    """A module whose tests run on both implementations says so with
    `pytestmark = pytest.mark.usefixtures("on_both_databases")`: the `ws` fixture and
    `standard_workspace` then put its workspaces on SQLite, then on a real PostgreSQL."""
    if request.param == "postgresql":
        _DATABASE[0] = request.getfixturevalue("pg_server").database()
    yield request.param
    dsn, used, _DATABASE[:] = _DATABASE[0], _DATABASE[1:], [None]
    if dsn and used:        # the workspaces really were on PostgreSQL: their catalog is there
        import psycopg
        with psycopg.connect(dsn) as db:
            assert db.execute("SELECT version FROM schema_versions WHERE store = 'catalog'").fetchone()
