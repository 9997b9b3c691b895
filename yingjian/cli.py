"""The command line. One click group; each command's docstring is its --help, with an example.
Errors from the libraries are turned into one Chinese sentence and a hint here, at the edge.
"""
from __future__ import annotations

import json
import logging
import signal
import sys
import time
from functools import wraps
from pathlib import Path

import click

from archive import ArchiveError, CatalogBusy, StoreFull
from archive.errors import CatalogDamaged
from archive.errors import InboxUnavailable
from checklist import MappingError, StandardError

from . import __version__, records
from .config import WorkspaceError
from .text import KIND_LABELS, files_table, readiness_text
from .workspace import Workspace, init as init_workspace

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Fail(click.ClickException):
    """A message for the user, in Chinese, with an optional hint on the next line."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint

    def show(self, file=None):
        click.echo(f"错误:{self.message}", err=True)
        if self.hint:
            click.echo(f"提示:{self.hint}", err=True)


def _translate(fn):
    """Domain errors become one clear sentence; tracebacks only with --debug."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WorkspaceError as e:
            raise Fail(e.message, e.hint)
        except InboxUnavailable as e:
            raise Fail(f"无法访问收件箱 {e.path}", "检查网络共享是否已连接,或 yingjian.toml 中的 inbox 路径")
        except CatalogBusy as e:
            raise Fail(f"资料目录库正被另一个程序占用(已等待 {e.waited:.0f} 秒)",
                       "稍后再试,或关闭正在运行的另一个 yingjian")
        except CatalogDamaged as e:
            raise Fail(f"资料目录库 {e.path} 已损坏,无法读取",
                       "请从备份恢复 catalog.sqlite;归档的文件本身(archive/objects)不受影响")
        except StoreFull as e:
            raise Fail(f"归档所在的磁盘空间不足({e.path}),本次未完成的文件没有留下任何残缺记录",
                       "清理磁盘或把归档移到更大的磁盘后,重新运行即可继续")
        except ArchiveError as e:
            raise Fail(f"归档出错:{e}")
        except StandardError as e:
            raise Fail(str(e), "修改考评标准文件后再试;yingjian standard check 可以单独检查它")
        except MappingError as e:
            raise Fail(str(e))
    return wrapper


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="输出 JSON(供脚本使用)")(fn)


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version")
@click.option("--workspace", "-w", type=click.Path(file_okay=False), default=None,
              help="工作区文件夹(默认:环境变量 YINGJIAN_HOME,或当前文件夹及其上级)")
@click.option("--debug", is_flag=True, hidden=True, help="出错时显示完整的调试信息")
@click.pass_context
def cli(ctx, workspace, debug):
    """yingjian(迎检):双拥模范城迎检资料的归档、检索与准备情况检查。

    \b
    快速开始:
      yingjian demo                 用示例资料演示全过程
      yingjian init 迎检资料库       新建工作区
      yingjian ingest               把各单位文件夹里的新文件归档一次
      yingjian watch                持续监视各单位文件夹
    """
    ctx.obj = {"workspace": workspace, "debug": debug}


def open_workspace(ctx) -> Workspace:
    ws = Workspace.open(ctx.obj["workspace"])
    ctx.call_on_close(ws.close)
    return ws


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--standard", type=click.Path(dir_okay=False, exists=True),
              help="考评标准文件(YAML);默认使用内置的示例标准")
@click.option("--units", help="成员单位,用逗号分隔;默认取考评标准中的责任单位")
@click.option("--inbox", help="收件箱位置(可以是网络共享);默认为工作区内的 inbox")
@_translate
def init(directory, standard, units, inbox):
    """新建工作区:配置文件、考评标准、每个成员单位一个收件文件夹、归档库。

    \b
    示例:
      yingjian init 迎检资料库 --units 双拥办,人武部,教育局
    """
    unit_list = [u.strip() for u in units.replace(",", ",").split(",") if u.strip()] if units else None
    config = init_workspace(Path(directory), Path(standard) if standard else None, unit_list, inbox)
    click.echo(f"已创建工作区:{config.root}")
    click.echo(f"收件箱:{config.inbox}(每个单位一个文件夹,共 {len(config.units)} 个)")
    click.echo(f"下一步:把资料放进单位文件夹,然后运行 yingjian -w {directory} ingest")


