"""Readiness: the check, the reports, and the office's decisions on files and materials."""
from __future__ import annotations

import click

from foundation import closest

from ..messages import DATE_SOURCE_LABELS
from ..text import readiness_text, short_id, table
from .base import Fail, cli, emit_json, json_option, open_workspace, parse_day, system_user

@cli.command()
@click.option("--unit", metavar="单位", help="只显示这个单位的任务清单")
@json_option
@click.pass_context
def check(ctx, unit, as_json):
    """迎检准备情况检查:每项材料是否齐全、缺哪些年度、由哪个单位负责,预计得分。

    一票否决项排在最前。只有确认过的佐证计分(按文件夹编号归档的、或人工确认的);
    按内容自动找到的“建议”文件确认后才计分,每个建议文件列出编号和确认它的命令。
    打不开的文件、日期不在考评周期内的文件不计。

    \b
    示例:
      yingjian check
      yingjian check --unit 人武部
      yingjian check --json > 准备情况.json
    """
    ws = open_workspace(ctx, current=True)
    ws.learn()
    result = ws.check()
    ws.record_history()              # readiness over time: today's point, if it changed
    units = [u["unit"] for u in result["units"]]
    if unit is not None:
        unit = unit.strip()
        if unit not in units:
            raise Fail("unit_unknown", unit=unit, closest=closest(unit, units), units=units)
    if as_json:
        if unit is not None:
            result["units"] = [u for u in result["units"] if u["unit"] == unit]
        emit_json(result)
        return
    click.echo(readiness_text(result, unit))


@cli.command()
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="HTML 报告(可离线打开、A4 打印)")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Excel 报告")
@click.option("--binder", "binder_path", type=click.Path(dir_okay=False), help="迎检资料汇编(ZIP)")
@click.option("--pdf", "pdf_dir", is_flag=False, flag_value="", default=None, metavar="文件夹",
              type=click.Path(file_okay=False), help="按一级项目装订的 PDF 汇编,每项一册(不写文件夹时放在 reports 下)")
@click.option("--pdf-whole", is_flag=True, help="另外生成一册包含全部考评项目的 PDF 汇编")
@click.pass_context
def report(ctx, html_path, xlsx_path, binder_path, pdf_dir, pdf_whole):
    """生成迎检准备情况报告(HTML、Excel)、迎检资料汇编(ZIP)和可打印的 PDF 汇编。

    不指定文件时报告和资料汇编都生成,放在工作区的 reports 文件夹。资料汇编按一级项目、考评内容分文件夹,
    文件按日期命名,内含可离线检索的总目录 index.html、自评表和每个一级项目一册的 PDF(汇编/)。
    --pdf 每个一级项目装订一册 PDF:封面、带页码的目录、按考评标准顺序排列的已确认佐证,
    每页有页码,书签可直达每项材料;--pdf-whole 另装订一册包含全部项目。

    \b
    示例:
      yingjian report
      yingjian report --html 报告.html --xlsx 报告.xlsx
      yingjian report --binder 迎检资料汇编.zip
      yingjian report --pdf 打印册 --pdf-whole
    """
    from ..report import default_paths, default_pdf_dir, write_reports
    ws = open_workspace(ctx, current=True)
    if pdf_whole and pdf_dir is None:
        pdf_dir = ""
    if pdf_dir == "":
        pdf_dir = default_pdf_dir(ws.config.root)
    if not (html_path or xlsx_path or binder_path or pdf_dir):
        html_path, xlsx_path, binder_path = default_paths(ws.config.root)
    ws.record_history()              # the report's chart ends with today's point
    written, result = write_reports(ws, html_path, xlsx_path, binder_path,
                                    pdf=pdf_dir, pdf_whole=pdf_whole)
    s = result["summary"]
    click.echo(f"预计得分 {result['score']:g} / {result['max_score']:g};材料 {s['materials']} 项,"
               f"齐全 {s['complete']},缺失 {s['missing']}")
    for label, p in written:
        click.echo(f"{label}:{p}")


