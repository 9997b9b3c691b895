"""Readiness over time: each check's summary (estimated score, materials by status, veto items at
risk, open materials per unit), kept at most once a day and only when something changed, in a
store of its own (foundation/sqlstore.py). The day's row is replaced while the day lasts, so a
day's point is its last check. Written by what changes the inputs or runs a check on purpose
(the command line's ingest, check, report and notice; the web app's forms), never by a page
that is only read: a page draws the stored days and today's live summary beside them.

The projection: at the rate of the last 14 days (open materials then, open now), the day
everything would be complete, beside the inspection date. The chart is an inline SVG (no
script), drawn the same for the web app and the HTML report.
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import date, timedelta

from foundation import now_iso
from foundation.sqlstore import SqliteStore
from . import messages

TABLE = """
CREATE TABLE IF NOT EXISTS readiness_history (
    day TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    summary TEXT NOT NULL
)
"""
PG_TABLE = TABLE.replace("TEXT PRIMARY KEY", 'TEXT COLLATE "C" PRIMARY KEY')  # on PostgreSQL
WINDOW_DAYS = 14


class ReadinessHistory(SqliteStore):
    STORE = "readiness_history"
    MIGRATIONS = (TABLE,)
    PG_MIGRATIONS = (PG_TABLE,)

    def keep(self, day: str, summary: dict) -> bool:
        """Keep `summary` as `day`'s point unless it equals the last one kept; True if written."""
        text = json.dumps(summary, ensure_ascii=False, sort_keys=True)
        with self._transaction() as db:
            last = db.execute("SELECT day, summary FROM readiness_history WHERE day <= ? "
                              "ORDER BY day DESC LIMIT 1", (day,)).fetchone()
            if last is not None and last["summary"] == text:
                return False
            db.execute("INSERT OR REPLACE INTO readiness_history (day, at, summary) VALUES (?, ?, ?)",
                       (day, now_iso(), text))
        return True

    def days(self) -> list[dict]:
        """Every day kept, oldest first: its summary with `day` added."""
        return [{**json.loads(r["summary"]), "day": r["day"]}
                for r in self._rows("SELECT day, summary FROM readiness_history ORDER BY day")]


def summary_of(result: dict) -> dict:
    """What a day's point keeps of one check's result."""
    s = result["summary"]
    return {"score": result["score"], "max_score": result["max_score"],
            "materials": s["materials"], "complete": s["complete"],
            "unconfirmed": s["unconfirmed"], "partial": s["partial"], "missing": s["missing"],
            "open": s["materials"] - s["complete"], "veto_at_risk": len(s["veto_at_risk"]),
            "units": {u["unit"]: len(u["todo"]) for u in result.get("units", ())}}


def series(stored: list[dict], today: date, live: dict | None) -> list[dict]:
    """The points to draw: the stored days before today, then today's live summary (or today's
    stored row when there is no live one)."""
    t = today.isoformat()
    points = [p for p in stored if p["day"] < t]
    if live is not None:
        points.append({**live, "day": t})
    else:
        points += [p for p in stored if p["day"] == t]
    return points


@dataclass
class Projection:
    """`code`: complete (nothing open), no_history (no earlier day to measure a rate),
    no_progress (nothing done, or going back), projected (`day` everything is complete)."""
    code: str
    open: int = 0
    day: str | None = None
    rate: float = 0.0                   # materials completed per day, over the window
    inspection: str | None = None
    late_days: int | None = None        # > 0: after the inspection date; < 0: before it

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def project(points: list[dict], today: date, inspection: date | None) -> Projection:
    """At the rate of the last 14 days, the day everything would be complete."""
    insp = inspection.isoformat() if inspection else None
    if not points:
        return Projection("no_history", inspection=insp)
    now = points[-1]
    if now["open"] <= 0:
        return Projection("complete", 0, inspection=insp)
    since = (today - timedelta(days=WINDOW_DAYS)).isoformat()
    before = [p for p in points[:-1] if p["day"] <= since]
    base = before[-1] if before else (points[0] if len(points) > 1 else None)
    if base is None or base["day"] >= now["day"]:
        return Projection("no_history", now["open"], inspection=insp)
    days = (date.fromisoformat(now["day"]) - date.fromisoformat(base["day"])).days
    rate = (base["open"] - now["open"]) / days
    if rate <= 0:
        return Projection("no_progress", now["open"], rate=round(rate, 3), inspection=insp)
    day = today + timedelta(days=math.ceil(now["open"] / rate))
    late = (day - inspection).days if inspection else None
    return Projection("projected", now["open"], day.isoformat(), round(rate, 3), insp, late)