@cli.command()
@click.option("--no-ocr", is_flag=True, help="只归档,不识别扫描件和照片中的文字(之后运行 ingest 或 watch 时再识别)")
@json_option
@click.pass_context
@_translate
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
    ing = ws.ingestor()
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
        summary = ing.ingest_pass(progress=progress, on_total=on_total)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    ws.sync_index()       # archived files are searchable by name at once, their OCR text follows
    ocr = None
    if ws.config.ocr and not no_ocr:
        ocr = run_ocr(ws, show)
        ws.sync_index()
    if as_json:
        out = summary.to_json()
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
            click.echo(f"  {p['path']}\n    {p['reason']}")


def run_ocr(ws, show: bool):
    """OCR every page waiting for it, with a progress line on a terminal."""
    last = [0.0]

    def progress(p):
        if show and p.pages_total and (time.monotonic() - last[0] > 0.5 or p.pages_done == p.pages_total):
            last[0] = time.monotonic()
            click.echo(f"\r文字识别中:{p.pages_done}/{p.pages_total} 页,"
                       f"每分钟 {p.pages_per_minute:.1f} 页 ", nl=False, err=True)

    with ws.ocr_queue() as q:
        result = q.run(progress)
    if show and result.pages_total:
        click.echo("", err=True)
    return result


@cli.command()
@click.option("--poll", type=float, default=None, metavar="SECONDS",
              help="每隔几秒轮询一次(网络共享请使用,如 --poll 10)")
@click.pass_context
@_translate
def watch(ctx, poll):
    """持续监视各单位文件夹:启动时全面扫描一次,之后文件一复制完成就归档。按 Ctrl+C 停止。

    \b
    示例:
      yingjian watch
      yingjian watch --poll 10      收件箱在网络共享上时
    """
    from archive.watch import Watcher
    from archive.ingest import Outcome

    ws = open_workspace(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    poll = poll if poll is not None else (ws.config.watch.poll_seconds or None)
    labels = {Outcome.INGESTED: "已归档", Outcome.DUPLICATE: "已归档(内容重复)",
              Outcome.REFUSED: "未归档"}

    def on_result(r):
        stamp = time.strftime("%H:%M:%S")
        click.echo(f"{stamp} {labels.get(r.outcome, r.outcome.value)} {r.rel}")
        for path, reason in r.problems:
            click.echo(f"         ⚠ {path}:{reason}")

    last_sync = [0.0]
    ocr = ws.ocr_queue() if ws.config.ocr else None
    reported = [0]
    seen_seq = [-1]

    def after_step():
        # OCR runs in worker processes: queue new pages, save finished ones, never wait
        if ocr is not None:
            seq = ws.catalog.last_seq()
            if seq != seen_seq[0]:          # something was archived: look for pages to read
                seen_seq[0] = seq
                ocr.submit()
            ocr.collect(timeout=0)
            if ocr.progress.files_done > reported[0]:
                reported[0] = ocr.progress.files_done
                p = ocr.progress
                click.echo(f"{time.strftime('%H:%M:%S')} 文字识别:已完成 {p.files_done} 个文件,"
                           f"{p.pages_done}/{p.pages_total} 页,每分钟 {p.pages_per_minute:.1f} 页")
        # one index commit every few seconds at most, however fast files arrive
        if time.monotonic() - last_sync[0] >= 3.0:
            last_sync[0] = time.monotonic()
            ws.sync_index()

    watcher = Watcher(ws.ingestor(), poll=poll, reconcile_every=ws.config.watch.reconcile_seconds,
                      on_result=on_result, after_step=after_step)
    mode = f"每 {poll:g} 秒轮询" if poll else "文件系统事件"
    click.echo(f"正在监视 {ws.config.inbox}({mode});按 Ctrl+C 停止")
    # a service manager stops us with SIGTERM: finish the step in hand and close the OCR pool
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    try:
        watcher.run()
    except KeyboardInterrupt:
        pass
    finally:
        if ocr is not None:
            ocr.close()
        click.echo("已停止监视")


@cli.command()
@click.option("--unit", help="只列出这个单位的文件")
@json_option
@click.pass_context
@_translate
def files(ctx, unit, as_json):
    """列出归档中的文件,每个文件一行:单位、路径、类型、证据日期及来源、页数、字数、状态、版本数。

    \b
    示例:
      yingjian files --unit 人武部
      yingjian files --json
    """
    ws = open_workspace(ctx)
    rows = records.files(ws.catalog, unit)
    if as_json:
        emit_json({"files": rows})
        return
    if not rows:
        click.echo("归档中还没有文件。把资料放进单位文件夹后运行 yingjian ingest")
        return
    click.echo(files_table(rows))
    click.echo(f"\n共 {len(rows)} 个文件")


@cli.command()
@click.option("--unit", help="只列出这个单位的问题文件")
@json_option
@click.pass_context
@_translate
def problems(ctx, unit, as_json):
    """列出需要人工处理的文件(损坏、加密、不完整、过大、不支持等)及原因。

    \b
    示例:
      yingjian problems
      yingjian problems --json
    """
    ws = open_workspace(ctx)
    rows = records.problems(ws.catalog, unit)
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
@click.argument("query")
@click.option("--unit", help="只搜索这个单位的文件")
@click.option("--item", help="只搜索对应这个考评项目或材料的文件")
@click.option("--kind", type=click.Choice(["document", "photo", "ledger", "video", "other"]),
              help="文件类型:document 文档、photo 照片、ledger 台账、video 视频、other 其他")
@click.option("--year", help="证据日期所在年份,如 2021")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="证据日期不早于")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="证据日期不晚于")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="最多显示多少条")
@json_option
@click.pass_context
@_translate
def search(ctx, query, unit, item, kind, year, date_from, date_to, limit, as_json):
    """全文搜索归档中的文件(中文逐字匹配,人名地名也能找到)。

    多个词表示同时包含;可用 OR、NOT(或 -词)和 "引号中的短语"。

    \b
    示例:
      yingjian search 烈士陵园
      yingjian search "走访慰问" --unit 双拥办 --year 2022
      yingjian search 征兵 OR 兵员 -草稿 --json
    """
    from indexer import QueryError

    ws = open_workspace(ctx)
    ws.sync_index()
    try:
        res = ws.index.search(query, unit=unit, kind=kind, year=year, item=item,
                              date_from=date_from, date_to=date_to, limit=limit,
                              text_of=ws.text_of)
    except QueryError as e:
        raise Fail(str(e), "例如:yingjian search 烈士陵园")
    if as_json:
        emit_json(res.to_json())
        return
    if not res.hits:
        click.echo(f"没有找到包含「{query}」的文件。")
        return
    click.echo(f"找到{' 约' if res.estimated else ''} {res.total} 个文件"
               + (f",显示前 {len(res.hits)} 个" if res.total > len(res.hits) else ""))
    for h in res.hits:
        click.echo(f"\n{h.path}  [{KIND_LABELS.get(h.kind, h.kind)} {h.date or '日期不详'}]")
        click.echo(f"  {h.snippet}")
    units = "、".join(f"{k} {v}" for k, v in sorted(res.facets.get("unit", {}).items(),
                                                    key=lambda kv: -kv[1]))
    click.echo(f"\n按单位:{units}")


