"""The Excel report, one function per sheet: 总览, 考评项目, 责任单位任务清单, 证据清单, 问题文件.
The status cells are coloured as in the HTML report; every sheet's header row stays in view."""
from __future__ import annotations

from pathlib import Path

from ..messages import (DATE_SOURCE_LABELS, FILE_STATUS_LABELS, KIND_LABELS, LEVEL_LABELS,
                        READINESS_LABELS)
from . import FILLS, STATUSES, ReportData


def write_xlsx(data: ReportData, path: Path) -> Path:
    """Sheets 总览, 考评项目, 责任单位任务清单, 证据清单, 问题文件."""
    import openpyxl
    wb = openpyxl.Workbook()
    overview_sheet(wb.active, data)
    items_sheet(_sheet(wb, "考评项目", ["考评项目", "序号", "考评内容", "分值", "预计得分", "状态",
                                    "责任单位", "材料编号", "材料", "需要", "已有", "待确认", "缺少年度"],
                       [10, 8, 40, 7, 9, 8, 20, 9, 30, 6, 6, 7, 18]), data)
    units_sheet(_sheet(wb, "责任单位任务清单", ["责任单位", "已上传文件", "考评项目", "材料编号", "材料",
                                          "状态", "缺少年度", "待确认建议", "否决项", "截止日期", "逾期"],
                       [16, 10, 30, 9, 34, 8, 18, 10, 7, 12, 6]), data)
    evidence_sheet(_sheet(wb, "证据清单", ["文件编号", "单位", "路径", "类型", "证据日期", "日期来源",
                                       "状态", "对应材料(已确认)", "对应材料(待确认)"],
                          [14, 14, 60, 7, 12, 10, 8, 22, 22]), data)
    problems_sheet(_sheet(wb, "问题文件", ["单位", "路径", "原因", "级别"], [14, 60, 70, 8]), data)
    return save_workbook(wb, path)


def save_workbook(wb, path) -> Path:
    """Write a workbook whole or not at all: to a temporary name beside it, then renamed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def overview_sheet(ws, data: ReportData) -> None:
    from openpyxl.styles import Font
    c, s = data.check, data.check["summary"]
    ws.title = "总览"
    rows = [["单位", data.office], ["考评标准", c["title"]],
            ["考评周期", f"{c['period']['start']} 至 {c['period']['end']}"],
            ["生成时间", data.made_at.strftime("%Y-%m-%d %H:%M")],
            ["预计得分", c["score"]], ["满分", c["max_score"]], ["加分", c["bonus_score"]],
            ["确认全部建议后可达", c["potential_score"]], ["材料总数", s["materials"]],
            *[[f"材料{READINESS_LABELS[k]}", s[k]] for k in STATUSES],
            ["待确认的建议", s["suggestions_pending"]],
            ["一票否决项佐证不齐", "、".join(s["veto_at_risk"]) or "无"]]
    for r in rows:
        ws.append(r)
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60


def items_sheet(ws, data: ReportData) -> None:
    from openpyxl.styles import Alignment, Font
    wrap, bold = Alignment(wrap_text=True, vertical="top"), Font(bold=True)

    def walk(nodes, top):
        for it in nodes:
            if it.get("children"):
                ws.append([f"{it['code']} {it['title']}", "", "", it["points"], it["score"],
                           READINESS_LABELS[it["status"]], "、".join(it["units"])])
                for cell in ws[ws.max_row]:
                    cell.font = bold
                _paint(ws, 6, it["status"])
                walk(it["children"], it)
                continue
            tag = "【否决】" if it["veto"] else "【加分】" if it["bonus"] else ""
            for m in it["materials"] or [None]:
                ws.append([top["title"] if top else "", it["code"], tag + it["title"], it["points"],
                           it["score"], READINESS_LABELS[(m or it)["status"]], "、".join(it["units"]),
                           m and m["id"], m and m["title"], m and m["need"], m and m["have"],
                           m and m["suggested"], m and "、".join(map(str, m["years_missing"]))])
                _paint(ws, 6, (m or it)["status"])
                for cell in ws[ws.max_row]:
                    cell.alignment = wrap

    walk(data.check["items"], None)


def units_sheet(ws, data: ReportData) -> None:
    for u in data.check["units"]:
        if not u["todo"]:
            ws.append([u["unit"], u["files"], "(无待办)"])
        for t in u["todo"]:
            ws.append([u["unit"], u["files"], f"{t['item']} {t['item_title']}", t["material"],
                       t["title"], READINESS_LABELS[t["status"]],
                       "、".join(map(str, t["years_missing"])), t["suggested"],
                       "是" if t["veto"] else "", t.get("due") or "",
                       "逾期" if t.get("overdue") else ""])
            _paint(ws, 6, t["status"])


def evidence_sheet(ws, data: ReportData) -> None:
    for f in data.files:
        serves = data.serves.get(f["id"], [])
        ws.append([f["id"][:12], f["unit"], f["path"], KIND_LABELS.get(f["kind"], f["kind"]),
                   f["date"], DATE_SOURCE_LABELS.get(f["date_source"], ""),
                   FILE_STATUS_LABELS.get(f["status"], f["status"]),
                   "、".join(m for m, how, ok in serves if ok),
                   "、".join(m for m, how, ok in serves if not ok)])


def problems_sheet(ws, data: ReportData) -> None:
    from openpyxl.styles import Alignment
    for p in data.problems:
        ws.append([p["unit"], p["path"], p["reason"], LEVEL_LABELS[p.get("level") or "error"]])
        ws.cell(ws.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")


def _sheet(wb, title: str, headers: list[str], widths: list[int]):
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    return ws


def _paint(ws, col: int, status: str) -> None:
    from openpyxl.styles import PatternFill
    ws.cell(ws.max_row, col).fill = PatternFill("solid", fgColor=FILLS[status])
