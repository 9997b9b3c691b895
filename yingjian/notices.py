"""督办通知: one Word file per unit that still owes materials, made from a .docx template the
office edits in Word or WPS (its letterhead, wording, signature) and filled by docxtpl.

What a notice lists is exactly the unit's open tasks of one readiness check (the to-do list of
`check --json`): veto items first, each with its item, material, missing years, status (缺失 /
不全 / 待审核 / 已退回), veto mark and due date. Every notice is recorded (yingjian/notice_log.py
and the audit trail) with its number for the unit, so the next one says 第 3 次督办 and marks
what was already asked for last time and is still open.

Threats: the template is the office's own file, but the texts poured into it are not (titles of
an imported standard, unit names): the template is rendered by a sandboxed Jinja environment
with autoescaping, so `<`, `&` and quotes stay text, and a value holding `{{ }}` or `{% %}` is
printed, never evaluated (Jinja never renders its own output again).
"""
from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from foundation.errors import Coded
from . import messages
from .deadlines import due_for, is_overdue

DEFAULT_TEMPLATE = Path(__file__).parent / "data" / "notice_template.docx"
OPEN_STATUSES = ("missing", "partial", "unconfirmed")


class NoticeError(Coded, Exception):
    """A notice that cannot be made: `code` and `data` (yingjian/messages.py words it)."""


@dataclass
class Notice:
    """One notice written: its unit, its number for the unit, the file, the tasks it lists."""
    unit: str
    number: int
    doc_no: str
    path: Path
    rows: list[dict]
    due: str | None
    record_id: int | None = None
    previous: dict | None = None

    def as_dict(self) -> dict:
        return {"unit": self.unit, "number": self.number, "doc_no": self.doc_no,
                "path": str(self.path), "due": self.due, "id": self.record_id,
                "materials": [{k: r[k] for k in ("material", "title", "item", "status",
                                                 "years_missing", "veto", "due", "overdue",
                                                 "again")} for r in self.rows],
                "previous": self.previous}


@dataclass
class NoticeBatch:
    notices: list[Notice] = field(default_factory=list)
    zip_path: Path | None = None
    skipped: list[str] = field(default_factory=list)     # units with nothing open

    def as_dict(self) -> dict:
        return {"notices": [n.as_dict() for n in self.notices],
                "zip": str(self.zip_path) if self.zip_path else None, "skipped": self.skipped}


# -- what a unit owes ---------------------------------------------------------------------------