# -- the chart ------------------------------------------------------------------------------

COLORS = {"open": "#c62828", "score": "#1565c0", "inspection": "#333333", "projection": "#c62828"}
UNIT_COLORS = ("#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#e65100", "#00838f", "#ad1457",
               "#4e342e", "#558b2f", "#283593")


def chart_svg(points: list[dict], inspection: date | None, projection: Projection,
              words: dict, *, units: list[str] | None = None, width: int = 680,
              height: int = 240) -> str:
    """Score and open materials by day up to the inspection date, with the projection (a dashed
    line from today to the projected day); with `units`, one line of open materials per unit
    instead. `words` are the legend's (yingjian/messages.py). Inline SVG, no script."""
    left, right, top, bottom = 44, 44, 16, 44
    pw, ph = width - left - right, height - top - bottom
    days = [date.fromisoformat(p["day"]) for p in points]
    first = days[0] if days else date.today()
    last = days[-1] if days else first
    end = max([last, *([inspection] if inspection else [])])
    if projection.day:
        end = max(end, min(date.fromisoformat(projection.day),
                           max(end, last) + timedelta(days=120)))
    span = max((end - first).days, 1)

    def x(d: date) -> float:
        return left + pw * (d - first).days / span

    top_open = max([1, *(max(p.get("materials", 0), p["open"]) for p in points)])
    if units:
        top_open = max([1, *(p.get("units", {}).get(u, 0) for p in points for u in units)])
    max_score = max([1, *(p.get("max_score", 0) for p in points)])

    def y_open(v: float) -> float:
        return top + ph * (1 - v / top_open)

    def y_score(v: float) -> float:
        return top + ph * (1 - v / max_score)

    esc = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{esc(words["title"])}" '
           f'class="history-chart" style="max-width:100%;height:auto" data-points="{len(points)}">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>']
    for frac in (0.25, 0.5, 0.75):
        yy = top + ph * frac
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + pw}" y2="{yy:.1f}" stroke="#e5e5e5"/>')
    out.append(f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end" '
               f'fill="{COLORS["open"]}">{top_open}</text>')
    out.append(f'<text x="{left - 4}" y="{top + ph}" font-size="10" text-anchor="end">0</text>')
    if not units:
        out.append(f'<text x="{left + pw + 4}" y="{top + 10}" font-size="10" '
                   f'fill="{COLORS["score"]}">{max_score:g}</text>')
    # the days along the bottom: the first, the last kept, the inspection
    labels = {first: "first", last: "today"}
    if inspection:
        labels[inspection] = "inspection"
    if projection.day and not units and date.fromisoformat(projection.day) <= end:
        labels[date.fromisoformat(projection.day)] = "projection"
    for d in labels:
        out.append(f'<text x="{x(d):.1f}" y="{top + ph + 14}" font-size="10" '
                   f'text-anchor="middle">{d.month}/{d.day}</text>')

    def line(values: list[tuple[date, float]], color: str, cls: str, y, extra: str = "") -> None:
        if not values:
            return
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in values)
        out.append(f'<polyline class="{cls}-line" points="{pts}" fill="none" stroke="{color}" '
                   f'stroke-width="2"{extra}/>')
        for d, v in values:
            out.append(f'<circle class="pt pt-{cls}" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" '
                       f'fill="{color}" data-day="{d.isoformat()}" data-value="{v:g}"{extra}/>')

    if units:
        for i, u in enumerate(units):
            color = UNIT_COLORS[i % len(UNIT_COLORS)]
            line([(d, p.get("units", {}).get(u, 0)) for d, p in zip(days, points)], color,
                 "unit", y_open, f' data-line="{esc(u)}"')
    else:
        line([(d, p["open"]) for d, p in zip(days, points)], COLORS["open"], "open", y_open)
        line([(d, p["score"]) for d, p in zip(days, points)], COLORS["score"], "score", y_score)
    if inspection:
        xi = x(inspection)
        out.append(f'<line class="inspection" data-day="{inspection.isoformat()}" x1="{xi:.1f}" '
                   f'y1="{top}" x2="{xi:.1f}" y2="{top + ph}" stroke="{COLORS["inspection"]}" '
                   f'stroke-width="1.5" stroke-dasharray="2,2"/>')
        out.append(f'<text x="{xi:.1f}" y="{top - 4}" font-size="10" text-anchor="middle">'
                   f'{esc(words["inspection"])}</text>')
    if projection.day and points and not units:
        d0, p0 = days[-1], points[-1]
        dp = date.fromisoformat(projection.day)
        x1 = min(x(dp), left + pw)
        y1 = y_open(0) if x(dp) <= left + pw else \
            y_open(p0["open"] * (1 - (end - d0).days / max((dp - d0).days, 1)))
        out.append(f'<line class="projection" data-day="{projection.day}" x1="{x(d0):.1f}" '
                   f'y1="{y_open(p0["open"]):.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
                   f'stroke="{COLORS["projection"]}" stroke-width="1.5" stroke-dasharray="6,4"/>')
    # the legend
    ly = height - 10
    if units:
        lx = left
        for i, u in enumerate(units[:10]):
            color = UNIT_COLORS[i % len(UNIT_COLORS)]
            out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{color}"/>'
                       f'<text x="{lx + 13}" y="{ly}" font-size="10">{esc(u)}</text>')
            lx += 16 + 11 * len(u)
    else:
        out.append(f'<rect x="{left}" y="{ly - 8}" width="12" height="3" fill="{COLORS["open"]}"/>'
                   f'<text x="{left + 16}" y="{ly}" font-size="10">{esc(words["open"])}</text>'
                   f'<rect x="{left + 130}" y="{ly - 8}" width="12" height="3" fill="{COLORS["score"]}"/>'
                   f'<text x="{left + 146}" y="{ly}" font-size="10">{esc(words["score"])}</text>'
                   f'<line x1="{left + 240}" y1="{ly - 6}" x2="{left + 256}" y2="{ly - 6}" '
                   f'stroke="{COLORS["projection"]}" stroke-dasharray="4,3"/>'
                   f'<text x="{left + 260}" y="{ly}" font-size="10">{esc(words["projection"])}</text>')
    out.append("</svg>")
    return "\n".join(out)


