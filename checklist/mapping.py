"""How an archived file reaches a material of the standard (DESIGN.md):

1. declared — a folder or file name below the unit folder starts with a code or material id of
   the standard (`1.1/`, `1.1a_2021政府工作报告.pdf`, `3.2-优抚台账/`): counts as confirmed. The
   longest code wins; only codes the standard has; a bare number such as 2 needs a separator
   after it, so 2018年… is never item 2.
2. suggested — the material's query matches the file's text and its kind fits: unconfirmed.
3. decided — the office confirms, rejects, assigns or unassigns; the latest decision for a file
   and a material wins, and each records who and when.

Decisions and the cached content-rule results live in the catalog database (tables of their
own), so rebuilding the search index loses nothing. Evidence is counted by content: the same
bytes sent by two units are one piece of evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from archive.catalog import now_iso
from indexer.analysis import normalize
from indexer.querying import matcher

from .model import Material, Standard

ACTIONS = ("confirm", "reject", "assign", "unassign")
_SEPARATORS = set(" \t_-—–、,,::))]】+·\u3000")
_HAN = re.compile(r"[\u3400-\u9fff]")

TABLES = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    sha TEXT NOT NULL,
    material TEXT NOT NULL,
    action TEXT NOT NULL,
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS decisions_sha ON decisions(sha);
CREATE TABLE IF NOT EXISTS declared_codes (
    path TEXT NOT NULL,
    rules TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (path, rules)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rule_matches (
    sha TEXT NOT NULL,
    rules TEXT NOT NULL,
    materials TEXT NOT NULL,
    PRIMARY KEY (sha, rules)
) WITHOUT ROWID;
"""


def _by_path(row: tuple) -> str:
    return row[1]


class MappingError(ValueError):
    """A decision that cannot be recorded; the message is for the user (Chinese)."""


class CodeMatcher:
    """Finds the code a path declares: one regular expression over all codes, longest first,
    each with the separator rule it needs; folder names repeat, so answers are remembered."""

    def __init__(self, std: Standard):
        seps = re.escape("".join(sorted(_SEPARATORS)))
        alts = []
        for code in sorted(std.codes(), key=len, reverse=True):
            c = re.escape(code)
            if code.isdigit():       # a bare number needs a separator and a name after it
                alts.append(rf"{c}(?=[{seps}]\S)")
            else:                    # 1.1, 1.1a: the end, a separator or a Chinese character
                alts.append(rf"{c}(?=$|[{seps}]|[\u3400-\u9fff])")
        self._rx = re.compile("^(?:" + "|".join(alts) + ")", re.IGNORECASE) if alts else None
        self._canon = {c.lower(): c for c in std.codes()}
        self._seen: dict[str, str | None] = {}

    def _match(self, name: str) -> str | None:
        if name in self._seen:
            return self._seen[name]
        m = self._rx.match(name) if self._rx else None
        code = self._canon[m.group(0).lower()] if m else None
        if len(self._seen) < 100_000:
            self._seen[name] = code
        return code

    def declared(self, path: str) -> str | None:
        """The code declared by the deepest folder or file name below the unit folder."""
        parts = path.split("/")[1:]
        for i in range(len(parts) - 1, -1, -1):
            name = parts[i].strip()
            if i == len(parts) - 1 and "." in name:
                stem, ext = name.rsplit(".", 1)
                if ext.isalnum() and not ext.isdigit() and len(ext) <= 5:
                    name = stem          # 1.1a.pdf, but not the 10 of 1.10
            code = self._match(name)
            if code:
                return code
        return None


@dataclass(slots=True)
class FileFacts:
    """What the check needs to know of one archived content (one sha), however many paths."""
    sha: str
    path: str                    # the first path holding it, for display
    unit: str
    kind: str
    date: str | None
    date_source: str | None
    usable: bool                 # False: the file cannot be opened, never counts


