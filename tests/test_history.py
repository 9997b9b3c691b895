"""Readiness over time: a day's point kept at most once and only when it changed, by the command
line's check (never by a page that is only read), the 14-day projection and its sentence, a
workspace with no history showing today only."""
import json
import pytest

from datetime import date, timedelta

from click.testing import CliRunner

from yingjian import messages
from yingjian.cli import cli
from yingjian.history import project, series, summary_of, view
from yingjian.workspace import Workspace

pytestmark = pytest.mark.usefixtures("on_both_databases")


def point(day: str, open_: int, score: float = 1.0, materials: int = 60) -> dict:
    return {"day": day, "open": open_, "score": score, "max_score": 10, "materials": materials,
            "complete": materials - open_, "unconfirmed": 0, "partial": 0, "missing": open_,
            "veto_at_risk": 0, "units": {"人武部": open_}}


def test_a_day_is_kept_once_and_only_when_it_changed(ws):
    h = ws.history
    s = {k: v for k, v in point("x", 10).items() if k != "day"}
    assert h.keep("2026-11-20", s) is True
    assert h.keep("2026-11-20", s) is False                     # same day, nothing changed
    assert h.keep("2026-11-21", s) is False                     # next day, nothing changed
    assert h.keep("2026-11-21", {**s, "open": 9}) is True
    assert h.keep("2026-11-21", {**s, "open": 8}) is True       # the day's last check counts
    assert [(d["day"], d["open"]) for d in h.days()] == [("2026-11-20", 10), ("2026-11-21", 8)]


def test_the_projection_says_when_everything_is_complete_beside_the_inspection_date():
    today = date(2026, 11, 30)
    pts = [point("2026-11-10", 60), point("2026-11-16", 53), point("2026-11-23", 45),
           point("2026-11-30", 39)]
    p = project(pts, today, date(2026, 12, 27))
    assert (p.code, p.day, p.late_days) == ("projected", "2027-01-08", 12)   # 14 days: 53 -> 39
    assert messages.projection_text(p.as_dict(), today) == "按近两周进度,预计 1 月 8 日齐全,晚于迎检日期 12 天"
    early = project(pts, today, date(2027, 1, 20)).as_dict()
    assert messages.projection_text(early, today).endswith("早于迎检日期 12 天")
    assert project(pts, today, None).late_days is None
    assert project([point("2026-11-16", 39), point("2026-11-30", 39)], today, None).code == "no_progress"
    assert project([point("2026-11-30", 0)], today, None).code == "complete"
    assert project([point("2026-11-30", 5)], today, None).code == "no_history"


def test_a_workspace_with_no_history_shows_today_only(ws):
    result = ws.check()
    v = view(ws, result)
    assert [p["day"] for p in v["points"]] == [date.today().isoformat()]
    assert v["projection"]["code"] == "no_history"
    assert v["svg"].count('class="pt pt-open"') == 1 and "<script" not in v["svg"]
    assert ws.history.days() == []                              # drawing wrote nothing


def test_check_from_the_command_line_keeps_the_day_and_history_lists_it(ws, inbox):
    from tests import factories as f
    from tests.conftest import ingest
    old = (date.today() - timedelta(days=14)).isoformat()
    base = summary_of(ws.check())
    ws.history.keep(old, {**base, "open": base["open"] + 7})
    root = ws.config.root
    ws.close()
    ws = Workspace.open(root)
    runner = CliRunner()
    args = ["--workspace", str(ws.config.root)]
    assert runner.invoke(cli, [*args, "check", "--json"]).exit_code == 0
    assert runner.invoke(cli, [*args, "check"]).exit_code == 0
    days = ws.history.days()
    assert [d["day"] for d in days] == [old, date.today().isoformat()]
    f.docx_file(inbox / "人武部" / "1.2a_议军会议纪要.docx", ["议军会议纪要", "2021年6月1日"])
    ingest(ws)
    out = json.loads(runner.invoke(cli, [*args, "history", "--json"]).output)
    assert [d["day"] for d in out["days"]] == [old, date.today().isoformat()]
    assert out["days"][-1]["units"] == summary_of(ws.check())["units"]
    ws.close()
    assert out["projection"]["code"] == "projected" and out["projection"]["text"].startswith("按近两周进度")


def test_series_puts_todays_live_point_after_the_stored_days():
    stored = [point("2026-11-28", 9), point("2026-11-30", 8)]
    live = {k: v for k, v in point("x", 7).items() if k != "day"}
    got = series(stored, date(2026, 11, 30), live)
    assert [(p["day"], p["open"]) for p in got] == [("2026-11-28", 9), ("2026-11-30", 7)]
    assert [(p["day"], p["open"]) for p in series(stored, date(2026, 11, 30), None)] == \
        [("2026-11-28", 9), ("2026-11-30", 8)]


def test_the_watcher_keeps_the_day_at_most_hourly_when_files_changed(ws, inbox):
    from tests import factories as f
    from tests.conftest import ingest
    from yingjian.watching import WatchCallbacks, WatchService
    now = [1000.0]
    ws.config.ocr = False
    svc = WatchService(ws, poll=1, callbacks=WatchCallbacks(clock=lambda: now[0]))
    svc.after_step()
    assert len(ws.history.days()) == 1
    first = ws.history.days()[0]
    f.docx_file(inbox / "人武部" / "1.2a_议军会议纪要.docx", ["议军会议纪要", "2021年6月1日"])
    ingest(ws)
    now[0] += 60
    svc.after_step()
    assert ws.history.days() == [first]                 # within the hour: not checked again
    now[0] += 3600
    svc.after_step()
    assert ws.history.days()[-1]["partial"] == first["partial"] + 1
