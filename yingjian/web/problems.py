"""问题文件: the files that need a person, grouped by unit and by reason, errors before warnings,
a zip's members under their zip. The office marks one 已通知 (who and when) or 忽略 (why), and
it moves out of the open list; a unit sees its own, with what to do and the office's marks."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request

from ..messages import LEVEL_LABELS as LEVELS
from ..problem_notes import MARKS
from ..services.files import UnknownPath
from .common import login_required, office_required, safe_back, workspace
from .errors import fail

bp = Blueprint("problems", __name__)
CONTAINERS = (".zip", ".7z")


@bp.route("/problems")
@login_required
def problems():
    ws = workspace()
    rows = ws.files.problems_noted(g.user.may_see_unit)
    open_rows, marked = [], {"notified": [], "ignored": []}
    for row in rows:
        p = {**row.record, "note": row.note}
        (marked[row.note["mark"]] if row.note else open_rows).append(p)
    return render_template("problems.html", groups=group(open_rows), marked=marked,
                           total=len(rows), levels=LEVELS)


@bp.route("/problems/mark", methods=["POST"])
@office_required
def mark():
    ws = workspace()
    action = request.form.get("mark", "")
    reason = request.form.get("reason", "").strip()[:200] or None
    paths = request.form.getlist("path")
    if action not in MARKS or not paths or (action == "ignored" and not reason):
        fail(400, "bad_note")
    try:
        ws.files.note_problems(paths, action, g.user.name, reason)
    except UnknownPath:
        fail(404, "no_file")
    return redirect(safe_back(request.form.get("back"), "/problems"))


def container_of(path: str) -> str | None:
    """The zip (or 7z) a member path lies in, as a path; None for a file of its own."""
    parts = path.split("/")
    for i in range(len(parts) - 1, 0, -1):
        if parts[i - 1].lower().endswith(CONTAINERS):
            return "/".join(parts[:i])
    return None


def group(rows: list[dict]) -> list[dict]:
    """[{unit, groups: [{level, reason, entries: [{path, id, rows}]}]}]: units in order, in
    each unit errors before warnings and larger groups first; the members of one zip with the
    same reason make one entry under the zip's path."""
    units: dict[str, dict[tuple[str, str], dict[str, dict]]] = {}
    for p in rows:
        by_reason = units.setdefault(p["unit"], {})
        entries = by_reason.setdefault((p["level"], p["reason"]), {})
        zip_path = container_of(p["path"])
        key = zip_path or p["path"]
        entry = entries.setdefault(key, {"path": key, "zip": zip_path is not None, "rows": []})
        entry["rows"].append(p)
    out = []
    for unit in sorted(units):
        groups = [{"level": level, "reason": reason, "entries": list(entries.values()),
                   "count": sum(len(e["rows"]) for e in entries.values())}
                  for (level, reason), entries in units[unit].items()]
        groups.sort(key=lambda gr: (gr["level"] != "error", -gr["count"], gr["reason"]))
        out.append({"unit": unit, "groups": groups, "count": sum(gr["count"] for gr in groups)})
    return out
