"""The readiness report (one self-contained HTML file that opens offline and prints on A4, and
an Excel workbook) and the inspection binder (a ZIP laid out as inspectors expect), all made
from one readiness check.
"""
from __future__ import annotations

import base64
import html
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Callable

from .check import STATUS_LABELS, STATUSES
from .model import KIND_LABELS as MODEL_KIND_LABELS

KIND_LABELS = {**MODEL_KIND_LABELS, "other": "其他"}
DATE_SOURCE_LABELS = {"content": "落款", "exif": "拍摄时间", "metadata": "文件属性", "filename": "文件名",
                      "pdf": "PDF属性",
                      "mtime": "文件时间"}
COLORS = {"complete": "#2e7d32", "unconfirmed": "#b58900", "partial": "#e65100", "missing": "#c62828"}
FILLS = {"complete": "C6EFCE", "unconfirmed": "FFEB9C", "partial": "FCE4D6", "missing": "FFC7CE"}
THUMBS_PER_MATERIAL = 6


@dataclass
class ReportData:
    """Everything a report needs, gathered by the application from one workspace."""
    check: dict                                   # the result of Check.run
    office: str                                   # the workspace's title
    files: list[dict]                             # every present file (records.files rows)
    serves: dict[str, list[tuple[str, str, bool]]]  # sha -> [(material, how, confirmed)]
    problems: list[dict]
    thumbnail: Callable[[str], Path | None] = lambda sha: None
    link: Callable[[dict], str | None] = lambda ev: None   # a relative link to open a file
    object_path: Callable[[str], Path] | None = None        # the archived bytes (the binder)
    made_at: datetime = field(default_factory=datetime.now)


