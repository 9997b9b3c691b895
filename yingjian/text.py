"""Words and tables for people: Chinese labels for the archive's codes, and a plain-text table
that lines up Chinese characters (each two columns wide in a terminal)."""
from __future__ import annotations

import unicodedata

KIND_LABELS = {"document": "文档", "photo": "照片", "ledger": "台账", "video": "视频",
               "other": "其他"}
STATUS_LABELS = {"ok": "正常", "problem": "有问题", "pending": "待读取", "withdrawn": "已撤回",
                 "refused": "未归档"}
DATE_SOURCE_LABELS = {"content": "落款", "exif": "拍摄时间", "filename": "文件名", "pdf": "PDF属性",
                      "mtime": "文件时间"}


def files_table(rows: list[dict], name_width: int = 48) -> str:
    """The `yingjian files` table: one row a file, Chinese labels."""
    return table(
        ["单位", "文件", "类型", "日期(来源)", "页数", "字数", "状态", "版本"],
        [[r["unit"], r["path"].split("/", 1)[-1], KIND_LABELS.get(r["kind"], "-"),
          f"{r['date'] or '-'}({DATE_SOURCE_LABELS.get(r['date_source'], '无')})",
          r["pages"] if r["pages"] is not None else "-", r["text_chars"],
          STATUS_LABELS.get(r["status"], r["status"]), r["versions"]] for r in rows],
        {1: name_width})


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
