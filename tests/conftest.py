import os
import re
from pathlib import Path

import pytest

from yingjian.workspace import Workspace, init


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
    w = Workspace.open(root)
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