class Mapping:
    """The mapping of the whole archive to one standard, computed from the catalog."""

    def __init__(self, std: Standard, catalog):
        self.std = std
        self.catalog = catalog
        self.codes = CodeMatcher(std)
        self.materials = std.materials()
        self.rules = {m.id: matcher(m.query) for m in self.materials.values() if m.query}
        self.fingerprint = std.fingerprint()
        with catalog.transaction() as db:
            for stmt in TABLES.split(";"):
                if stmt.strip():
                    db.execute(stmt)
            # one standard at a time: what was cached for an earlier one goes
            db.execute("DELETE FROM declared_codes WHERE rules != ?", (self.fingerprint,))
            db.execute("DELETE FROM rule_matches WHERE rules != ?", (self.fingerprint,))
        self._under: dict[str, list[Material]] = {
            it.code: it.all_materials() for it in std.walk()}

    # -- decisions -----------------------------------------------------------------------------

    def decisions(self) -> dict[tuple[str, str], dict]:
        """The latest decision for each (sha, material)."""
        out = {}
        for r in self.catalog.db.execute(
                "SELECT sha, material, action, user, at FROM decisions ORDER BY id"):
            out[(r["sha"], r["material"])] = dict(r)
        return out

    def decide(self, sha: str, material: str, action: str, user: str, note: str | None = None) -> None:
        if action not in ACTIONS:
            raise MappingError(f"未知的操作 {action}")
        if material not in self.materials:
            raise MappingError(f"考评标准中没有材料 {material}",)
        with self.catalog.transaction() as db:
            db.execute("INSERT INTO decisions (sha, material, action, user, at, note) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (sha, material, action, user, now_iso(), note))
        self.catalog.log_changed(sha, "decision")        # the index's `items` follow

    def history(self, sha: str) -> list[dict]:
        return [dict(r) for r in self.catalog.db.execute(
            "SELECT material, action, user, at, note FROM decisions WHERE sha = ? ORDER BY id", (sha,))]

    # -- content rules -------------------------------------------------------------------------

    def rule_matches(self, shas: set[str] | None = None) -> dict[str, list[str]]:
        """sha -> materials whose query its text matches, for the files of `shas` (or, if None,
        for the files not tested yet under this standard, which are tested now). Results are
        cached per standard fingerprint, except for a file whose text is still to come
        (extraction or OCR pending), which is tested again next time."""
        fp = self.fingerprint
        found: dict[str, list[str]] = {}
        if shas is None:
            todo = [r[0] for r in self.catalog.db.execute(
                "SELECT o.sha FROM objects o LEFT JOIN rule_matches r ON r.sha = o.sha AND r.rules = ? "
                "WHERE r.sha IS NULL", (fp,))]
        else:
            todo = []
            for sha in shas:
                row = self.catalog.db.execute("SELECT materials FROM rule_matches WHERE sha = ? "
                                              "AND rules = ?", (sha, fp)).fetchone()
                if row is None:
                    todo.append(sha)
                elif row[0]:
                    found[sha] = row[0].split(",")
        for i in range(0, len(todo), 500):
            batch = todo[i:i + 500]
            rows = self.catalog.db.execute(
                f"SELECT sha, text, state, ocr FROM objects WHERE sha IN ({','.join('?' * len(batch))})",
                batch).fetchall()
            new = []
            for r in rows:
                text = normalize(r["text"] or "")
                mats = [mid for mid, test in self.rules.items() if test(text)]
                if mats:
                    found[r["sha"]] = mats
                if r["state"] != "pending" and r["ocr"] != "pending":
                    new.append((r["sha"], fp, ",".join(mats)))
            if new:
                with self.catalog.transaction() as db:
                    db.executemany("INSERT OR REPLACE INTO rule_matches VALUES (?, ?, ?)", new)
        return found

    def _declared(self, code: str, kind: str | None, matched: set[str]) -> list[tuple[str, bool]]:
        """(material, confirmed) for a file filed under `code`: a material id is that material;
        an item code is its one material of the file's kind, or those of its materials whose
        query the text matches; failing both, every material of the kind, as suggestions."""
        if code in self.materials:
            return [(code, True)]
        fitting = [m.id for m in self._under.get(code, ()) if m.fits(kind)]
        if len(fitting) == 1:
            return [(fitting[0], True)]
        by_rule = [m for m in fitting if m in matched]
        return [(m, True) for m in by_rule] if by_rule else [(m, False) for m in fitting]

    # -- the whole archive ---------------------------------------------------------------------

    def _declared_codes(self) -> None:
        """Cache the code each present path declares under this standard (paths seen before
        are not parsed again)."""
        fp = self.fingerprint
        new = self.catalog.db.execute(
            "SELECT s.path FROM sources s LEFT JOIN declared_codes d ON d.path = s.path "
            "AND d.rules = ? WHERE d.path IS NULL AND s.state = 'present'", (fp,)).fetchall()
        if new:
            with self.catalog.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO declared_codes VALUES (?, ?, ?)",
                               [(p, fp, self.codes.declared(p) or "") for (p,) in new])

    def evidence(self) -> tuple[dict[str, FileFacts], dict[str, dict[str, tuple[str, bool]]]]:
        """The files that serve any material (sha -> FileFacts) and, per material, sha ->
        (how, confirmed), how being declared / suggested / decided. Unusable files are
        included, marked, so the report can say why they do not count. Only files with a
        declared code, a content-rule match or a decision are read from the catalog."""
        fp = self.fingerprint
        uncached = self.rule_matches()           # files new to this standard, tested now
        self._declared_codes()
        decisions = self.decisions()
        cur = self.catalog.db.cursor()
        cur.row_factory = None
        rows = cur.execute(
            "SELECT s.unit, s.path, s.sha, o.kind, o.format, o.state, s.reason, o.date, "
            "o.date_source, d.code, r.materials FROM sources s "
            # the covering index: the objects' text is never read
            "JOIN objects o INDEXED BY objects_facts ON o.sha = s.sha "
            "LEFT JOIN declared_codes d ON d.path = s.path AND d.rules = ?1 "
            "LEFT JOIN rule_matches r ON r.sha = s.sha AND r.rules = ?1 "
            "WHERE s.state = 'present' AND o.format != 'zip' AND (d.code != '' OR r.materials != '' "
            "OR r.sha IS NULL OR s.sha IN (SELECT sha FROM decisions))", (fp,)).fetchall()
        rows.sort(key=_by_path)
        files: dict[str, FileFacts] = {}
        declared: dict[str, set[str]] = {}
        matched: dict[str, str] = {}
        for unit, path, sha, kind, fmt, state, sreason, date, dsrc, code, mats in rows:
            if sha not in files:
                files[sha] = FileFacts(sha, path, unit, kind, date, dsrc, state != "problem")
                if mats:
                    matched[sha] = mats
                elif mats is None and sha in uncached:
                    matched[sha] = ",".join(uncached[sha])
            if code:
                declared.setdefault(sha, set()).add(code)
        out: dict[str, dict[str, tuple[str, bool]]] = {m: {} for m in self.materials}
        for sha, codes in declared.items():
            kind = files[sha].kind
            hits = set(matched.get(sha, "").split(","))
            for code in codes:
                for mid, confirmed in self._declared(code, kind, hits):
                    if out[mid].get(sha, ("", False))[1] is False:
                        out[mid][sha] = ("declared" if confirmed else "suggested", confirmed)
        fits = {mid: m.kind for mid, m in self.materials.items()}
        for sha, mats in matched.items():
            kind = files[sha].kind
            for mid in mats.split(","):
                want = fits.get(mid)
                if want is not None and (want == "any" or want == kind):
                    out[mid].setdefault(sha, ("suggested", False))
        for (sha, mid), d in decisions.items():
            if mid not in out:
                continue                          # a material no longer in the standard
            if d["action"] in ("confirm", "assign") and sha in files:
                out[mid][sha] = ("decided", True)
            elif d["action"] == "reject":
                out[mid].pop(sha, None)
        return files, out

    def items_for(self, sha: str, paths: list[str], kind: str | None) -> list[str]:
        """The materials one file serves (declared, suggested or decided): the index's `items`."""
        matched = set(self.rule_matches({sha}).get(sha, ()))
        found: set[str] = set()
        for p in paths:
            code = self.codes.declared(p)
            if code:
                found |= {mid for mid, _ in self._declared(code, kind, matched)}
        found |= {m for m in matched if self.materials[m].fits(kind)}
        latest = {}
        for r in self.catalog.db.execute(
                "SELECT material, action FROM decisions WHERE sha = ? ORDER BY id", (sha,)):
            latest[r["material"]] = r["action"]
        for mid, action in latest.items():
            if mid not in self.materials:
                continue
            if action in ("confirm", "assign"):
                found.add(mid)
            elif action == "reject":
                found.discard(mid)
        return sorted(found)
