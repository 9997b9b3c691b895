"""Archiving: make a workspace, ingest, watch, list what the archive holds, rebuild the index,
the demo."""
from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path

import click

from .. import messages, records
from ..text import files_table
from ..config import parse_units
from ..workspace import init as init_workspace
from .base import cli, emit_json, json_option, open_workspace

@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--standard", type=click.Path(dir_okay=False, exists=True),
              help="考评标准文件(YAML);默认使用内置的示例标准")
@click.option("--units", help="成员单位,用逗号、顿号、分号或空格分隔;默认取考评标准中的责任单位")
@click.option("--inbox", help="收件箱位置(可以是网络共享);默认为工作区内的 inbox")
def init(directory, standard, units, inbox):
    """新建工作区:配置文件、考评标准、每个成员单位一个收件文件夹、归档库。

    \b
    示例:
      yingjian init 迎检资料库 --units 双拥办,人武部,教育局
      yingjian init 迎检资料库 --units "双拥办、人武部、教育局"
    """
    unit_list = parse_units(units) if units is not None else None
    config = init_workspace(Path(directory), Path(standard) if standard else None, unit_list, inbox)
    click.echo(f"已创建工作区:{config.root}")
    click.echo(f"收件箱:{config.inbox}(每个单位一个文件夹,共 {len(config.units)} 个)")
    click.echo(f"下一步:把资料放进单位文件夹,然后运行 yingjian -w {directory} ingest")


@cli.command()
@click.option("--no-ocr", is_flag=True, help="只归档,不识别扫描件和照片中的文字(之后运行 ingest 或 watch 时再识别)")
@json_option
@click.pass_context
def ingest(ctx, no_ocr, as_json):
    """把收件箱中新增或修改的文件归档一次,识别扫描件和照片中的文字(OCR),然后退出。

    仍在复制中的文件会等它复制完成;单位删除的文件在归档中保留并标记为"已撤回"。
    文件先归档,文字识别随后进行,并显示进度(页数、每分钟页数)。

    \b
    示例:
      yingjian ingest
      yingjian ingest --no-ocr
      yingjian ingest --json
    """
    ws = open_workspace(ctx)
    show = sys.stderr.isatty() and not as_json
    bar = None

    def on_total(n):
        nonlocal bar
        if show and n:
            bar = click.progressbar(length=n, label="归档中", file=sys.stderr, show_pos=True)
            bar.__enter__()

    def progress(rel):
        if bar is not None:
            bar.update(1)

    try:
        summary = ws.ingest_pass(progress=progress, on_total=on_total, on_event=lambda code, data:
                                 click.echo(f"⚠ {messages.watch_event(code, **data)}", err=True))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    ocr = None
    if ws.ocr_here and not no_ocr:
        ocr = run_ocr(ws, show)
    if summary.ingested or summary.withdrawn or summary.duplicates:
        ws.record_history()          # readiness over time: today's point, if it changed
    if as_json:
        out = records.pass_summary(summary)
        if ocr is not None:
            out["ocr"] = ocr.to_json()
        emit_json(out)
        return
    s = summary
    click.echo(f"扫描 {s.scanned} 个文件:新归档 {s.ingested},内容重复 {s.duplicates},"
               f"未变化 {s.unchanged},已撤回 {s.withdrawn}")
    if ocr is not None and ocr.pages_total:
        click.echo(f"文字识别:{ocr.files_done} 个文件 {ocr.pages_done} 页,"
                   f"每分钟 {ocr.pages_per_minute:.1f} 页")
    if s.pending:
        click.echo(f"{s.pending} 个文件仍在写入,下次运行时再处理")
    if s.problems:
        click.echo(f"\n{len(s.problems)} 个文件需要处理:")
        for p in s.problems:
            click.echo(f"  {p['path']}\n    {messages.reason(p['reason'])}")


def run_ocr(ws, show: bool):
    """OCR every page waiting for it, with a progress line on a terminal."""
    last = [0.0]

    def progress(p):
        if show and p.pages_total and (time.monotonic() - last[0] > 0.5 or p.pages_done == p.pages_total):
            last[0] = time.monotonic()
            click.echo(f"\r文字识别中:{p.pages_done}/{p.pages_total} 页,"
                       f"每分钟 {p.pages_per_minute:.1f} 页 ", nl=False, err=True)

    result = ws.read_scans(progress)
    if show and result.pages_total:
        click.echo("", err=True)
    return result


@cli.command()
@click.option("--poll", type=float, default=None, metavar="SECONDS",
              help="每隔几秒轮询一次(网络共享请使用,如 --poll 10)")
