"""督办通知 benchmark: `yingjian notice` for 60 units over a standard of 183 materials (a province's
size: 9 方面, 183 小项), beside two baselines measured in the same run, interleaved:

- the same 60 documents (same texts, same table) written with plain python-docx, no template;
- one notice rendered 60 times from the template (docxtpl alone: no check, no record, no zip).

The subject is the whole service: the readiness check, every unit's open tasks, rendering, the
zip, and each notice recorded in the notice log and the audit trail.

    python bench/notice_bench.py [--units 60] [--materials 183] [--rounds 3]
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yingjian.notices import (DEFAULT_TEMPLATE, context, load_template, open_tasks,  # noqa: E402
                              render, template_env, write_notices)
from yingjian.workspace import Workspace, init  # noqa: E402

YEARS = "{start: 2020-01-01, end: 2023-12-31}"


def standard(units: list[str], materials: int) -> str:
    """Nine first-level items; each leaf two responsible units; one leaf in nine a veto."""
    lines = ["title: 基准测试标准", f"period: {YEARS}", "items:"]
    per_top = -(-materials // 9)
    n = 0
    for top in range(1, 10):
        lines += [f'  - code: "{top}"', f"    title: 第{top}方面", "    children:"]
        for leaf in range(1, per_top + 1):
            if n >= materials:
                break
            a, b = units[n % len(units)], units[(n * 7 + 3) % len(units)]
            lines += [f'      - code: "{top}.{leaf}"', f"        title: 第{top}方面第{leaf}项考评内容",
                      "        points: 0.5", f"        units: [{a}, {b}]",
                      f"        veto: {'true' if leaf % 9 == 1 else 'false'}", "        materials:",
                      f"          - {{id: {top}.{leaf}a, title: 第{top}.{leaf}项佐证材料(文件、纪要、台账、照片),"
                      f" kind: any, count: 1, per_year: true}}"]
            n += 1
    return "\n".join(lines) + "\n"


def plain_docx(ctx: dict, out: Path) -> None:
    """The same notice with python-docx alone: the same paragraphs and table, no template."""
    from docx import Document
    doc = Document()
    for text in (ctx["office"], ctx["doc_no"], ctx["title"], f"(第 {ctx['number']} 次督办)",
                 f"{ctx['unit']}:", f"经核查迎检资料库,截至{ctx['day']},你单位尚有以下 {ctx['count']} 项"):
        doc.add_paragraph(text)
    table = doc.add_table(rows=1, cols=7)
    for cell, h in zip(table.rows[0].cells, ("序号", "考评项目", "佐证材料", "缺少年度", "状态",
                                               "一票否决", "截止日期")):
        cell.text = h
    for r in ctx["rows"]:
        cells = table.add_row().cells
        for cell, v in zip(cells, (str(r["no"]), r["item"], r["again"] + r["material"], r["years"],
                                   r["status"], r["veto"], r["due"] + r["overdue"])):
            cell.text = v
    for text in (f"报送方式:{ctx['inbox']}", ctx["office"], ctx["day"]):
        doc.add_paragraph(text)
    doc.save(str(out))


def contexts(ws: Workspace, today: date) -> list[dict]:
    result, dues = ws.check(), ws.deadlines.current()
    out = []
    for unit in ws.units():
        rows = open_tasks(result, unit, dues, today)
        out.append(context(office="双拥办", unit=unit, rows=rows, number=1, doc_no="双拥办督〔2026〕1号",
                           today=today, due=None, inspection=None, previous=None,
                           inbox=str(ws.config.inbox / unit), web=None, contact=None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--materials", type=int, default=183)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-notice-bench-"))
    try:
        units = [f"单位{i:02d}" for i in range(1, args.units + 1)]
        std = tmp / "standard.yaml"
        std.write_text(standard(units, args.materials), encoding="utf-8")
        init(tmp / "ws", standard=std, units=units)
        ws = Workspace.open(tmp / "ws")
        today = date.today()
        ctxs = contexts(ws, today)
        rows = sum(c["count"] for c in ctxs)
        tpl = load_template(DEFAULT_TEMPLATE)
        subject, plain, single = [], [], []
        for r in range(args.rounds):
            t = time.perf_counter()
            batch = write_notices(ws, tmp / f"out{r}", user="bench", today=today)
            subject.append(time.perf_counter() - t)
            assert len(batch.notices) == args.units, len(batch.notices)
            t = time.perf_counter()
            for c in ctxs:
                plain_docx(c, tmp / f"plain{r}_{c['unit']}.docx")
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            env = template_env()
            for i in range(args.units):
                render(tpl, ctxs[0], tmp / f"single{r}_{i}.docx", env=env)
            single.append(time.perf_counter() - t)
        ws.close()
        s, p, o = (statistics.median(x) for x in (subject, plain, single))
        print(f"notices: {args.units} units, standard of {args.materials} materials, "
              f"{rows} table rows in all (median of {args.rounds} rounds, interleaved)")
        print(f"  yingjian notice (check + render + zip + record): {s:.2f} s "
              f"({s / args.units * 1000:.0f} ms a unit)")
        print(f"  same documents, plain python-docx:               {p:.2f} s  -> ratio {s / p:.2f}x")
        print(f"  one notice x{args.units} through docxtpl:              {o:.2f} s  -> ratio {s / o:.2f}x")
        print(f"  goal < 10 s: {'met' if s < 10 else 'NOT met'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
