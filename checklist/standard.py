"""Reading and checking a standard file (YAML; the Excel import writes the same format). Every
mistake is reported with its line and field, in Chinese, all at once, so the office can fix the
file in one go. The bundled default is an example 双拥模范城 standard.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import yaml

from archive.dates import fold
from indexer.querying import QueryError
from indexer.querying import parse as parse_query

from .model import KINDS, Item, Material, Standard

DEFAULT_STANDARD = Path(__file__).with_name("data") / "default_standard.yaml"
CODE = re.compile(r"^[0-9A-Za-z]+(?:[.\-][0-9A-Za-z]+)*$")


class Problem(NamedTuple):
    """One mistake in a standard file: its line (None when it has none), a code and its data;
    yingjian/messages.py says it in words."""
    line: int | None
    code: str
    data: dict


class StandardError(Exception):
    """The standard cannot be used; `problems` lists every mistake, in file order."""

    code = "standard_invalid"

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(f"standard {source}: {len(problems)} problems: "
                         + "; ".join(f"{p.line}:{p.code}" for p in problems[:5]))

    @property
    def data(self) -> dict:
        return {"source": self.source, "problems": self.problems}


# -- YAML with line numbers ------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader, node):
    """A dict that remembers the line of each key, and keeps codes as written (1.10 is not
    the number 1.1)."""
    out, lines = {}, {"": node.start_mark.line + 1}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in ("code", "id") and isinstance(value_node, yaml.ScalarNode):
            value = value_node.value
        else:
            value = loader.construct_object(value_node, deep=True)
        out[key] = value
        lines[str(key)] = value_node.start_mark.line + 1
    out["__lines__"] = lines
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(path: Path) -> Standard:
    """The standard in a YAML file (`checklist.load` also takes the office's Excel table)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise StandardError(str(path), [Problem(None, "file_unreadable", {"error": str(e)})])
    return parse(text, str(path))


def parse(text: str, source: str = "standard.yaml") -> Standard:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise StandardError(source, [_syntax_problem(text, e)])
    return _Builder(source).standard(data)


_NO_SPACE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w]*):(\S.*)$")


def _syntax_problem(text: str, e: yaml.YAMLError) -> Problem:
    """A YAML syntax error at the line the office must edit, with its likely cause: a key PyYAML
    could not finish ("could not find expected ':'") is reported where the key starts, not on
    the line after it where the parser gave up."""
    mark = getattr(e, "problem_mark", None)
    if getattr(e, "context", None) == "while scanning a simple key" and e.context_mark:
        mark = e.context_mark
    line = mark.line + 1 if mark else None
    data = {"problem": str(getattr(e, "problem", e))}       # PyYAML's words, for a developer
    source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    if "\uff1a" in source:
        return Problem(line, "yaml_fullwidth_colon", data)
    if "\t" in source or "'\\t'" in data["problem"]:
        return Problem(line, "yaml_tab", data)
    m = _NO_SPACE.match(source)
    if m:
        return Problem(line, "yaml_no_space_after_colon", {**data, "key": m.group(1),
                                                            "value": m.group(2).strip()})
    return Problem(line, "yaml_syntax", data)


