"""Several machines: `worker` reads what the watchers archived, `requeue` sends again whatever
the catalog says is pending (yingjian/workers.py and yingjian/cluster.py do the work)."""
from __future__ import annotations

import logging
import time

import click

from .. import cluster, messages, workers
from .base import cli, emit_json, json_option, open_workspace


@cli.command()
@click.option("--queues", metavar="队列",
              help="只处理这些队列,用逗号分隔:extract(读取文件)、ocr(文字识别)、"
                   "previews(缩略图和预览图);默认全部处理")
@click.option("--concurrency", type=click.IntRange(1, 256), default=1, show_default=True,
              help="同时处理几项工作(每项一个读取进程);一般等于这台机器的 CPU 核数")
@click.pass_context
def worker(ctx, queues, concurrency):
    """启动工作进程:读取各监视端归档的文件、识别扫描件和照片中的文字,结果写入资料目录库。

    需要 yingjian.toml 中的 [cluster](任务队列 broker、共享的归档文件 objects,以及资料目录库)。
    可以在任意多台能访问这三者的机器上运行;按 Ctrl+C 停止,手上的工作做完或交回队列。

    \b
    示例:
      yingjian worker
      yingjian worker --queues ocr --concurrency 4
    """
    ws = open_workspace(ctx)
    names = workers.parse_queues(queues)
    logging.basicConfig(filename=ws.config.archive / "worker.log", level=logging.INFO,
                        encoding="utf-8", format="%(asctime)s %(name)s %(levelname)s %(message)s")

    def say(code, data):
        click.echo(f"{time.strftime('%H:%M:%S')} {messages.worker_line(code, data)}")

    code = workers.run_worker(ws, names, concurrency, say)
    click.echo("工作进程已停止")
    ctx.exit(code)


@cli.command()
@json_option
@click.pass_context
def requeue(ctx, as_json):
    """把资料目录库中仍待处理的工作(未读取的文件、未识别的页)重新放入任务队列。

    任务队列(Redis)被清空、重启或数据丢失后运行;已完成的工作不会重做,重复排队的工作只做一次。

    \b
    示例:
      yingjian requeue
      yingjian requeue --json
    """
    ws = open_workspace(ctx)
    r = cluster.requeue(ws)
    if as_json:
        emit_json(r.to_json())
        return
    click.echo(f"已重新排队:{r.extract} 个文件待读取,{r.ocr_files} 个文件的 {r.ocr_pages} 页待文字识别"
               + (f",{r.previews} 个文件待生成预览图" if r.previews else ""))


@cli.command()
@json_option
@click.option("--hours", type=click.FloatRange(0.1, 24 * 30), default=1.0, show_default=True,
              help="列出各工作进程最近几小时完成的工作")
@click.pass_context
def status(ctx, as_json, hours):
    """进度:还有多少文件待读取、多少页待文字识别,任务队列里排着多少任务,各工作进程最近完成了多少。

    单机和多台机器都可使用;多台机器时还显示任务队列(Redis)和每个工作进程。

    \b
    示例:
      yingjian status
      yingjian status --hours 24 --json
    """
    ws = open_workspace(ctx)
    st = cluster.status(ws, hours)
    if as_json:
        emit_json(st.to_json())
        return
    for line in messages.status_lines(st.to_json(), hours):
        click.echo(line)
