"""`yingjian db copy --to postgresql://…`: the workspace's SQLite database into PostgreSQL, for
several machines (yingjian/db_copy.py does the work)."""
from __future__ import annotations

import click

from .. import db_copy, messages
from .base import Fail, cli, emit_json, json_option, open_workspace


@cli.group(name="db")
def db():
    """工作区的数据库(多台机器共用 PostgreSQL 时)。

    \b
    示例:
      yingjian db copy --to postgresql://yingjian:密码@192.168.1.10:5432/yingjian
    """


@db.command(name="copy")
@click.option("--to", "target", required=True, metavar="postgresql://…",
              help="目标 PostgreSQL 数据库的地址")
@click.option("--replace", "replace_target", is_flag=True, help="目标数据库已有记录时清空后覆盖")
@json_option
@click.pass_context
def db_copy_command(ctx, target, replace_target, as_json):
    """把工作区的 SQLite 数据库完整复制到 PostgreSQL,复制后逐表核对行数和内容散列。
    原来的 SQLite 文件只读不改;核对一致后,按提示在 yingjian.toml 中加入 [cluster] database
    即改用 PostgreSQL。

    \b
    示例:
      yingjian db copy --to postgresql://yingjian:密码@192.168.1.10:5432/yingjian
      yingjian db copy --to postgresql://yingjian@db/yingjian --replace --json
    """
    if not target.startswith(("postgresql://", "postgres://")):
        raise Fail("cluster_option_invalid", path="--to", key="database", value=repr(target),
                   form="postgresql://…")
    ws = open_workspace(ctx)
    try:
        result = db_copy.copy_database(ws.config, target, replace_target=replace_target)
    except db_copy.CopyError as e:
        if as_json and "result" in e.data:
            emit_json(e.data["result"])
        raise Fail.of(e) from e
    finally:
        ws.close()
    if as_json:
        emit_json(result)
        return
    for t in result["tables"]:
        click.echo(messages.DB_COPY_TABLE.format(table=t["table"], rows=t["rows"],
                                                 verdict=messages.DB_COPY_SAME))
    click.echo(messages.DB_COPY_DONE.format(source=result["source"], target=result["target"],
                                            tables=len(result["tables"]), rows=result["rows"]))
    click.echo(messages.DB_COPY_SWITCH)
    click.echo(result["config_line"])
