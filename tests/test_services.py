"""The fronts (the command line, the web app) call the application's services only: no front
reaches a store, opens one, or keeps the search index in step itself (issue 20). Read from the
source with `ast`, so a new command or page that reaches past the services fails here, naming
the line."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONTS = sorted([*(ROOT / "yingjian" / "cli").glob("*.py"), *(ROOT / "yingjian" / "web").glob("*.py")])

# what the workspace holds that is a store, or a part made over the stores
STORES = {"stores", "catalog", "index", "decisions", "users", "audit", "store", "objects",
          "problem_notes", "deadlines", "notice_log", "history", "learning_store", "mapping",
          "learner", "thumbnails", "previews", "ingestor", "ocr_queue", "sync_index"}
# the store classes: a front constructs none of them
STORE_CLASSES = {"Stores", "Catalog", "ObjectStore", "DecisionStore", "LearningStore", "SearchIndex",
                 "Users", "AuditLog", "Deadlines", "NoticeLog", "ReadinessHistory", "ProblemNotes",
                 "SqliteStore", "Ingestor", "OcrQueue", "Thumbnails", "Previews", "Learner"}


def _workspace_like(node: ast.AST) -> bool:
    """`ws`, `self.ws`, `workspace()`, `open_workspace(ctx)`, `w`: what holds a workspace."""
    if isinstance(node, ast.Name):
        return node.id in {"ws", "w", "workspace"}
    if isinstance(node, ast.Attribute):
        return node.attr in {"ws", "workspace"}
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in {"workspace", "open_workspace"}
    return False


def reaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in STORES and _workspace_like(node.value):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in STORE_CLASSES:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} import {alias.name}")
    return out


def test_no_front_reaches_a_store():
    found = [hit for path in FRONTS for hit in reaches(path)]
    assert not found, "a front reaches past the services:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "def f(ctx):\n    ws = open_workspace(ctx)\n    return ws.catalog.unit_counts()\n",
    "def f():\n    return workspace().index.search('x')\n",
    "def f(ws):\n    ws.sync_index()\n",
    "from archive import Catalog\n",
    "from ..stores import Stores\n",
])
def test_the_check_sees_a_front_reaching_a_store(tmp_path, source):
    # the rule above must be able to fail: each of these is what it is there to catch
    (tmp_path / "yingjian").mkdir()
    p = tmp_path / "yingjian" / "front.py"
    p.write_text(source, encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert reaches(p)
    finally:
        ROOT = saved


def test_only_the_workspace_and_its_services_keep_the_index_in_step():
    """`sync_index` has one caller family: the workspace's own services (after what they
    change) and `catch_up`, which a front calls once when it opens a workspace to show it."""
    callers = set()
    for path in (ROOT / "yingjian").rglob("*.py"):
        if "sync_index(" in path.read_text(encoding="utf-8"):
            callers.add(path.relative_to(ROOT).as_posix())
    assert callers <= {"yingjian/workspace.py", "yingjian/uploads.py", "yingjian/watching.py",
                       "yingjian/background.py", "yingjian/demo.py"}, callers


def test_the_check_json_is_made_from_the_typed_result_with_the_documented_keys(ws, inbox):
    """`check --json` is a contract: keys may be added, never renamed. The check returns typed
    results (checklist/results.py) and the JSON is made from them at the edge; what the check
    needs only on the way never reaches it."""
    from tests import factories as f
    from tests.conftest import ingest
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    ingest(ws)
    ws.sync_index()
    ready = ws.readiness()
    out, typed = ready.result, ready.checked
    assert list(out)[:11] == ["title", "period", "standard", "score", "bonus_score", "max_score",
                              "potential_score", "summary", "veto", "items", "units"]
    assert set(out["summary"]) >= {"materials", "complete", "unconfirmed", "partial", "missing",
                                   "suggestions_pending", "review_pending", "veto_at_risk"}
    leaf = next(typed.leaves())
    item = next(it for it in (i for top in out["items"] for i in [top, *top.get("children", [])])
                if it["code"] == leaf.code)
    assert list(item)[:9] == ["code", "title", "points", "veto", "bonus", "units", "method", "rule",
                              "materials"]
    assert {"score", "potential_score", "status", "veto_at_risk"} <= set(item)
    material = item["materials"][0]
    assert list(material)[:13] == ["id", "title", "kind", "count", "per_year", "status", "need",
                                   "have", "suggested", "years_missing", "years_unconfirmed",
                                   "evidence", "evidence_total"]
    assert not any(k.startswith("_") or k in ("fraction", "potential", "by_unit") for k in material)
    assert set(out["units"][0]) >= {"unit", "files", "todo", "never_uploaded"}
    # the typed result and the JSON say the same
    assert typed.score == out["score"] and typed.summary == out["summary"]
    assert [it.code for it in typed.items] == [it["code"] for it in out["items"]]
    assert leaf.materials[0].status == material["status"]
    # a suggestion in the queue is typed too, its row the `review --json` shape
    queue = ready.pending
    assert len(queue) == out["summary"]["review_pending"] >= 1
    s = queue[0]
    assert s.sha and s.material.id and isinstance(s.gain, float) and s.row()["id"] == s.sha
