"""`yingjian demo`: a sample workspace built from the material shipped in the package, run through
the whole pipeline, so a new user sees what yingjian does in one command."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from . import records
from .config import WorkspaceError
from .text import DATE_SOURCE_LABELS, KIND_LABELS, files_table, readiness_summary
from .workspace import Workspace, init

MATERIAL = Path(__file__).with_name("demo_material")
MARKER = ".yingjian-demo"
SHOWN_FORMATS = ("doc", "xls", "ppt", "rtf", "ofd", "heic", "mp4", "mov", "avi", "tiff")


def run_demo(root: Path, echo: Callable[[str], None] = print) -> Workspace:
    root = Path(root).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise WorkspaceError("demo_dir_taken", root=str(root))
        shutil.rmtree(root)          # only ever a folder this command made itself
    units = sorted(p.name for p in MATERIAL.iterdir() if p.is_dir())
    echo(f"① 新建演示工作区 {root}")
    config = init(root, units=units)
    (root / MARKER).write_text("made by yingjian demo; removed and rebuilt by it\n", encoding="utf-8")
    for unit in units:
        shutil.copytree(MATERIAL / unit, config.inbox / unit, dirs_exist_ok=True)
    count = sum(1 for p in config.inbox.rglob("*") if p.is_file())
    echo(f"② 模拟 {len(units)} 个成员单位上传了 {count} 个文件(扫描件、照片、Word、Excel、WPS、OFD、视频、压缩包)")

    ws = Workspace(config)
    # the demo copied these files itself, so they are complete: no stability window needed,
    # and one that lacks its end marker is truncated, not still arriving
    summary = ws.ingestor(stable_seconds=0, incomplete_after=0).ingest_pass()
    echo(f"③ 归档:新归档 {summary.ingested} 个,内容重复 {summary.duplicates} 个,"
         f"发现问题 {len(summary.problems)} 个")
    ocr_todo = {o["sha"] for o in ws.catalog.ocr_pending()}
    if ocr_todo:
        echo(f"④ 文字识别(OCR):{len(ocr_todo)} 个扫描件和照片 …")
        with ws.ocr_queue() as q:
            p = q.run()
        echo(f"   识别 {p.pages_done} 页,每分钟 {p.pages_per_minute:.0f} 页(含加载识别模型的时间)")
        for row in records.files(ws.catalog):
            if row["id"] in ocr_todo:
                text = " ".join(ws.text_of(row["id"]).split())
                source = DATE_SOURCE_LABELS.get(row["date_source"], "-")
                echo(f"   {row['path']}\n     日期 {row['date']}(来源:{source})"
                     f"  识别文字:{text[:40]}{'…' if len(text) > 40 else ''}")
    rows = records.files(ws.catalog)
    shown = [r for r in rows if r["format"] in SHOWN_FORMATS and r["status"] == "ok"]
    if shown:
        echo("   其他常见格式(WPS、OFD、手机照片、视频)也读出了文字和日期:")
        for row in shown:
            text = " ".join(ws.text_of(row["id"]).split())
            echo(f"   {row['path']}({KIND_LABELS.get(row['kind'], row['kind'])},{row['format']})\n"
                 f"     日期 {row['date']}(来源:{DATE_SOURCE_LABELS.get(row['date_source'], '-')})"
                 f"  文字:{text[:40] + ('…' if len(text) > 40 else '') if text else '(无)'}")
    echo("")
    echo(files_table(rows, name_width=44))
    probs = records.problems(ws.catalog)
    if probs:
        echo("\n需要处理的问题文件:")
        for p in probs:
            echo(f"  {p['path']}:{p['reason']}")
    ws.sync_index()
    for q in ("双拥工作领导小组", "捧乍", "烈士陵园"):
        res = ws.index.search(q, limit=3, text_of=ws.text_of)
        echo(f"\n⑤ 搜索「{q}」:找到 {res.total} 个文件")
        for h in res.hits:
            echo(f"   {h.path}\n     {h.snippet}")
    result = ws.check()
    echo("\n⑥ 迎检准备情况(yingjian check 查看全部)")
    for line in readiness_summary(result):
        echo(f"   {line}")
    busy = sorted((u for u in result["units"] if u["todo"]), key=lambda u: -len(u["todo"]))[:4]
    for u in busy:
        state = "尚未上传任何文件" if u["never_uploaded"] else f"已上传 {u['files']} 个文件"
        echo(f"   {u['unit']}({state}):待办 {len(u['todo'])} 项,如 "
             + "、".join(f"{t['material']} {t['title']}" for t in u["todo"][:2]))
    from .report import default_paths, write_reports
    echo("\n⑦ 报告和迎检资料汇编")
    for label, path in write_reports(ws, *default_paths(ws.config.root))[0]:
        echo(f"   {label}:{path}")
    echo(f"\n演示工作区在 {root}。可以继续试试:")
    echo(f"  yingjian -w {root} search 征兵")
    echo(f"  yingjian -w {root} files")
    echo(f"  yingjian -w {root} problems")
    echo(f"  yingjian -w {root} check --unit 人武部")
    echo(f"  yingjian -w {root} review       待审核:{result['summary']['review_pending']} 条建议等待双拥办确认后才计分")
    echo(f"  yingjian -w {root} report")
    echo(f"  yingjian -w {root} user add 张三 --office   然后 yingjian -w {root} serve 打开网页版")
    echo(f"  yingjian -w {root} watch        然后往 {config.inbox} 的单位文件夹里放文件")
    return ws
