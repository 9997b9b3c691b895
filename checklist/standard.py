"""Reading and checking a standard file (YAML; the Excel import writes the same format). Every
mistake is reported with its line and field, in Chinese, all at once, so the office can fix the
file in one go. The bundled default is an example 双拥模范城 standard.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from .model import KINDS, Item, Material, Standard

DEFAULT_STANDARD = Path(__file__).with_name("data") / "default_standard.yaml"
CODE = re.compile(r"^[0-9A-Za-z]+(?:[.\-][0-9A-Za-z]+)*$")


class StandardError(Exception):
    """The standard cannot be used; `problems` lists (line, message) for every mistake."""

    def __init__(self, source: str, problems: list[tuple[int | None, str]]):
        self.source = source
        self.problems = problems
        lines = [f"  第 {ln} 行:{msg}" if ln else f"  {msg}" for ln, msg in problems[:30]]
        more = f"\n  …… 另有 {len(problems) - 30} 处" if len(problems) > 30 else ""
        super().__init__(f"考评标准 {source} 有 {len(problems)} 处错误:\n" + "\n".join(lines) + more)


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


def load(path: Path) -> Standard:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from .xlsx import import_xlsx
        return import_xlsx(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise StandardError(str(path), [(None, f"无法读取文件:{e}")])
    return parse(text, str(path))


def parse(text: str, source: str = "standard.yaml") -> Standard:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise StandardError(source, [(mark.line + 1 if mark else None,
                                      f"YAML 格式错误:{getattr(e, 'problem', e)}(检查缩进和冒号)")])
    return _Builder(source).standard(data)


class _Builder:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[int | None, str]] = []
        self.codes: dict[str, int] = {}
        self.material_ids: dict[str, int] = {}

    def bad(self, node, key: str, message: str) -> None:
        lines = node.get("__lines__", {}) if isinstance(node, dict) else {}
        self.problems.append((lines.get(key) or lines.get(""), message))

    def standard(self, data) -> Standard:
        if not isinstance(data, dict):
            raise StandardError(self.source, [(None, "文件内容应为 title / period / items 三部分")])
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(data, "title", "缺少标准名称 title")
            title = ""
        start, end = self.period(data)
        items = data.get("items")
        if not isinstance(items, list) or not items:
            self.bad(data, "items", "缺少考评项目 items(应为列表)")
            items = []
        built = [self.item(it, parent="") for it in items]
        for mid in set(self.material_ids) & set(self.codes):
            self.problems.append((self.material_ids[mid], f"材料编号 {mid} 与考评项目编号重复"))
        if self.problems:
            raise StandardError(self.source, self.problems)
        return Standard(title=title.strip(), start=start, end=end,
                        items=[b for b in built if b is not None], source=self.source)

    def period(self, data) -> tuple[date, date]:
        p = data.get("period")
        fallback = (date(2000, 1, 1), date(2000, 12, 31))
        if not isinstance(p, dict):
            self.bad(data, "period", "缺少考评周期 period,例如 period: {start: 2020-01-01, end: 2023-12-31}")
            return fallback
        start, end = _day(p.get("start"), first=True), _day(p.get("end"), first=False)
        if start is None:
            self.bad(p, "start", f"考评周期的开始日期无法识别:{p.get('start')!r}(应为 2020-01-01 或 2020)")
        if end is None:
            self.bad(p, "end", f"考评周期的结束日期无法识别:{p.get('end')!r}(应为 2023-12-31 或 2023)")
        if start and end and start > end:
            self.bad(p, "end", f"考评周期的结束日期 {end} 早于开始日期 {start}")
        return (start or fallback[0], end or fallback[1])

    def item(self, node, parent: str) -> Item | None:
        if not isinstance(node, dict):
            self.problems.append((None, f"{parent or '顶层'} 下有一项不是 code/title 形式:{node!r}"))
            return None
        code = str(node.get("code") or "").strip()
        where = f"考评项目 {code or '(无编号)'}"
        if not code:
            self.bad(node, "", "考评项目缺少编号 code")
        elif not CODE.match(code):
            self.bad(node, "code", f"{where} 的编号只能由数字、字母和点组成,如 1.2 或 3.1a")
        elif code in self.codes:
            self.bad(node, "code", f"{where} 的编号重复(第 {self.codes[code]} 行已有)")
        else:
            self.codes[code] = node["__lines__"].get("code", 0)
        title = node.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(node, "title", f"{where} 缺少名称 title")
            title = ""
        points = node.get("points", None)
        if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))
                                   or points < 0):
            self.bad(node, "points", f"{where} 的分值 points 应为不小于 0 的数字,现为 {points!r}")
            points = 0
        units = node.get("units") or []
        if isinstance(units, str):
            units = [u for u in re.split(r"[,,、;;\s]+", units) if u]
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            self.bad(node, "units", f"{where} 的责任单位 units 应为单位名称列表,如 [双拥办, 人武部]")
            units = []
        flags = {}
        for key in ("veto", "bonus"):
            v = node.get(key, False)
            if not isinstance(v, bool):
                self.bad(node, key, f"{where} 的 {key} 应为 true 或 false,现为 {v!r}")
                v = False
            flags[key] = v
        children = [c for c in (self.item(c, code) for c in (node.get("children") or [])) if c]
        if node.get("children") is not None and not isinstance(node.get("children"), list):
            self.bad(node, "children", f"{where} 的 children 应为列表")
        materials = [m for m in (self.material(m, code) for m in (node.get("materials") or [])) if m]
        if children:
            total = sum(c.points for c in children)
            if points is not None and abs(points - total) > 1e-6:
                self.bad(node, "points", f"{where} 的分值 {points:g} 与其下各项分值之和 {total:g} 不一致"
                                         "(上级项目的分值由下级相加得出,可不填)")
            points = total
        elif not materials and not flags["veto"]:
            self.bad(node, "", f"{where} 既没有下级项目 children,也没有佐证材料 materials")
        for u in set(units):
            if units.count(u) > 1:
                self.bad(node, "units", f"{where} 的责任单位 {u} 重复")
        return Item(code=code, title=str(title).strip(), points=float(points or 0),
                    units=[u.strip() for u in units], method=str(node.get("method") or ""),
                    rule=str(node.get("rule") or ""), veto=flags["veto"], bonus=flags["bonus"],
                    materials=materials, children=children)

    def material(self, node, item_code: str) -> Material | None:
        if not isinstance(node, dict):
            self.problems.append((None, f"考评项目 {item_code} 的一项材料格式不对:{node!r}"))
            return None
        mid = str(node.get("id") or "").strip()
        where = f"材料 {mid or '(无编号)'}"
        if not mid:
            self.bad(node, "", f"考评项目 {item_code} 的一项材料缺少编号 id(如 {item_code}a)")
        elif not CODE.match(mid):
            self.bad(node, "id", f"{where} 的编号只能由数字、字母和点组成")
        elif mid in self.material_ids or mid in self.codes:
            self.bad(node, "id", f"{where} 的编号与其他材料或考评项目重复")
        else:
            self.material_ids[mid] = node["__lines__"].get("id", 0)
        title = node.get("title")
        if not isinstance(title, str) or not title.strip():
            self.bad(node, "title", f"{where} 缺少名称 title")
            title = ""
        kind = node.get("kind", "any")
        if kind not in KINDS:
            self.bad(node, "kind", f"{where} 的类型 kind 应为 {'、'.join(KINDS)} 之一,现为 {kind!r}")
            kind = "any"
        count = node.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.bad(node, "count", f"{where} 的数量 count 应为不小于 1 的整数,现为 {count!r}")
            count = 1
        per_year = node.get("per_year", False)
        if not isinstance(per_year, bool):
            self.bad(node, "per_year", f"{where} 的 per_year 应为 true 或 false,现为 {per_year!r}")
            per_year = False
        query = node.get("query")
        if query is not None:
            from indexer.querying import QueryError, parse as parse_query
            try:
                parse_query(str(query))
            except QueryError as e:
                self.bad(node, "query", f"{where} 的检索条件 query 无法使用:{e}")
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
        v = value.strip()
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