def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape
    env = Environment(loader=PackageLoader("checklist", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(STATUS_LABELS=STATUS_LABELS, COLORS=COLORS, KIND_LABELS=KIND_LABELS,
                       DATE_SOURCE_LABELS=DATE_SOURCE_LABELS)
    return env


def _leaves(items):
    for it in items:
        if it.get("children"):
            yield from _leaves(it["children"])
        else:
            yield it


def chart_svg(check: dict) -> str:
    """Readiness by first-level item: a bar per item, score over points (bonus and veto items,
    which carry no fixed points, by the share of complete materials). Inline SVG, no script."""
    rows = []
    for it in check["items"]:
        mats = [m for leaf in _leaves([it]) for m in leaf["materials"]]
        done = sum(m["status"] == "complete" for m in mats) / len(mats) if mats else 0.0
        ratio = it["score"] / it["points"] if it["points"] else done
        pot = it["potential_score"] / it["points"] if it["points"] else done
        rows.append((f"{it['code']} {it['title']}", ratio, pot, it["status"],
                     f"{it['score']:g}/{it['points']:g} 分" if it["points"] else f"齐全 {done:.0%}"))
    w, label_w, bar_w, row_h = 720, 300, 300, 26
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{row_h * len(rows) + 24}" '
           f'role="img" aria-label="各一级项目准备情况" class="chart">']
    for i, (label, ratio, pot, status, text) in enumerate(rows):
        y = i * row_h + 4
        short = label if len(label) <= 20 else label[:19] + "…"
        out.append(f'<text x="0" y="{y + 16}" font-size="13">{html.escape(short)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eeeeee"/>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * min(pot, 1):.1f}" height="16" '
                   f'fill="{COLORS[status]}" opacity="0.3"/>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * min(ratio, 1):.1f}" height="16" '
                   f'fill="{COLORS[status]}"/>')
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="12">{html.escape(text)}</text>')
    y = row_h * len(rows) + 18
    out.append(f'<text x="{label_w}" y="{y}" font-size="11" fill="#666">深色:已确认得分;浅色:确认待确认的建议后可达</text>')
    out.append("</svg>")
    return "\n".join(out)


def _data_uri(path: Path | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def html_report(data: ReportData) -> str:
    check = data.check
    thumbs: dict[str, str | None] = {}

    def thumb(sha: str) -> str | None:
        if sha not in thumbs:
            try:
                thumbs[sha] = _data_uri(data.thumbnail(sha))
            except Exception:          # a thumbnail we cannot make leaves a plain link
                thumbs[sha] = None
        return thumbs[sha]

    return _env().get_template("report.html").render(
        c=check, office=data.office, made_at=data.made_at.strftime("%Y-%m-%d %H:%M"),
        chart=chart_svg(check), problems=data.problems, thumb=thumb, link=data.link,
        leaves=list(_leaves(check["items"])), per_material=THUMBS_PER_MATERIAL, STATUSES=STATUSES)


def write_html(data: ReportData, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html_report(data), encoding="utf-8")
    tmp.replace(path)
    return path


# -- Excel ----------------------------------------------------------------------------------

def write_xlsx(data: ReportData, path: Path) -> Path:
    """Sheets 总览, 考评项目, 责任单位任务清单, 证据清单, 问题文件."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    c = data.check
    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(title, headers, widths):
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
        return ws

    def paint(ws, status_col: int):
        cell = ws.cell(ws.max_row, status_col)
        cell.fill = PatternFill("solid", fgColor=FILLS[cell.value and _status_key(cell.value)])

    overview = wb.active
    overview.title = "总览"
    s = c["summary"]
    rows = [["单位", data.office], ["考评标准", c["title"]],
            ["考评周期", f"{c['period']['start']} 至 {c['period']['end']}"],
            ["生成时间", data.made_at.strftime("%Y-%m-%d %H:%M")],
            ["预计得分", c["score"]], ["满分", c["max_score"]], ["加分", c["bonus_score"]],
            ["确认全部建议后可达", c["potential_score"]], ["材料总数", s["materials"]],
            *[[f"材料{STATUS_LABELS[k]}", s[k]] for k in STATUSES],
            ["待确认的建议", s["suggestions_pending"]],
            ["一票否决项佐证不齐", "、".join(s["veto_at_risk"]) or "无"]]
    for r in rows:
        overview.append(r)
        overview.cell(overview.max_row, 1).font = bold
    overview.column_dimensions["A"].width = 22
    overview.column_dimensions["B"].width = 60

    items = sheet("考评项目", ["考评项目", "序号", "考评内容", "分值", "预计得分", "状态", "责任单位",
                             "材料编号", "材料", "需要", "已有", "待确认", "缺少年度"],
                  [10, 8, 40, 7, 9, 8, 20, 9, 30, 6, 6, 7, 18])

    def walk(nodes, top):
        for it in nodes:
            if it.get("children"):
                items.append([f"{it['code']} {it['title']}", "", "", it["points"], it["score"],
                              STATUS_LABELS[it["status"]], "、".join(it["units"])])
                for cell in items[items.max_row]:
                    cell.font = bold
                paint(items, 6)
                walk(it["children"], it)
                continue
            tag = "【否决】" if it["veto"] else "【加分】" if it["bonus"] else ""
            for m in it["materials"] or [None]:
                items.append([top["title"] if top else "", it["code"], tag + it["title"], it["points"],
                              it["score"], STATUS_LABELS[(m or it)["status"]], "、".join(it["units"]),
                              m and m["id"], m and m["title"], m and m["need"], m and m["have"],
                              m and m["suggested"],
                              m and "、".join(map(str, m["years_missing"]))])
                paint(items, 6)
                for cell in items[items.max_row]:
                    cell.alignment = wrap
    walk(c["items"], None)

    todo = sheet("责任单位任务清单", ["责任单位", "已上传文件", "考评项目", "材料编号", "材料", "状态",
                                  "缺少年度", "待确认建议", "否决项"], [16, 10, 30, 9, 34, 8, 18, 10, 7])
    for u in c["units"]:
        if not u["todo"]:
            todo.append([u["unit"], u["files"], "(无待办)"])
        for t in u["todo"]:
            todo.append([u["unit"], u["files"], f"{t['item']} {t['item_title']}", t["material"],
                         t["title"], STATUS_LABELS[t["status"]], "、".join(map(str, t["years_missing"])),
                         t["suggested"], "是" if t["veto"] else ""])
            paint(todo, 6)

    ev = sheet("证据清单", ["文件编号", "单位", "路径", "类型", "证据日期", "日期来源", "状态",
                          "对应材料(已确认)", "对应材料(待确认)"], [14, 14, 60, 7, 12, 10, 8, 22, 22])
    status_cn = {"ok": "正常", "problem": "有问题", "pending": "待读取"}
    for f in data.files:
        serves = data.serves.get(f["id"], [])
        ev.append([f["id"][:12], f["unit"], f["path"], KIND_LABELS.get(f["kind"], f["kind"]),
                   f["date"], DATE_SOURCE_LABELS.get(f["date_source"], ""),
                   status_cn.get(f["status"], f["status"]),
                   "、".join(m for m, how, ok in serves if ok),
                   "、".join(m for m, how, ok in serves if not ok)])

    pr = sheet("问题文件", ["单位", "路径", "原因", "级别"], [14, 60, 70, 8])
    for p in data.problems:
        pr.append([p["unit"], p["path"], p["reason"], "提示" if p.get("level") == "warning" else "错误"])
        pr.cell(pr.max_row, 3).alignment = wrap

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _status_key(label: str) -> str:
    return next(k for k, v in STATUS_LABELS.items() if v == label)


# -- the binder -----------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(name: str, limit: int = 60) -> str:
    """A file or folder name Windows accepts, short enough for deep folders."""
    name = _UNSAFE.sub("_", name).strip(" .") or "_"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 6:
            name = stem[:limit - len(ext) - 2] + "…." + ext
        else:
            name = name[:limit - 1] + "…"
    return name


def write_binder(data: ReportData, path: Path, self_assessment: Path | None = None) -> Path:
    """The inspection binder: a folder per first-level item, a subfolder per numbered item,
    the confirmed evidence named so it sorts by date (byte-identical to the archive), an
    index.html that links them, and the self-assessment table (00 总目录与自评表)."""
    if data.object_path is None:
        raise ValueError("write_binder needs data.object_path")
    c = data.check
    root = safe_name(f"迎检资料汇编_{data.made_at:%Y%m%d}")
    entries = []                         # (first-level item, leaf, material, [(arcname, ev)])
    used: set[str] = set()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, top in enumerate(c["items"], 1):
            top_dir = safe_name(f"{n:02d} {top['title']}", 40)
            for leaf in _leaves([top]):
                leaf_dir = safe_name(f"{leaf['code']} {leaf['title']}", 40)
                for m in leaf["materials"]:
                    files = []
                    for ev in m["evidence"]:
                        if not (ev["confirmed"] and ev["counts"]):
                            continue
                        name = PurePosixPath(ev["path"]).name
                        fname = safe_name(f"{ev['date'] or '日期不详'} {m['id']} {name}")
                        arc = f"{root}/{top_dir}/{leaf_dir}/{fname}"
                        k = 2
                        while arc in used:
                            stem, dot, ext = fname.rpartition(".")
                            arc = f"{root}/{top_dir}/{leaf_dir}/{stem} ({k}).{ext}" if dot else f"{arc} ({k})"
                            k += 1
                        used.add(arc)
                        zf.write(data.object_path(ev["id"]), arc)
                        files.append((arc[len(root) + 1:], ev))
                    entries.append((top, leaf, m, files))
        if self_assessment is not None:
            zf.write(self_assessment, f"{root}/00 总目录与自评表/自评表.xlsx")
        zf.writestr(f"{root}/00 总目录与自评表/准备情况报告.html", html_report(data))
        index = _env().get_template("binder_index.html").render(
            c=c, office=data.office, entries=entries, made_at=data.made_at.strftime("%Y-%m-%d %H:%M"),
            has_table=self_assessment is not None)
        zf.writestr(f"{root}/index.html", index)
    os.replace(tmp, path)
    return path
