"""Plain-text output for the terminal: tables that line up Chinese characters (each two columns
wide), the files table and the readiness text. Its words come from yingjian/messages.py."""
from __future__ import annotations

import unicodedata

from .messages import (DATE_SOURCE_LABELS, FILE_STATUS_LABELS as STATUS_LABELS, KIND_LABELS,
                       READINESS_LABELS, READINESS_MARKS)


SHORT_ID = 8          # the id shown beside a file; any prefix of 6 or more is accepted


def short_id(sha: str | None) -> str:
    return sha[:SHORT_ID] if sha else "-"


def local_time(iso: str | None) -> str:
    """A stored UTC time (2026-11-29T10:12:50+00:00) as the office's local time, to the minute."""
    from datetime import datetime
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def files_table(rows: list[dict], name_width: int = 48) -> str:
    """The `yingjian files` table: one row a file, its short id first, Chinese labels."""
    return table(
        ["编号", "单位", "文件", "类型", "日期(来源)", "页数", "字数", "状态", "版本"],
        [[short_id(r["id"]), r["unit"], r["path"].split("/", 1)[-1], KIND_LABELS.get(r["kind"], "-"),
          f"{r['date'] or '-'}({DATE_SOURCE_LABELS.get(r['date_source'], '无')})",
          r["pages"] if r["pages"] is not None else "-", r["text_chars"],
          STATUS_LABELS.get(r["status"], r["status"]), r["versions"]] for r in rows],
        {2: name_width})


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def clip(s: str, w: int) -> str:
    if width(s) <= w:
        return s
    out, used = "", 0
    for c in s:
        cw = width(c)
        if used + cw > w - 1:
            break
        out += c
        used += cw
    return out + "…"


def table(headers: list[str], rows: list[list[str]], max_widths: dict[int, int] | None = None) -> str:
    max_widths = max_widths or {}
    rows = [[clip(str(v), max_widths.get(i, 60)) for i, v in enumerate(r)] for r in rows]
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(cells)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])



def _years(ys: list[int]) -> str:
    return "、".join(str(y) for y in ys) + " 年" if ys else ""


def readiness_summary(r: dict) -> list[str]:
    """The few lines a leader reads: score, materials by status, veto items at risk."""
    s = r["summary"]
    lines = [f"{r['title']}(考评周期 {r['period']['start']} 至 {r['period']['end']})",
             f"预计得分 {r['score']:g} / {r['max_score']:g}"
             + (f",加分 {r['bonus_score']:g}" if r["bonus_score"] else "")
             + (f";确认全部待确认的建议后可达 {r['potential_score']:g}"
                if r["potential_score"] > r["score"] + r["bonus_score"] else ""),
             f"材料 {s['materials']} 项:齐全 {s['complete']},待确认 {s['unconfirmed']},"
             f"不全 {s['partial']},缺失 {s['missing']};待确认的建议 {s['suggestions_pending']} 条"]
    if r.get("inspection_date"):
        lines.append(f"迎检日期 {r['inspection_date']}(还有 {r['days_to_inspection']} 天)"
                     if r["days_to_inspection"] >= 0 else
                     f"迎检日期 {r['inspection_date']}(已过 {-r['days_to_inspection']} 天)")
    if s.get("overdue"):
        lines.append(f"逾期未齐全的材料 {s['overdue']} 项")
    if s["veto_at_risk"]:
        lines.append(f"⚠ 一票否决项有 {len(s['veto_at_risk'])} 项佐证不齐:{'、'.join(s['veto_at_risk'])}")
    else:
        lines.append("一票否决项佐证齐全")
    return lines


