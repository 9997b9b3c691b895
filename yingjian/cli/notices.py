"""Chasing the units: due dates (`due`), the 督办通知 in Word (`notice`), and readiness over time
(`history`)."""
from __future__ import annotations

from pathlib import Path

import click

from .. import messages
from ..text import table
from .base import Fail, cli, emit_json, json_option, open_workspace, parse_day, system_user
from checklist.check import leaves
from ..history import view



@cli.command()
@click.argument("args", nargs=-1, metavar="[MATERIAL] [DATE]")
@click.option("--unit", metavar="单位", help="为这个单位设定截止日期(它所有未齐全的材料)")
@click.option("--clear", is_flag=True, help="取消截止日期")
@click.option("--list", "listing", is_flag=True, help="列出已设定的截止日期和逾期情况")
@click.option("--user", default=None, help="记录的设定人(默认为当前系统用户)")
@json_option
@click.pass_context
def due(ctx, args, unit, clear, listing, user, as_json):
    """截止日期:为一个单位(它所有未齐全的材料)或一项材料(负责它的各单位)设定报送截止日期。

    过了截止日期仍未齐全的材料,在检查结果、任务清单、首页、报告和督办通知中都标为“逾期”。
    一项材料自己的截止日期优先于单位的截止日期。迎检日期写在 yingjian.toml 的
    inspection_date 中。日期写法:2026-12-15、2026/12/15、2026年12月15日 均可。

    \b
    示例:
      yingjian due --unit 人武部 2026-12-15
      yingjian due 2.4a 2026-12-20
      yingjian due --unit 人武部 --clear
      yingjian due --list
    """
    ws = open_workspace(ctx)
    if listing or (not args and unit is None):
        return _list(ws, as_json)
    if unit is not None:
        kind, target, rest = "unit", unit, list(args)
    elif args:
        kind, target, rest = "material", args[0], list(args[1:])
    if clear:
        day = None
    elif len(rest) == 1:
        day = parse_day(rest[0])
    else:
        raise Fail("due_needs_date")
    if kind == "material" and target.strip().lower() not in {
            m.lower() for m in ws.standard.materials()}:
        ws.resolve_material(target)          # says what it is instead (an item, or nearest)
    target = ws.set_due(kind, target, day, user or system_user())
    ws.record_history()
    label = target if kind == "unit" else f"{target} {ws.standard.materials()[target].title}"
    if as_json:
        emit_json({"kind": kind, "target": target, "due": day})
        return
    click.echo(f"{label}:截止日期 {messages.day_text(day)}" if day else f"{label}:已取消截止日期")


def _list(ws, as_json: bool) -> None:
    result = ws.check()
    dues = ws.activity.due_dates()
    open_by = {}
    for u in result["units"]:
        if ("unit", u["unit"]) in dues:
            open_by[("unit", u["unit"])] = (len(u["todo"]), u["overdue"])
    for it in leaves(result["items"]):
        for m in it["materials"]:
            if ("material", m["id"]) in dues:
                open_by[("material", m["id"])] = (int(m["status"] != "complete"), int(m["overdue"]))
    rows = [{"kind": k, "target": t, **v, "open": open_by.get((k, t), (0, 0))[0],
             "overdue": open_by.get((k, t), (0, 0))[1]} for (k, t), v in sorted(dues.items())]
    insp = ws.config.inspection_date
    if as_json:
        emit_json({"inspection_date": insp.isoformat() if insp else None,
                   "days_to_inspection": result["days_to_inspection"], "due": rows,
                   "overdue": result["summary"]["overdue"]})
        return
    click.echo(f"迎检日期:{messages.day_text(insp.isoformat())}({messages.countdown_text(result['days_to_inspection'])})"
               if insp else "迎检日期:未设定(在 yingjian.toml 的 [workspace] 中写 inspection_date = 2026-12-28)")
    if not rows:
        click.echo("尚未设定任何截止日期。")
        return
    click.echo(table(["单位 / 材料", "截止日期", "未齐全", "逾期", "设定人"],
                     [[r["target"] if r["kind"] == "unit" else f"材料 {r['target']}", r["due"],
                       r["open"], r["overdue"] or "", r["user"] or ""] for r in rows]))
    click.echo(f"逾期未齐全的材料共 {result['summary']['overdue']} 项")