@cli.command()
@click.pass_context
@_translate
def reindex(ctx):
    """从资料目录库重建搜索索引(索引损坏或被删除时使用;人工确认的结果不会丢失)。

    \b
    示例:
      yingjian reindex
    """
    ws = open_workspace(ctx)
    n = ws.index.rebuild(ws.catalog)
    click.echo(f"搜索索引已重建:{n} 个文件")


@cli.command()
@click.option("--unit", help="只显示这个单位的任务清单")
@json_option
@click.pass_context
@_translate
def check(ctx, unit, as_json):
    """迎检准备情况检查:每项材料是否齐全、缺哪些年度、由哪个单位负责,预计得分。

    一票否决项排在最前。只有确认过的佐证计分(按文件夹编号归档的、或人工确认的);
    按内容自动找到的“建议”文件确认后才计分。打不开的文件、日期不在考评周期内的文件不计。

    \b
    示例:
      yingjian check
      yingjian check --unit 人武部
      yingjian check --json > 准备情况.json
    """
    ws = open_workspace(ctx)
    ws.sync_index()
    result = ws.check()
    if unit is not None and unit not in {u["unit"] for u in result["units"]}:
        raise Fail(f"考评标准中没有责任单位“{unit}”",
                   "可选:" + "、".join(u["unit"] for u in result["units"]))
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
@click.pass_context
@_translate
def report(ctx, html_path, xlsx_path, binder_path):
    """生成迎检准备情况报告(HTML、Excel)和迎检资料汇编(ZIP)。

    不指定文件时三样都生成,放在工作区的 reports 文件夹。资料汇编按一级项目、考评内容分文件夹,
    文件按日期命名,内含总目录 index.html 和自评表。

    \b
    示例:
      yingjian report
      yingjian report --html 报告.html --xlsx 报告.xlsx
      yingjian report --binder 迎检资料汇编.zip
    """
    from .reports import default_paths, write_reports
    ws = open_workspace(ctx)
    ws.sync_index()
    if not (html_path or xlsx_path or binder_path):
        html_path, xlsx_path, binder_path = default_paths(ws)
    result = ws.check()
    written = write_reports(ws, html_path, xlsx_path, binder_path)
    s = result["summary"]
    click.echo(f"预计得分 {result['score']:g} / {result['max_score']:g};材料 {s['materials']} 项,"
               f"齐全 {s['complete']},缺失 {s['missing']}")
    for label, p in written:
        click.echo(f"{label}:{p}")