def _material_line(m: dict) -> str:
    due = f"  截止 {m['due']}" + ("【逾期】" if m.get("overdue") else "") if m.get("due") else ""
    extra = ""
    if m["years_missing"]:
        extra = f"  缺 {_years(m['years_missing'])}"
    elif m["years_unconfirmed"]:
        extra = f"  待确认 {_years(m['years_unconfirmed'])}"
    if m["suggested"]:
        extra += f"  (有 {m['suggested']} 个建议文件待确认)"
    return (f"{READINESS_MARKS[m['status']]} {m['id']} {m['title']}:{READINESS_LABELS[m['status']]}"
            f" {m['have']}/{m['need']}{extra}{due}")


def _suggestions(m: dict, pad: str) -> list[str]:
    """The suggested files of a material, with the short id `confirm` takes."""
    out = []
    for ev in m.get("evidence", ()):
        if not ev["confirmed"]:
            out.append(f"{pad}      建议 {short_id(ev['id'])}  {ev['path']}"
                       f"  → yingjian confirm {short_id(ev['id'])} {m['id']}")
            if ev.get("learned"):                  # why: the confirmed files it resembles
                out.append(f"{pad}        " + ";".join(w["text"] for w in ev["waits"]))
    return out


def readiness_text(r: dict, unit: str | None = None) -> str:
    """`yingjian check`: summary, veto items first, every item, then the units' to-do lists."""
    out = readiness_summary(r)
    if unit is None:
        if r["veto"]:
            out += ["", "一票否决项(检查组首先查看):"]
            for v in r["veto"]:
                out.append(f"  {READINESS_MARKS[v['status']]} {v['code']} {v['title']}:"
                           f"{READINESS_LABELS[v['status']]}  [{'、'.join(v['units'])}]")
                for m in v["missing"]:
                    out.append(f"      {m['material']} {m['title']}"
                               + (f":缺 {_years(m['years_missing'])}" if m["years_missing"] else ""))
        out += ["", "考评项目:"]

        def item(it: dict, depth: int) -> None:
            pad = "  " * depth
            units = f"  [{'、'.join(it['units'])}]" if it["units"] else ""
            tag = "(否决项)" if it["veto"] else "(加分项)" if it["bonus"] else ""
            out.append(f"{pad}{READINESS_MARKS[it['status']]} {it['code']} {it['title']}{tag}  "
                       f"{it['score']:g}/{it['points']:g} 分  {READINESS_LABELS[it['status']]}{units}")
            for m in it["materials"]:
                out.append(f"{pad}    {_material_line(m)}")
                out.extend(_suggestions(m, pad))
            for c in it.get("children", []):
                item(c, depth + 1)

        for it in r["items"]:
            item(it, 1)
    without = r.get("units_without_folder") or []
    if without and unit is None:
        out += ["", f"标准中的责任单位未建文件夹:{'、'.join(without)}",
                f"  它们的任务无人上传;如确是本市成员单位,逐个运行 yingjian unit add 单位名称"
                f"(如 yingjian unit add {without[0]})"]
    out += ["", "各单位任务清单:" if unit is None else f"{unit} 的任务清单:"]
    for u in r["units"]:
        if unit is not None and u["unit"] != unit:
            continue
        if unit is None and u["unit"] in without:
            continue
        if u["never_uploaded"]:
            head = f"  {u['unit']}:尚未上传任何文件"
        else:
            head = f"  {u['unit']}(已上传 {u['files']} 个文件)"
        out.append(head + (f",待办 {len(u['todo'])} 项" if u["todo"] else ",无待办")
                   + (f",截止 {u['due']}" if u.get("due") else "")
                   + (f",逾期 {u['overdue']} 项" if u.get("overdue") else ""))
        for t in u["todo"]:
            years = f",缺 {_years(t['years_missing'])}" if t["years_missing"] else ""
            veto = "【否决项】" if t["veto"] else ""
            due = f",截止 {t['due']}" if t.get("due") else ""
            late = "【逾期】" if t.get("overdue") else ""
            out.append(f"      {late}{veto}{t['material']} {t['title']}"
                       f"({READINESS_LABELS[t['status']]}{years}{due})")
    return "\n".join(out)
