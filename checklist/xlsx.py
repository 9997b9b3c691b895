"""The standard as offices receive it: an Excel table with the columns
考评项目 | 序号 | 考评内容 | 分值 | 评分标准 | 责任单位, the first-level items in merged cells.
Optional columns add what the published table lacks: 佐证材料 (one material per line),
材料类型, 数量, 检索词. `template` writes a blank table to hand out.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from .model import Item, Material, Standard
from .standard import Problem, StandardError, dump, parse

HEADERS = ["考评项目", "序号", "考评内容", "分值", "评分标准", "责任单位", "佐证材料", "材料类型", "检索词"]
REQUIRED = ["考评项目", "序号", "考评内容", "分值"]
_ALIASES = {"考评项目": ("考评项目", "考核项目", "项目", "一级指标"), "序号": ("序号", "编号"),
            "考评内容": ("考评内容", "考核内容", "内容", "考评要素"), "分值": ("分值", "分数", "标准分"),
            "评分标准": ("评分标准", "评分细则", "考评方法", "评分办法"),
            "责任单位": ("责任单位", "牵头单位", "责任部门"), "佐证材料": ("佐证材料", "佐证资料", "所需材料"),
            "材料类型": ("材料类型",), "检索词": ("检索词", "关键词")}
_CN_NUM = "一二三四五六七八九十"
_KIND_WORDS = [("photo", ("照片", "图片", "影像")), ("video", ("视频", "录像")),
               ("ledger", ("台账", "花名册", "名册", "统计表", "明细表", "登记表"))]
_KIND_NAMES = {"文档": "document", "文件": "document", "照片": "photo", "图片": "photo",
               "台账": "ledger", "表格": "ledger", "视频": "video", "不限": "any"}


def import_xlsx(path: Path, period: tuple[date, date] | None = None) -> Standard:
    """Read the table into a Standard; every problem is reported with its row."""
    import openpyxl
    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, data_only=True)     # merged cells need the full mode
    except Exception as e:
        raise StandardError(str(path), [Problem(None, "xlsx_unreadable", {"error": type(e).__name__})])
    ws = wb.worksheets[0]
    grid = _filled(ws)
    header_row, cols = _find_header(grid)
    if header_row is None:
        raise StandardError(str(path), [Problem(None, "xlsx_no_header", {"columns": list(REQUIRED)})])
    title = _title(grid, header_row) or path.stem
    start_end = period or _period_from(title) or _period_from(path.stem)
    problems: list[Problem] = []
    if start_end is None:
        problems.append(Problem(None, "xlsx_no_period", {}))
        start_end = (date(2000, 1, 1), date(2000, 12, 31))

    sections: list[Item] = []
    by_title: dict[str, Item] = {}
    for r in range(header_row + 1, len(grid)):
        row = grid[r]

        def cell(name):
            c = cols.get(name)
            v = row[c] if c is not None and c < len(row) else None
            return str(v).strip() if v is not None else ""

        content, number, section_title = cell("考评内容"), cell("序号"), cell("考评项目")
        if not content and not number:
            continue
        excel_row = r + 1
        if not section_title:
            problems.append(Problem(excel_row, "xlsx_row_no_item", {"row": excel_row}))
            continue
        section = by_title.get(section_title)
        if section is None:
            clean = _clean_title(section_title)
            section = Item(code=str(len(sections) + 1), title=clean,
                           veto="否决" in section_title, bonus="加分" in section_title)
            by_title[section_title] = section
            sections.append(section)
        code = _code(number, section.code, len(section.children) + 1)
        points = _number(cell("分值"))
        if points is None:
            problems.append(Problem(excel_row, "xlsx_points_not_number",
                                    {"row": excel_row, "value": str(cell("分值"))}))
            points = 0.0
        rule = cell("评分标准")
        units = [u for u in re.split(r"[,,、;;/\s]+", cell("责任单位")) if u]
        per_year = bool(re.search(r"每年|年度|逐年|历年|每季度", rule + content))
        kinds = cell("材料类型")
        queries = [q.strip() for q in cell("检索词").splitlines() if q.strip()]
        lines = [ln.strip(" ;;。") for ln in re.split(r"[\n;;]", cell("佐证材料")) if ln.strip(" ;;。")]
        if not lines:
            lines = [content[:60]]
        materials = []
        for i, line in enumerate(lines):
            kind = _KIND_NAMES.get(kinds.split("\n")[i].strip() if i < len(kinds.split("\n")) else "",
                                   None) or _guess_kind(line)
            materials.append(Material(id=f"{code}{chr(ord('a') + i)}", title=line, kind=kind,
                                      count=1, per_year=per_year,
                                      query=queries[i] if i < len(queries) else
                                      (queries[0] if len(queries) == 1 else None), item=code))
        section.children.append(Item(code=code, title=content, points=points, units=units,
                                     rule=rule, method="查阅资料", veto=section.veto,
                                     bonus=section.bonus, materials=materials))
    for s in sections:
        s.points = sum(c.points for c in s.children)
    if not sections:
        problems.append(Problem(None, "xlsx_no_items", {}))
    if problems:
        raise StandardError(str(path), problems)
    std = Standard(title=title, start=start_end[0], end=start_end[1], items=sections,
                   source=str(path))
    _validate(std, str(path))
    return std


def _validate(std: Standard, source: str) -> None:
    """Run the imported standard through the same checks as a YAML file."""
    parse(dump(std), source)


def _filled(ws) -> list[list]:
    """The sheet's values, with every merged cell carrying its top-left value."""
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = value
    return grid


