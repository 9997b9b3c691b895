"""The web app and its accounts: `serve`, `user add`, `user list`."""
from __future__ import annotations

import click

from .base import Fail, cli, open_workspace

@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址;只在本机使用时保持默认,供局域网访问时设为 0.0.0.0")
@click.option("--port", default=8420, show_default=True, type=int, help="端口")
@click.option("--threads", default=8, show_default=True, type=int, help="同时处理的请求数")
@click.pass_context
def serve(ctx, host, port, threads):
    """启动网页版(搜索、查看文件、考评项目、单位任务、问题文件、报告、上传)。

    先用 yingjian user add 创建账号。默认只允许本机访问;供各单位通过局域网访问时加 --host 0.0.0.0。

    \b
    示例:
      yingjian serve
      yingjian serve --host 0.0.0.0 --port 8420
    """
    import errno

    from waitress import create_server

    from ..web import create_app
    ws = open_workspace(ctx)
    if not ws.users.all():
        raise Fail("no_accounts", root=str(ws.config.root))
    app = create_app(ws.config.root)
    try:                       # bind first: "started" is only said of a server that listens
        server = create_server(app, host=host, port=port, threads=threads, ident="yingjian")
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise Fail("port_in_use", port=port, other=port + 1 if port < 65535 else 8420)
        raise
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"网页版已启动:http://{shown}:{port}/  (按 Ctrl+C 停止)")
    try:
        server.run()
    finally:
        server.close()


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
@click.option("--unit", metavar="单位", help="单位账号:只能看到这个单位的文件和任务")
@click.option("--password", default=None, envvar="YINGJIAN_PASSWORD", show_envvar=False,
              help="密码(不给时会提示输入;脚本中可用环境变量 YINGJIAN_PASSWORD)")
@click.option("--replace", is_flag=True, help="用户已存在时重设密码")
@click.pass_context
def user_add(ctx, name, office, unit, password, replace):
    """新建网页版账号(密码以 scrypt 加盐散列保存)。

    \b
    示例:
      yingjian user add 张三 --office
      yingjian user add 李四 --unit 人武部
    """
    password = password or click.prompt(
        "密码", hide_input=True, confirmation_prompt="再输入一次")
    ws = open_workspace(ctx)
    u = ws.users.add(name, password, office=office, unit=unit, replace=replace)
    click.echo(f"已创建账号 {u.name}({'双拥办' if u.is_office else u.unit})")


@user.command(name="list")
@click.pass_context
def user_list(ctx):
    """列出网页版账号。

    \b
    示例:
      yingjian user list
    """
    ws = open_workspace(ctx)
    for u in ws.users.all():
        click.echo(f"{u.name}\t{'双拥办' if u.is_office else u.unit}")