@cli.command()
@click.option("--unit", "units", multiple=True, metavar="单位", help="只为这个单位生成(可重复)")
@click.option("--due", "due_day", default=None, metavar="日期", help="通知中的报送截止日期(同时设为该单位的截止日期)")
@click.option("--template", type=click.Path(dir_okay=False), default=None, help="用这个 Word 模板(.docx)")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default=None,
              help="写到这个文件夹(默认:工作区的 notices 文件夹)")
@click.option("--all", "include_complete", is_flag=True, help="材料已齐全的单位也生成")
@click.option("--template-out", type=click.Path(dir_okay=False), default=None,
              help="只把默认模板写到这个文件,供在 Word / WPS 中修改")
@click.option("--user", default=None, help="记录的督办人(默认为当前系统用户)")
@json_option
@click.pass_context
def notice(ctx, units, due_day, template, out_dir, include_complete, template_out, user, as_json):
    """督办通知:为每个还有未齐全材料的单位生成一份 Word 文件(督办通知_单位_日期.docx),
    并把全部打包成一个 zip。

    通知列出该单位每项未齐全的材料:考评项目、佐证材料、缺少年度、状态(缺失 / 不全 / 待审核 /
    已退回)、是否一票否决、截止日期,一票否决项在前。每份通知都有记录(第几次督办、列了哪些材料、
    谁在何时生成),下一次督办会写明“第 N 次”,并用“※”标出上次已督办、至今仍未报送的材料。
    通知按模板生成:用 --template-out 导出默认模板,在 Word 或 WPS 中改好版头、文字和落款后,
    用 --template 指定。模板中可用的字段见 README。

    \b
    示例:
      yingjian notice
      yingjian notice --unit 人武部 --due 2026-12-15
      yingjian notice --template-out 督办通知模板.docx
      yingjian notice --template 督办通知模板.docx -o 督办通知
    """
    from ..notices import write_notices, write_template
    if template_out:
        path = write_template(Path(template_out))
        if as_json:
            emit_json({"template": str(path)})
        else:
            click.echo(f"默认模板已写到:{path}(在 Word 或 WPS 中修改后用 --template 指定)")
        return
    ws = open_workspace(ctx)
    names = [ws.resolve_unit(u) for u in units] or None
    out = Path(out_dir) if out_dir else ws.config.root / "notices"
    batch = write_notices(ws, out, units=names, due=parse_day(due_day) if due_day else None,
                          template=Path(template) if template else None,
                          include_complete=include_complete, user=user or system_user())
    ws.record_history()
    if not batch.notices and names:
        raise Fail("notice_nothing_open", units="、".join(names))
    if as_json:
        emit_json(batch.as_dict())
        return
    for n in batch.notices:
        veto = sum(1 for r in n.rows if r["veto"])
        click.echo(f"{n.unit}:第 {n.number} 次督办,{len(n.rows)} 项"
                   + (f"(一票否决项 {veto} 项)" if veto else "") + f" → {n.path}")
    if batch.zip_path:
        click.echo(f"全部 {len(batch.notices)} 份通知已打包:{batch.zip_path}")
    if batch.skipped:
        click.echo(f"材料已齐全、未生成通知的单位:{'、'.join(batch.skipped)}")


@cli.command()
@json_option
@click.pass_context
def history(ctx, as_json):
    """迎检准备进度:每天的预计得分、未齐全材料数和一票否决项,以及按近两周进度预测的齐全日期。

    每天最多记录一次(有变化时):运行 check、report、ingest、notice 或在网页上操作时记录。
    首页和 HTML 报告中有同样的进度图。

    \b
    示例:
      yingjian history
      yingjian history --json
    """
    ws = open_workspace(ctx, current=True)
    result = ws.check()
    ws.record_history()
    v = view(ws, result)
    if as_json:
        emit_json({"inspection_date": v["inspection_date"],
                   "days_to_inspection": v["days_to_inspection"],
                   "days": v["points"],
                   "projection": {**v["projection"], "text": v["sentence"]}})
        return
    click.echo(table(["日期", "预计得分", "未齐全", "齐全", "待确认", "不全", "缺失", "否决项不齐"],
                     [[p["day"], f"{p['score']:g}", p["open"], p["complete"], p["unconfirmed"],
                       p["partial"], p["missing"], p["veto_at_risk"]] for p in v["points"]]))
    click.echo("")
    if v["countdown"]:
        click.echo(v["countdown"])
    click.echo(v["sentence"])