def open_tasks(result: dict, unit: str, dues: dict, today: date,
               rejected: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """The unit's open tasks of one check (its to-do list), veto items first, each with its due
    date, whether it is overdue, and `notice_status` (`rejected` when the office sent a file
    of this unit back for a material still not complete)."""
    u = next((u for u in result["units"] if u["unit"] == unit), None)
    if u is None:
        return []
    rows = []
    for t in u["todo"]:
        if t["status"] not in OPEN_STATUSES:
            continue
        due = due_for(dues, unit, t["material"])
        status = t["status"]
        if status in ("missing", "partial") and (unit, t["material"]) in rejected:
            status = "rejected"
        rows.append({**t, "due": due, "overdue": is_overdue(due, t["status"], today),
                     "notice_status": status})
    rows.sort(key=lambda t: not t["veto"])          # stable: the check's order within each
    return rows


def rejected_pairs(ws) -> set[tuple[str, str]]:
    """(unit, material) where the office's decision in force rejects a file of that unit."""
    out = set()
    for (sha, mid), d in ws.decisions.latest().items():
        if d["action"] == "reject":
            for src in ws.catalog.sources_of(sha):
                out.add((src["unit"], mid))
    return out


def chase_state(last: dict | None, open_ids: set[str]) -> dict | None:
    """Since the unit's last notice: how many notices, when, how many of the materials it
    listed were handed in since, how many are still open."""
    if not last:
        return None
    listed = [m["material"] for m in last["materials"]]
    still = [m for m in listed if m in open_ids]
    return {"count": last.get("count", last["number"]), "number": last["number"],
            "last_day": last["day"], "handed_in": len(listed) - len(still),
            "still_open": len(still), "still_open_ids": still}


# -- the document -------------------------------------------------------------------------------

def template_env():
    """A sandboxed, autoescaping Jinja environment that compiles each part of a template once
    (docxtpl hands it the same XML for every unit; compiling was 40% of a notice's time)."""
    from jinja2.sandbox import SandboxedEnvironment

    class Env(SandboxedEnvironment):
        def from_string(self, source, globals=None, template_class=None):
            key = (source, template_class)
            if key not in self.compiled or globals:
                self.compiled[key] = super().from_string(source, globals, template_class)
            return self.compiled[key]

    env = Env(autoescape=True)
    env.compiled = {}
    return env


def load_template(path: Path | None) -> bytes:
    path = Path(path) if path else DEFAULT_TEMPLATE
    try:
        data = path.read_bytes()
    except OSError as e:
        raise NoticeError("notice_template_unreadable", path=str(path),
                          detail=e.strerror or str(e)) from e
    try:
        zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as e:
        raise NoticeError("notice_template_not_docx", path=str(path)) from e
    return data


def render(template: bytes, context: dict, out: Path, template_name: str = "", env=None) -> Path:
    """Fill the template with `context` and write it to `out` (atomically); `env`: one
    `template_env()` for a batch of notices from the same template."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError
    doc = DocxTemplate(io.BytesIO(template))
    try:
        doc.render(context, jinja_env=env or template_env(), autoescape=True)
    except TemplateError as e:
        raise NoticeError("notice_template_invalid", path=template_name,
                          detail=getattr(e, "message", None) or str(e)) from e
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    doc.save(tmp)
    tmp.replace(out)
    return out


def context(*, office: str, unit: str, rows: list[dict], number: int, doc_no: str, today: date,
            due: str | None, inspection: date | None, previous: dict | None, inbox: str,
            web: str | None, contact: str | None) -> dict:
    """The template's fields (listed in the README)."""
    w, again = messages.NOTICE_WORDS, set(previous["still_open_ids"]) if previous else set()
    table = [{
        "no": i, "item": f"{r['item']} {r['item_title']}", "material": f"{r['material']} {r['title']}",
        "material_id": r["material"], "title": r["title"],
        "years": "、".join(str(y) for y in r["years_missing"]) or w["none"],
        "status": messages.NOTICE_STATUS[r["notice_status"]], "veto": w["veto"] if r["veto"] else "",
        "due": messages.day_text(r["due"]) if r["due"] else w["none"],
        "overdue": w["overdue"] if r["overdue"] else "",
        "again": w["again"] if r["material"] in again else ""} for i, r in enumerate(rows, 1)]
    first = rows[0] if rows else None
    return {
        "office": office, "unit": unit, "title": w["title"], "doc_no": doc_no,
        "number": number, "day": messages.day_text(today.isoformat()),
        "due": messages.day_text(due) if due else "",
        "inspection_date": messages.day_text(inspection.isoformat()) if inspection else "",
        "days_left": (inspection - today).days if inspection else None,
        "count": len(rows), "veto_count": sum(1 for r in rows if r["veto"]),
        "again_count": sum(1 for r in table if r["again"]),
        "rows": table, "inbox": inbox, "web": web or "", "contact": contact or "",
        "example": f"{first['material']}_{first['title']}.pdf" if first else "",
        "previous": ({"number": previous["number"], "day": messages.day_text(previous["last_day"]),
                      "handed_in": previous["handed_in"], "still_open": previous["still_open"]}
                     if previous else None),
    }


# -- the service --------------------------------------------------------------------------------

def write_notices(ws, out_dir: Path, *, units: list[str] | None = None, due: str | None = None,
                  template: Path | None = None, include_complete: bool = False,
                  user: str | None = None, client: str | None = None,
                  today: date | None = None, zip_all: bool = True) -> NoticeBatch:
    """A notice for each of `units` (default: every unit) that has open materials (or every one
    asked, with `include_complete`), written to `out_dir`, all of them also in one zip; each
    recorded in the notice log and the audit trail, and kept in the archive so the unit sees
    its own. `due`, when given, becomes the due date of each unit chased (as `yingjian due
    --unit` sets it)."""
    today = today or ws.today()
    tpl, env = load_template(template), template_env()
    names = units or ws.units()
    ws.catch_up()                     # chase what the archive holds now, a watcher's files too
    result = ws.check()
    dues = ws.deadlines.current()
    rejected = rejected_pairs(ws)
    last = ws.notice_log.latest_by_unit()
    stamp = today.strftime("%Y%m%d")
    batch = NoticeBatch()
    for unit in names:
        if due:                       # the notice's date is the unit's from now on
            dues = {**dues, ("unit", unit): {"due": due}}
        rows = open_tasks(result, unit, dues, today, rejected)
        if not rows and not include_complete:
            batch.skipped.append(unit)
            continue
        if due:
            ws.set_due("unit", unit, due, user, client=client)
        previous = chase_state(last.get(unit), {r["material"] for r in rows})
        unit_due = due or (dues.get(("unit", unit)) or {}).get("due")
        batch.notices.append(_write_one(ws, unit, rows, previous, unit_due, today=today,
                                        template=(tpl, env, str(template or DEFAULT_TEMPLATE)),
                                        out_dir=Path(out_dir), user=user, client=client))
    if zip_all and batch.notices:
        batch.zip_path = Path(out_dir) / messages.NOTICE_WORDS["zip"].format(stamp=stamp)
        tmp = batch.zip_path.with_name(batch.zip_path.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for n in batch.notices:
                z.write(n.path, n.path.name)
        tmp.replace(batch.zip_path)
    return batch


def _write_one(ws, unit: str, rows: list[dict], previous: dict | None, unit_due: str | None, *,
               today: date, template: tuple, out_dir: Path, user: str | None,
               client: str | None) -> Notice:
    """One unit's notice: numbered, written, then recorded (a template that fails records
    nothing), kept in the archive for the unit to download, and named in the audit trail."""
    tpl, env, template_name = template
    opts = ws.config.notice
    office = opts.get("office_name") or ws.config.office
    for r in rows:
        r["again"] = bool(previous) and r["material"] in previous["still_open_ids"]
    number, serial = ws.notice_log.next_numbers(unit, today.year)
    doc_no = messages.NOTICE_WORDS["doc_no"].format(
        office=opts.get("doc_prefix") or office, year=today.year, serial=serial)
    ctx = context(office=office, unit=unit, rows=rows, number=number, doc_no=doc_no,
                  today=today, due=unit_due, inspection=ws.config.inspection_date,
                  previous=previous, inbox=str(ws.config.inbox / unit),
                  web=opts.get("web_address"), contact=opts.get("contact"))
    name = messages.NOTICE_WORDS["file"].format(unit=unit, stamp=today.strftime("%Y%m%d"))
    path = render(tpl, ctx, out_dir / name, template_name, env)
    materials = [{"material": r["material"], "status": r["notice_status"],
                  "years_missing": r["years_missing"], "due": r["due"], "veto": r["veto"]}
                 for r in rows]
    entry = ws.notice_log.add(unit, materials, day=today.isoformat(), due=unit_due, user=user,
                              number=number, serial=serial, file=f"{today.year}-{serial}_{name}")
    kept = ws.config.archive / "notices"
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, kept / entry["file"])
    ws.audit.record("notice", user, client, unit=unit, number=number, due=unit_due,
                    materials=[r["material"] for r in rows], doc_no=doc_no)
    return Notice(unit, number, doc_no, path, rows, unit_due, entry["id"], previous)


def chase_summaries(ws, result: dict) -> dict[str, dict]:
    """unit -> how it has been chased (see `chase_state`), for every unit ever sent a notice."""
    open_ids = {u["unit"]: {t["material"] for t in u["todo"] if t["status"] in OPEN_STATUSES}
                for u in result["units"]}
    return {unit: chase_state(last, open_ids.get(unit, set()))
            for unit, last in ws.notice_log.latest_by_unit().items()}


def write_template(out: Path) -> Path:
    """The bundled template, to edit in Word or WPS and pass back with --template."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEFAULT_TEMPLATE, out)
    return out