@click.pass_context
def watch(ctx, poll):
    """持续监视各单位文件夹:启动时全面扫描一次,之后文件一复制完成就归档。按 Ctrl+C 停止。

    \b
    示例:
      yingjian watch
      yingjian watch --poll 10      收件箱在网络共享上时
    """
    from ..watching import WatchCallbacks, WatchService

    ws = open_workspace(ctx)

    def stamp() -> str:
        return time.strftime("%H:%M:%S")

    def on_result(r):
        click.echo(f"{stamp()} {messages.OUTCOME_LABELS.get(r.outcome.value, r.outcome.value)} {r.rel}")
        for path, reason in r.problems:
            click.echo(f"         ⚠ {path}:{messages.reason(reason)}")

    def on_ocr(p):
        click.echo(f"{stamp()} 文字识别:已完成 {p.files_done} 个文件,"
                   f"{p.pages_done}/{p.pages_total} 页,每分钟 {p.pages_per_minute:.1f} 页")

    def on_event(code, data):
        click.echo(f"{stamp()} ⚠ {messages.watch_event(code, **data)}", err=True)

    # tracebacks of survived faults go to a log file for the maintainer, not the clerk's screen
    logging.basicConfig(filename=ws.config.archive / "watch.log", level=logging.INFO, encoding="utf-8",
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    service = WatchService(ws, poll, WatchCallbacks(on_result, on_ocr, on_event))
    mode = f"每 {service.poll:g} 秒轮询" if service.poll else "文件系统事件"
    click.echo(f"正在监视 {ws.config.inbox}({mode});按 Ctrl+C 停止")
    # a service manager stops us with SIGTERM: finish the step in hand and close the OCR pool
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    try:
        service.run()
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("已停止监视")


@cli.command()
@click.option("--unit", metavar="单位", help="只列出这个单位的文件")
@json_option
@click.pass_context
def files(ctx, unit, as_json):
    """列出归档中的文件,每个文件一行:编号、单位、路径、类型、证据日期及来源、页数、字数、状态、版本数。

    编号(第一列)可用在 confirm、assign 等命令中代替文件路径。

    \b
    示例:
      yingjian files --unit 人武部
      yingjian files --json
    """
    ws = open_workspace(ctx)
    unit = ws.resolve_unit(unit) if unit is not None else None
    rows = ws.files.records(unit)
    if as_json:
        emit_json({"files": rows})
        return
    if not rows:
        click.echo("归档中还没有文件。把资料放进单位文件夹后运行 yingjian ingest")
        return
    click.echo(files_table(rows))
    click.echo(f"\n共 {len(rows)} 个文件")


@cli.command()
@click.option("--unit", metavar="单位", help="只列出这个单位的问题文件")
@json_option
@click.pass_context
def problems(ctx, unit, as_json):
    """列出需要人工处理的文件(损坏、加密、不完整、过大、不支持等)及原因。

    \b
    示例:
      yingjian problems
      yingjian problems --unit 人武部
      yingjian problems --json
    """
    ws = open_workspace(ctx)
    unit = ws.resolve_unit(unit) if unit is not None else None
    rows = ws.files.problems(unit)
    if as_json:
        emit_json({"problems": rows})
        return
    if not rows:
        click.echo("没有需要处理的问题文件。")
        return
    for r in rows:
        click.echo(f"{r['path']}\n  {r['reason']}")
    click.echo(f"\n共 {len(rows)} 个问题文件;请通知相关单位重新上传")




@cli.command()
@click.argument("file", metavar="FILE")
@json_option
@click.pass_context
def retry(ctx, file, as_json):
    """重新读取一个文件:读取时程序异常退出、超出内存限制、超时或多次中断而不再自动重试的文件,
    由双拥办要求再试一次(例如更新软件之后)。文件内容改变后会自动重新读取,不需要此命令。

    FILE:文件编号(至少 6 位)或收件箱中的路径。

    \b
    示例:
      yingjian retry 3f9a1c
      yingjian retry 人武部/征兵工作/2022年征兵工作总结.pdf
      yingjian retry 3f9a1c --json
    """
    ws = open_workspace(ctx)
    r = ws.retry(file)
    if as_json:
        emit_json(r.to_json())
        return
    where = "、".join(r.paths) or r.id[:8]
    if r.status == "pending":
        click.echo(f"已把 {r.id[:8]}({where})交给工作进程重新读取;读取后用 yingjian files 查看结果")
    elif r.status == "problem":
        click.echo(f"已重新读取 {r.id[:8]}({where}),仍有问题:{r.reason}")
    elif r.status == "warning":
        click.echo(f"已重新读取 {r.id[:8]}({where}),已读取,提醒:{r.reason}")
    else:
        click.echo(f"已重新读取 {r.id[:8]}({where}),读取正常")


@cli.group()
def unit():
    """成员单位:新建单位(配置中的名称和收件箱中的文件夹)、列出单位。

    \b
    示例:
      yingjian unit add 教育局
      yingjian unit list
    """


@unit.command(name="add")
@click.argument("name")
@click.pass_context
def unit_add(ctx, name):
    """新建成员单位:写入 yingjian.toml,并在收件箱中建它的文件夹。

    放在这个名称的文件夹中、此前因“不是已知单位”未归档的文件,下次归档时会自动归档。

    \b
    示例:
      yingjian unit add 教育局
    """
    ws = open_workspace(ctx)
    folder = ws.add_unit(name)
    click.echo(f"已新建单位 {name.strip()},收件文件夹:{folder}")
    click.echo("下一步:运行 yingjian ingest 归档该文件夹中的文件")


@unit.command(name="list")
@click.pass_context
def unit_list(ctx):
    """列出工作区的成员单位和各自已归档的文件数。

    \b
    示例:
      yingjian unit list
    """
    ws = open_workspace(ctx)
    counts = ws.files.unit_counts()
    for u in ws.config.units:
        click.echo(f"{u}\t{counts.get(u, 0)} 个文件")
    missing = [u for u in ws.standard.units() if u not in ws.config.units]
    if missing:
        click.echo(f"\n标准中的责任单位未建文件夹:{'、'.join(missing)}")


@cli.command()
@click.pass_context
def reindex(ctx):
    """从资料目录库重建搜索索引(索引损坏或被删除时使用;人工确认的结果不会丢失)。

    \b
    示例:
      yingjian reindex
    """
    ws = open_workspace(ctx)
    n = ws.rebuild_index()
    click.echo(f"搜索索引已重建:{n} 个文件")



@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo(directory):
    """用内置示例资料建一个演示工作区,并完整运行一遍(归档、读取、列出问题)。

    \b
    示例:
      yingjian demo                 在 ./yingjian-demo 中演示
      yingjian demo /tmp/演示
    """
    from ..demo import run_demo
    run_demo(Path(directory or "yingjian-demo"), click.echo)
