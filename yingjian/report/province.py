"""The province's Excel report: 全省 (one row per city, as the 全省 page shows it), then one
sheet per city with its summary and its readiness trend; from the summaries the cities wrote
(yingjian/province.py), no city's check run."""
from __future__ import annotations

import re
from pathlib import Path

from .excel import _sheet, save_workbook

COLUMNS = [("name", "城市", 14), ("score", "预计得分", 10), ("max_score", "满分", 8),
           ("veto_gaps", "否决项缺口", 10), ("complete", "材料齐全", 10), ("open", "材料未齐全", 10),
           ("pending", "待审核", 8), ("overdue", "逾期材料", 9), ("last_upload", "最近上传", 22),
           ("trend_change", "近期得分变化", 12), ("updated_at", "摘要更新于", 22)]


def write_province_xlsx(province: str, rows: list[dict], path: Path) -> Path:
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheet = _sheet(wb, "全省", [c[1] for c in COLUMNS], [c[2] for c in COLUMNS])
    for r in rows:
        sheet.append([r.get(k) for k, _label, _w in COLUMNS])
    used: set[str] = {"全省"}
    for r in rows:
        title = _title(r["name"], used)
        ws = _sheet(wb, title, ["项目", "值"], [16, 30])
        for key, label, _w in COLUMNS:
            ws.append([label, r.get(key)])
        ws.append([])
        ws.append(["日期", "预计得分", "未齐全材料"])
        for p in r.get("trend", []):
            ws.append([p.get("day"), p.get("score"), p.get("open")])
    return save_workbook(wb, path)


def _title(name: str, used: set[str]) -> str:
    """A sheet title Excel accepts (31 characters, none of []:*?/\\), unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "_"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}_{n}", n + 1
    used.add(title)
    return title