def _find_header(grid) -> tuple[int | None, dict[str, int]]:
    for r, row in enumerate(grid[:15]):
        names = [str(v).strip().replace(" ", "") if v is not None else "" for v in row]
        cols = {}
        for key, aliases in _ALIASES.items():
            for c, n in enumerate(names):
                if n in aliases and key not in cols:
                    cols[key] = c
        if all(k in cols for k in REQUIRED):
            return r, cols
    return None, {}


def _title(grid, header_row: int) -> str | None:
    for row in grid[:header_row]:
        texts = [str(v).strip() for v in row if v is not None and str(v).strip()]
        if texts:
            return texts[0]
    return None


def _period_from(text: str) -> tuple[date, date] | None:
    m = re.search(r"((?:19|20)\d{2})\s*(?:年)?\s*[-—–~～至到]\s*((?:19|20)\d{2})", text or "")
    if m and int(m.group(1)) <= int(m.group(2)):
        return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
    return None


def _clean_title(t: str) -> str:
    t = re.sub(rf"^\s*(?:[{_CN_NUM}]+|\d+)\s*[、.．]\s*", "", t)
    t = re.sub(r"[((]\s*\d+(?:\.\d+)?\s*分\s*[))]\s*$", "", t)
    return t.strip()


def _code(number: str, section: str, position: int) -> str:
    n = number.strip().strip("()()、.").replace("．", ".")
    if re.fullmatch(r"\d+(?:\.\d+)+", n):
        return n
    if re.fullmatch(r"\d+", n):
        return f"{section}.{int(n)}"
    return f"{section}.{position}"


def _number(text: str) -> float | None:
    if not text:
        return 0.0
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*分?\s*", text)
    return float(m.group(1)) if m else None


def _guess_kind(title: str) -> str:
    for kind, words in _KIND_WORDS:
        if any(w in title for w in words):
            return kind
    return "document"


def template(path: Path) -> Path:
    """A blank standard table, with two example rows and a sheet that explains the columns."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "考评标准"
    ws.append(["××市双拥模范城考评标准(2020—2023年)"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(HEADERS)
    examples = [
        ["一、组织领导坚强有力", "1", "双拥工作纳入政府工作报告和党政军领导班子目标考核", 2,
         "纳入政府工作报告的得1分;纳入目标考核的得1分", "市政府办、双拥办",
         "政府工作报告(含双拥内容)\n目标考核办法", "文档\n文档", "政府工作报告 双拥\n目标考核 双拥"],
        ["一、组织领导坚强有力", "2", "每年召开党委议军会议", 2, "每年至少召开一次,缺一年扣0.5分",
         "双拥办、人武部", "议军会议纪要", "文档", "议军会议"],
        ["一票否决", "1", "兵员征集任务完成", 0, "未完成征兵任务的一票否决", "人武部",
         "征兵任务完成通报", "文档", "征兵 任务 完成"],
    ]
    for row in examples:
        ws.append(row)
    ws.merge_cells("A3:A4")
    thin = Side(style="thin", color="999999")
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for c in row:
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            c.alignment = Alignment(wrap_text=True, vertical="center")
    for c in ws[2]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    for col, width in zip("ABCDEFGHI", (18, 6, 40, 6, 36, 16, 30, 10, 20)):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("填写说明")
    for line in [
        ["列", "说明"],
        ["考评项目", "一级项目名称,同一项目的多行可以合并单元格;名称含“一票否决”或“加分”的项目按否决项 / 加分项处理"],
        ["序号", "该一级项目下的序号(1、2、3 …),或完整编号(1.1、1.2 …)"],
        ["考评内容", "考评的具体内容"],
        ["分值", "数字,可以写“2分”"],
        ["评分标准", "原文照录;含“每年”“年度”的,材料要求每年都有"],
        ["责任单位", "多个单位用顿号或逗号分隔,名称与收件箱中的单位文件夹一致"],
        ["佐证材料", "可选;每行一项材料。不填时整项作为一项材料"],
        ["材料类型", "可选;与佐证材料逐行对应:文档、照片、台账、视频、不限"],
        ["检索词", "可选;与佐证材料逐行对应,写法同 yingjian search,如:议军会议 纪要"],
        ["标题", "第一行标题中写明考评周期,如(2020—2023年)"],
    ]:
        notes.append(line)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