class _Builder:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.codes: dict[str, int] = {}
        self.material_ids: dict[str, int] = {}

    def bad(self, node, key: str, problem: str, **data) -> None:
        lines = node.get("__lines__", {}) if isinstance(node, dict) else {}
        self.problems.append(Problem(lines.get(key) or lines.get(""), problem, data))

    def standard(self, data) -> Standard:
        if not isinstance(data, dict):
            raise StandardError(self.source, [Problem(None, "not_three_parts", {})])
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(data, "title", "title_missing")
            title = ""
        start, end = self.period(data)
        items = data.get("items")
        if not isinstance(items, list) or not items:
            self.bad(data, "items", "items_missing")
            items = []
        built = [self.item(it, parent="") for it in items]
        for mid in set(self.material_ids) & set(self.codes):
            self.problems.append(Problem(self.material_ids[mid], "material_id_is_item_code", {"id": mid}))
        if self.problems:
            raise StandardError(self.source, self.problems)
        return Standard(title=title.strip(), start=start, end=end,
                        items=[b for b in built if b is not None], source=self.source)

    def period(self, data) -> tuple[date, date]:
        p = data.get("period")
        fallback = (date(2000, 1, 1), date(2000, 12, 31))
        if not isinstance(p, dict):
            self.bad(data, "period", "period_missing")
            return fallback
        start, end = _day(p.get("start"), first=True), _day(p.get("end"), first=False)
        if start is None:
            self.bad(p, "start", "period_start_invalid", value=repr(p.get("start")))
        if end is None:
            self.bad(p, "end", "period_end_invalid", value=repr(p.get("end")))
        if start and end and start > end:
            self.bad(p, "end", "period_end_before_start", start=str(start), end=str(end))
        return (start or fallback[0], end or fallback[1])

    def item(self, node, parent: str) -> Item | None:
        if not isinstance(node, dict):
            self.problems.append(Problem(None, "item_not_mapping", {"parent": parent, "value": repr(node)}))
            return None
        code = str(node.get("code") or "").strip()
        if not code:
            self.bad(node, "", "item_code_missing")
        elif not CODE.match(code):
            self.bad(node, "code", "item_code_invalid", code=code)
        elif code in self.codes:
            self.bad(node, "code", "item_code_duplicate", code=code, first_line=self.codes[code])
        else:
            self.codes[code] = node["__lines__"].get("code", 0)
        title = node.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(node, "title", "item_title_missing", code=code)
            title = ""
        points = node.get("points", None)
        if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))
                                   or points < 0):
            self.bad(node, "points", "item_points_invalid", code=code, value=repr(points))
            points = 0
        units = node.get("units") or []
        if isinstance(units, str):
            units = [u for u in re.split(r"[,,、;;\s]+", units) if u]
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            self.bad(node, "units", "item_units_invalid", code=code)
            units = []
        flags = {}
        for key in ("veto", "bonus"):
            v = node.get(key, False)
            if not isinstance(v, bool):
                self.bad(node, key, "item_flag_invalid", code=code, key=key, value=repr(v))
                v = False
            flags[key] = v
        children = [c for c in (self.item(c, code) for c in (node.get("children") or [])) if c]
        if node.get("children") is not None and not isinstance(node.get("children"), list):
            self.bad(node, "children", "item_children_invalid", code=code)
        materials = [m for m in (self.material(m, code) for m in (node.get("materials") or [])) if m]
        if children:
            total = sum(c.points for c in children)
            if points is not None and abs(points - total) > 1e-6:
                self.bad(node, "points", "item_points_mismatch", code=code, points=points,
                         total=total)
            points = total
        elif not materials and not flags["veto"]:
            self.bad(node, "", "item_empty", code=code)
        for u in set(units):
            if units.count(u) > 1:
                self.bad(node, "units", "item_unit_duplicate", code=code, unit=u)
        return Item(code=code, title=str(title).strip(), points=float(points or 0),
                    units=[u.strip() for u in units], method=str(node.get("method") or ""),
                    rule=str(node.get("rule") or ""), veto=flags["veto"], bonus=flags["bonus"],
                    materials=materials, children=children)

    def material(self, node, item_code: str) -> Material | None:
        if not isinstance(node, dict):
            self.problems.append(Problem(None, "material_not_mapping", {"item": item_code, "value": repr(node)}))
            return None
        mid = str(node.get("id") or "").strip()
        if not mid:
            self.bad(node, "", "material_id_missing", item=item_code)
        elif not CODE.match(mid):
            self.bad(node, "id", "material_id_invalid", id=mid)
        elif mid in self.material_ids or mid in self.codes:
            self.bad(node, "id", "material_id_duplicate", id=mid)
        else:
            self.material_ids[mid] = node["__lines__"].get("id", 0)
        title = node.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(node, "title", "material_title_missing", id=mid)
            title = ""
        kind = node.get("kind", "any")
        if kind not in KINDS:
            self.bad(node, "kind", "material_kind_invalid", id=mid, kinds=list(KINDS), value=repr(kind))
            kind = "any"
        count = node.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.bad(node, "count", "material_count_invalid", id=mid, value=repr(count))
            count = 1
        per_year = node.get("per_year", False)
        if not isinstance(per_year, bool):
            self.bad(node, "per_year", "material_per_year_invalid", id=mid, value=repr(per_year))
            per_year = False
        query = node.get("query")
        if query is not None:
            try:
                parse_query(str(query))
            except QueryError as e:
                self.bad(node, "query", "material_query_invalid", id=mid, error_code=getattr(e, "code", ""),
                         error=getattr(e, "data", {}), detail=str(e))
                query = None
        return Material(id=mid, title=str(title).strip(), kind=kind, count=count,
                        per_year=per_year, query=str(query) if query is not None else None,
                        item=item_code)


def _day(value, first: bool) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and 1900 < value < 2200:
        return date(value, 1, 1) if first else date(value, 12, 31)
    if isinstance(value, str):
        v = fold(value.strip())
        m = re.fullmatch(r"(\d{4})(?:[-./年](\d{1,2})(?:[-./月](\d{1,2})日?)?)?", v)
        if m:
            y, mo, d = int(m.group(1)), m.group(2), m.group(3)
            try:
                if d:
                    return date(y, int(mo), int(d))
                if mo:
                    if first:
                        return date(y, int(mo), 1)
                    nxt = date(y + (int(mo) == 12), int(mo) % 12 + 1, 1)
                    return date.fromordinal(nxt.toordinal() - 1)
                return date(y, 1, 1) if first else date(y, 12, 31)
            except ValueError:
                return None
    return None


def dump(std: Standard) -> str:
    """The standard as YAML, in the format `load` reads (the Excel import writes this)."""
    def item(it: Item) -> dict:
        d: dict = {"code": it.code, "title": it.title}
        if it.children:
            d["children"] = [item(c) for c in it.children]
        else:
            d["points"] = it.points if it.points % 1 else int(it.points)
        for key in ("units", "method", "rule"):
            if getattr(it, key):
                d[key] = getattr(it, key)
        if it.veto:
            d["veto"] = True
        if it.bonus:
            d["bonus"] = True
        if it.materials:
            d["materials"] = [{k: v for k, v in (("id", m.id), ("title", m.title), ("kind", m.kind),
                                                 ("count", m.count), ("per_year", m.per_year),
                                                 ("query", m.query)) if v is not None}
                              for m in it.materials]
        return d

    body = yaml.safe_dump({"title": std.title, "period": {"start": std.start, "end": std.end},
                           "items": [item(i) for i in std.items]},
                          allow_unicode=True, sort_keys=False, width=100)
    return (f"# {std.title}\n# 由 yingjian 生成;可直接编辑。材料 (materials) 的 query 是检索条件,"
            f"写法同 yingjian search。\n" + body)