# -- for the fronts -------------------------------------------------------------------------

def view(ws, result: dict | None = None, *, unit: str | None = None,
         all_units: bool = False) -> dict:
    """What a page or a report draws: the stored days and today's live summary (from
    `result`, a check made now; nothing is written), the projection and its sentence, the
    countdown, and the chart (one unit's line, or one line per unit with `all_units`)."""
    today = ws.today()
    live = summary_of(result) if result is not None else None
    points = series(ws.history.days(), today, live)
    inspection = ws.config.inspection_date
    if unit is not None:
        points = [{**p, "open": p.get("units", {}).get(unit, 0)} for p in points]
    proj = project(points, today, inspection)
    words = messages.HISTORY_CHART
    if all_units or unit is not None:
        names = [unit] if unit is not None else sorted(
            {u for p in points for u in p.get("units", {})},
            key=lambda u: -(points[-1].get("units", {}).get(u, 0) if points else 0))
        svg = chart_svg(points, inspection, proj, {**words, "title": words["units_title"]},
                        units=names)
    else:
        svg = chart_svg(points, inspection, proj, words)
    days_left = (inspection - today).days if inspection else None
    return {"points": points, "projection": proj.as_dict(), "svg": svg,
            "sentence": messages.projection_text(proj.as_dict(), today),
            "countdown": messages.countdown_text(days_left), "inspection_date":
            inspection.isoformat() if inspection else None, "days_to_inspection": days_left}
