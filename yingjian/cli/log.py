"""`yingjian log`: the audit trail: who logged in (or failed to), uploaded, decided or changed
an account, when and from where."""
from __future__ import annotations

from datetime import date, datetime

import click

from .. import messages
from .base import cli, emit_json, json_option, open_workspace, parse_day


@cli.command(name="log")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="只列出这一天(含)以来的记录")
@click.option("--user", default=None, help="只列出这个用户的记录")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="只列出最近的 N 条")
@json_option
@click.pass_context
def log_command(ctx, since, user, limit, as_json):
    """审计记录:登录、登录失败、上传、决定和账号变更,各有操作人、时间和来源地址
    (本机命令行的操作没有地址)。

    \b
    示例:
      yingjian log
      yingjian log --since 2026-11-01
      yingjian log --user 李四 --json
    """
    start = None
    if since:
        start = datetime.combine(date.fromisoformat(parse_day(since)), datetime.min.time())
    ws = open_workspace(ctx)
    entries = ws.activity.audit_entries(since=start.timestamp() if start else None, user=user, limit=limit)
    if as_json:
        emit_json({"entries": [{**e, "label": messages.AUDIT_LABELS.get(e["action"], e["action"]),
                                "detail": messages.audit_detail(e)} for e in entries]})
        return
    for e in entries:
        where = e["client"] or messages.AUDIT_NO_CLIENT
        label = messages.AUDIT_LABELS.get(e["action"], e["action"])
        click.echo("\t".join((e["at"], e["user"] or "-", where, label,
                              messages.audit_detail(e))).rstrip())
