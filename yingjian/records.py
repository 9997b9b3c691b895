"""The catalog's rows in the shapes of the JSON contract (the README's JSON shapes): `files` and
`problems`.
A stored reason is a code with data: `reason` is its sentence (messages.py), `reason_code` the
code a script can rely on."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from archive import Catalog

from . import messages


def _info(row: dict) -> dict:
    try:
        return json.loads(row.get("info") or "{}")
    except ValueError:
        return {}


def file_status(row: dict) -> str:
    """withdrawn, refused (not archived), problem, pending (not read yet), unread (archived,
    but no reader understands its format: never plain ok) or ok."""
    if row["source_state"] == "withdrawn":
        return "withdrawn"
    if row["sha"] is None:
        return "refused"
    if row["source_reason"] or row["state"] == "problem":
        return "problem"
    if row["state"] == "ok" and _info(row).get("unread"):
        return "unread"
    return row["state"] or "pending"


def file_record(row: dict) -> dict:
    status = file_status(row)
    stored = row["source_reason"] or row["reason"] or (_info(row).get("note") if status == "unread" else None)
    return {
        "id": row["sha"], "unit": row["unit"], "path": row["path"], "name": row["name"],
        "kind": row["kind"], "date": row["date"], "date_source": row["date_source"],
        "pages": row["pages"], "text_chars": row["text_chars"] or 0,
        "status": status, "versions": row["versions"],
        "format": row["format"], "size": row["size"],
        "reason": messages.reason(stored) or None,
        "reason_code": messages.reason_code(stored),
        "duplicate_of": row["duplicate_of"],
        "ocr": row["ocr"],            # None (not needed), pending, done, failed
    }


def files(catalog: Catalog, unit: str | None = None) -> list[dict]:
    return [file_record(r) for r in catalog.files(unit)]


def problems(catalog: Catalog, unit: str | None = None) -> list[dict]:
    """Present files that need a person: not archived or unreadable (`level` error), or
    archived with a warning such as pages OCR could not read (`level` warning)."""
    out = []
    for r in catalog.files(unit, include_withdrawn=False):
        reason = r["source_reason"] or (r["reason"] if r["state"] == "problem" else None)
        level = "error"
        if not reason and r["info"]:
            reason, level = json.loads(r["info"]).get("note"), "warning"
        if reason:
            out.append({"id": r["sha"], "unit": r["unit"], "path": r["path"],
                        "reason": messages.reason(reason), "reason_code": messages.reason_code(reason),
                        "level": level})
    return out


def pass_summary(summary) -> dict:
    """`ingest --json`: the pass's counts, each problem's reason in words and as a code."""
    out = summary.to_json()
    out["problems"] = [{**p, "reason": messages.reason(p["reason"]),
                        "reason_code": messages.reason_code(p["reason"])} for p in out["problems"]]
    return out


@dataclass
class Retried:
    """What reading a file again made of it (`yingjian retry`)."""
    id: str
    paths: list[str]
    status: str                 # ok, problem, warning
    reason: str | None
    reason_code: str | None

    def to_json(self) -> dict:
        return asdict(self)


def retried(catalog: Catalog, sha: str) -> Retried:
    row = catalog.object(sha)
    paths = [r["path"] for r in catalog.sources_of(sha)]
    stored, status = None, "ok"
    if row["state"] == "pending":           # [cluster]: sent to the workers, not read yet
        status = "pending"
    elif row["state"] == "problem":
        stored, status = row["reason"], "problem"
    elif row["info"] and json.loads(row["info"]).get("note"):
        stored, status = json.loads(row["info"])["note"], "warning"
    return Retried(sha, paths, status, messages.reason(stored) or None, messages.reason_code(stored))
