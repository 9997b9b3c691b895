"""The HTML report: one self-contained file (inline CSS, an inline SVG chart, thumbnails as data
URIs) that opens offline and prints on A4."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from ..messages import DATE_SOURCE_LABELS, KIND_LABELS, READINESS_LABELS as STATUS_LABELS
from . import COLORS, STATUSES, THUMBS_PER_MATERIAL, ReportData, leaves as _leaves


def env():
    from jinja2 import Environment, PackageLoader, select_autoescape
    e = Environment(loader=PackageLoader("yingjian.report", "templates"),
                    autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    e.globals.update(STATUS_LABELS=STATUS_LABELS, COLORS=COLORS, KIND_LABELS=KIND_LABELS,
                     DATE_SOURCE_LABELS=DATE_SOURCE_LABELS)
    return e


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
    legend = "深色:已确认得分;浅色:确认待确认的建议后可达"
    out.append(f'<text x="{label_w}" y="{y}" font-size="11" fill="#666">{legend}</text>')
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

    return env().get_template("report.html").render(
        c=check, office=data.office, made_at=data.made_at.strftime("%Y-%m-%d %H:%M"),
        chart=chart_svg(check), problems=data.problems, thumb=thumb, link=data.link,
        leaves=list(_leaves(check["items"])), per_material=THUMBS_PER_MATERIAL, STATUSES=STATUSES,
        history=data.history)


def write_html(data: ReportData, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html_report(data), encoding="utf-8")
    tmp.replace(path)
    return path