def _decision(action: str, verb: str, example: str):
    @click.argument("file")
    @click.argument("material")
    @click.option("--user", default=None, help="记录在决定中的操作人(默认为当前系统用户)")
    @click.pass_context
    @_translate
    def command(ctx, file, material, user):
        ws = open_workspace(ctx)
        who = user or _system_user()
        sha = ws.decide(file, material, action, who)
        ws.sync_index()
        m = ws.standard.materials()[material]
        paths = [r["path"] for r in ws.catalog.sources_of(sha)] or [sha[:12]]
        click.echo(f"已{verb}:{paths[0]} → {material} {m.title}(操作人 {who})")
    command.__doc__ = f"""{verb}:{example}

    FILE 是文件编号(yingjian files --json 中的 id,前 6 位以上即可)或收件箱中的路径;
    MATERIAL 是考评标准中的材料编号,如 1.1a。每个决定都记录操作人和时间,重建索引不会丢失。

    \b
    示例:
      yingjian {action} 人武部/征兵工作/2022年征兵工作总结.pdf 10.2a
      yingjian {action} 3f9a1c 2.4b --user 张三
    """
    return command


def _system_user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return "未知"


for _action, _verb, _example in (
        ("assign", "指定", "把一个文件指定为某项材料的佐证(计分)"),
        ("reject", "排除", "这个文件不是某项材料的佐证(自动建议或文件夹编号都不再算)"),
        ("unassign", "撤销", "撤销对这个文件和这项材料的决定,恢复自动判断"),
        ("confirm", "确认", "确认自动建议的文件确实是这项材料的佐证(计分)")):
    cli.command(name=_action)(_decision(_action, _verb, _example))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址;只在本机使用时保持默认,供局域网访问时设为 0.0.0.0")
@click.option("--port", default=8420, show_default=True, type=int, help="端口")
@click.option("--threads", default=8, show_default=True, type=int, help="同时处理的请求数")
@click.pass_context
@_translate
def serve(ctx, host, port, threads):
    """启动网页版(搜索、查看文件、考评项目、单位任务、问题文件、报告、上传)。

    先用 yingjian user add 创建账号。默认只允许本机访问;供各单位通过局域网访问时加 --host 0.0.0.0。

    \b
    示例:
      yingjian serve
      yingjian serve --host 0.0.0.0 --port 8420
    """
    from waitress import serve as waitress_serve

    from .users import Users
    from .web import create_app
    ws = open_workspace(ctx)
    if not Users(ws.catalog, ws.config.units).all():
        raise Fail("还没有任何账号,网页版无法登录",
                   f"先运行 yingjian -w {ws.config.root} user add 用户名 --office")
    app = create_app(ws.config.root)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"网页版已启动:http://{shown}:{port}/  (按 Ctrl+C 停止)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="yingjian")


@cli.group()
def user():
    """网页版账号:双拥办账号可查看和决定全部内容;单位账号只能看到本单位的文件和任务。

    \b
    示例:
      yingjian user add 张三 --office
      yingjian user add 李四 --unit 人武部
      yingjian user list
    """


@user.command(name="add")
@click.argument("name")
@click.option("--office", is_flag=True, help="双拥办账号(查看和决定全部内容)")
@click.option("--unit", help="单位账号:只能看到这个单位的文件和任务")
@click.option("--password", default=None, help="密码(不给时会提示输入;脚本中可用环境变量 YINGJIAN_PASSWORD)")
@click.option("--replace", is_flag=True, help="用户已存在时重设密码")
@click.pass_context
@_translate
def user_add(ctx, name, office, unit, password, replace):
    """新建网页版账号(密码以 scrypt 加盐散列保存)。

    \b
    示例:
      yingjian user add 张三 --office
      yingjian user add 李四 --unit 人武部
    """
    import os

    from .users import UserError, Users
    password = password or os.environ.get("YINGJIAN_PASSWORD") or click.prompt(
        "密码", hide_input=True, confirmation_prompt="再输入一次")
    ws = open_workspace(ctx)
    try:
        u = Users(ws.catalog, ws.config.units).add(name, password, office=office, unit=unit,
                                                   replace=replace)
    except UserError as e:
        raise Fail(str(e))
    click.echo(f"已创建账号 {u.name}({'双拥办' if u.is_office else u.unit})")