def _decision(action: str, verb: str, example: str):
    @click.argument("args", nargs=-1, required=True, metavar="MATERIAL FILE… | FILE… MATERIAL")
    @click.option("--user", default=None, help="记录在决定中的操作人(默认为当前系统用户)")
    @click.option("--date", "vouched", default=None, metavar="日期", hidden=action != "assign",
                  help="文件本身没有可信日期时,由操作人认定的证据日期(只用于 assign;"
                       "2022-08-01、2022/8/1、2022年8月1日 等写法均可)")
    @click.pass_context
    def command(ctx, args, user, vouched):
        ws = open_workspace(ctx)
        material, files = _material_and_files(ws, args)
        who = user or system_user()
        shas = ws.decide_many(files, material, action, who,
                              date=parse_day(vouched) if vouched else None)
        material = ws.resolve_material(material)
        m = ws.standard.materials()[material]
        for sha in shas:
            paths = ws.files.paths_of(sha) or [short_id(sha)]
            click.echo(f"已{verb}:{paths[0]}({short_id(sha)})→ {material} {m.title}(操作人 {who})")
        if len(shas) > 1:
            click.echo(f"共 {len(shas)} 个文件")
    examples = [f"yingjian {action} 人武部/征兵工作/2022年征兵工作总结.pdf 10.2a",
                f"yingjian {action} 3f9a1c 2.4a --user 张三"]
    if action == "assign":
        examples.append("yingjian assign 3f9a1c 1.1a --date 2022年8月1日")
    lines = "\n".join(f"      {e}" for e in examples)
    command.__doc__ = f"""{verb}:{example}

    FILE 是文件编号(yingjian files 第一列,或 check、review 列出的建议文件编号;至少 6 位)或
    收件箱中的路径;MATERIAL 是考评标准中的材料编号,如 1.1a。可以一次给出多个文件:材料编号在前、
    文件在后(yingjian {action} 10.1a 编号1 编号2 …),或文件在前、材料编号在最后。每个决定都记录
    操作人和时间,重建索引不会丢失。

    \b
    示例:
{lines}
    """
    return command


def _material_and_files(ws, args: tuple[str, ...]) -> tuple[str, list[str]]:
    """MATERIAL FILE… or FILE… MATERIAL: the material is whichever end the standard knows."""
    materials = ws.standard.materials()
    if len(args) >= 2 and args[0] in materials:
        return args[0], list(args[1:])
    if len(args) >= 2 and args[-1] in materials:
        return args[-1], list(args[:-1])
    if len(args) >= 2:
        return ws.resolve_material(args[-1]), list(args[:-1])   # says what is wrong with it
    raise Fail("decision_needs_material", given=" ".join(args))


@cli.command()
@click.option("--unit", help="只看这个单位上传的文件")
@click.option("--item", "item", metavar="CODE", help="只看这个考评项目(含其下各项)")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="最多列出多少条")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="从第几条开始(翻页)")
@json_option
@click.pass_context
def review(ctx, unit, item, limit, offset, as_json):
    """待审核:所有等待双拥办确认的建议,一票否决项在前,再按确认后可增加的分数排列。

    每条是一个文件和它可能证明的材料,以及它为什么不能自动计分(非责任单位上传、类型不符、
    无法读取内容、日期不是从内容中读出的、按内容自动找到)。确认或排除时可一次给出多个文件。

    \b
    示例:
      yingjian review
      yingjian review --unit 人武部
      yingjian review --item 10 --json

    确认或排除:yingjian confirm 10.1a 编号1 编号2 …;yingjian reject 10.1a 编号1 …
    """
    ws = open_workspace(ctx)
    if unit is not None:
        unit = ws.resolve_unit(unit)
    if item is not None and ws.standard.item(item) is None:
        raise Fail("unknown_item", item=item,
                   closest=closest(item, [it.code for it in ws.standard.walk()]))
    ws.catch_up()
    ws.learn()
    queue = ws.review(unit=unit, item=item, offset=offset, limit=limit)
    if as_json:
        emit_json(queue)
        return
    click.echo(review_text(queue))


def review_text(queue: dict) -> str:
    rows = queue["suggestions"]
    if not rows:
        return "没有待审核的建议。"
    head = f"待审核的建议 {queue['total']} 条(一票否决项在前,再按确认后可增加的分数排列)"
    if len(rows) < queue["total"]:
        head += f",这里是第 {queue['offset'] + 1}–{queue['offset'] + len(rows)} 条"
    lines = [head, "", table(
        ["编号", "单位", "文件", "日期(来源)", "材料", "等待原因"],
        [[r["short"], r["unit"], r["path"].split("/", 1)[-1],
          f"{r['date'] or '-'}({DATE_SOURCE_LABELS.get(r['date_source'], '无')})",
          ("【否决项】" if r["veto"] else "") + f"{r['material']} {r['title']}",
          ";".join(w["text"] for w in r["waits"]) + (f";{r['why_not']}" if r["why_not"] else "")]
         for r in rows], {2: 36, 4: 30, 5: 60})]
    first = rows[0]
    lines += ["", f"确认:yingjian confirm {first['material']} {first['short']} …    "
                  f"排除:yingjian reject {first['material']} {first['short']} …"]
    return "\n".join(lines)


for _action, _verb, _example in (
        ("assign", "指定", "把一个文件指定为某项材料的佐证(计分)"),
        ("reject", "排除", "这个文件不是某项材料的佐证(自动建议或文件夹编号都不再算)"),
        ("unassign", "撤销", "撤销对这个文件和这项材料的决定,恢复自动判断"),
        ("confirm", "确认", "确认自动建议的文件确实是这项材料的佐证(计分)")):
    cli.command(name=_action)(_decision(_action, _verb, _example))