@user.command(name="list")
@click.pass_context
@_translate
def user_list(ctx):
    """列出网页版账号。

    \b
    示例:
      yingjian user list
    """
    from .users import Users
    ws = open_workspace(ctx)
    for u in Users(ws.catalog, ws.config.units).all():
        click.echo(f"{u.name}\t{'双拥办' if u.is_office else u.unit}")


@cli.group()
def standard():
    """考评标准:检查标准文件、从 Excel 考评表导入、生成空白模板。

    \b
    示例:
      yingjian standard check
      yingjian standard import 考评标准.xlsx -o standard.yaml
      yingjian standard template --xlsx 考评标准模板.xlsx
    """


@standard.command(name="check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, exists=True))
@click.pass_context
@_translate
def standard_check(ctx, file):
    """检查考评标准文件(YAML 或 Excel),列出所有错误及所在行;不给文件时检查工作区正在使用的标准。

    \b
    示例:
      yingjian standard check
      yingjian standard check 新标准.yaml
    """
    from checklist import load
    path = Path(file) if file else Workspace.open(ctx.parent.obj["workspace"]).config.standard
    std = load(path)
    items = list(std.walk())
    leaves = [i for i in items if not i.children]
    click.echo(f"{std.title}:考评周期 {std.start} 至 {std.end}")
    click.echo(f"一级项目 {len(std.items)} 个,考评内容 {len(leaves)} 条,材料 {len(std.materials())} 项,"
               f"总分 {sum(i.points for i in std.items if not i.bonus):g}"
               f",一票否决 {sum(1 for i in leaves if i.veto)} 条,加分 {sum(1 for i in leaves if i.bonus)} 条")
    without = [m.id for m in std.materials().values() if not m.query]
    if without:
        click.echo(f"提示:{len(without)} 项材料没有检索条件 query,只能靠文件夹编号或人工指定:"
                   + "、".join(without[:20]) + ("…" if len(without) > 20 else ""))
    click.echo("检查通过")


@standard.command(name="import")
@click.argument("xlsx", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="写入的 YAML 文件(默认与 Excel 同名)")
@click.option("--period", default=None, metavar="2020-2023", help="考评周期(标题中没有写明时)")
@_translate
def standard_import(xlsx, output, period):
    """把 Excel 考评表(考评项目 | 序号 | 考评内容 | 分值 | 评分标准 | 责任单位)转为标准文件。

    一级项目可以是合并单元格;可选列“佐证材料”“材料类型”“检索词”细化每项材料。
    生成的 YAML 可以直接编辑,再用 yingjian init --standard 或替换工作区的 standard.yaml 使用。

    \b
    示例:
      yingjian standard import 2024年考评标准.xlsx -o standard.yaml --period 2020-2023
    """
    from checklist import dump
    from checklist.xlsx import _period_from, import_xlsx
    span = None
    if period:
        span = _period_from(period)
        if span is None:
            raise Fail(f"无法识别考评周期 {period}", "写成 2020-2023 的形式")
    std = import_xlsx(Path(xlsx), span)
    out = Path(output) if output else Path(xlsx).with_suffix(".yaml")
    out.write_text(dump(std), encoding="utf-8")
    click.echo(f"已导入 {len(list(std.walk()))} 个考评项目、{len(std.materials())} 项材料 → {out}")


@standard.command(name="template")
@click.option("--xlsx", "xlsx", required=True, type=click.Path(dir_okay=False),
              help="写入的 Excel 文件")
@_translate
def standard_template(xlsx):
    """生成空白的 Excel 考评表模板(含示例行和填写说明),分发给各单位或用于整理本省标准。

    \b
    示例:
      yingjian standard template --xlsx 考评标准模板.xlsx
    """
    from checklist.xlsx import template
    click.echo(f"已生成模板:{template(Path(xlsx))}")


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@_translate
def demo(directory):
    """用内置示例资料建一个演示工作区,并完整运行一遍(归档、读取、列出问题)。

    \b
    示例:
      yingjian demo                 在 ./yingjian-demo 中演示
      yingjian demo /tmp/演示
    """
    from .demo import run_demo
    run_demo(Path(directory or "yingjian-demo"), click.echo)


def main(argv=None):
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="yingjian", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        if debug:
            raise
        import traceback
        click.echo("错误:发生了意外的程序错误。请带上以下信息联系维护人员:", err=True)
        click.echo(traceback.format_exc(limit=3), err=True)
        sys.exit(2)
    sys.exit(0)
