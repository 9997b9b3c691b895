"""The web app and its accounts: `serve` (HTTP, or HTTPS with a certificate), `user add`,
`user passwd`, `user remove`, `user list`."""
from __future__ import annotations

import click

from .. import messages, province
from .base import Fail, cli, open_workspace, system_user
from ..messages import WEB


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址;只在本机使用时保持默认,供局域网访问时设为 0.0.0.0")
@click.option("--port", default=8420, show_default=True, type=int, help="端口")
@click.option("--threads", default=8, show_default=True, type=int, help="同时处理的请求数")
@click.option("--certfile", type=click.Path(dir_okay=False), default=None,
              help="HTTPS 证书文件(PEM);与 --keyfile 一起给出时以 HTTPS 提供服务")
@click.option("--keyfile", type=click.Path(dir_okay=False), default=None,
              help="HTTPS 证书的私钥文件(PEM,不设密码)")
@click.pass_context
def serve(ctx, host, port, threads, certfile, keyfile):
    """启动网页版(搜索、查看文件、考评项目、单位任务、问题文件、报告、上传)。

    在省级部署的文件夹中运行时,一个网页版同时服务全省页面和每个城市:各城市的账号先在登录页选择
    自己的城市(/site/城市名),只看到本市;省级账号看到全省页面。

    先用 yingjian user add 创建账号。默认只允许本机访问;供各单位通过局域网访问时加
    --host 0.0.0.0,并建议用 --certfile/--keyfile 启用 HTTPS,以免密码和文件在网络上明文传输
    (此时登录凭据只通过 HTTPS 发送)。

    \b
    示例:
      yingjian serve
      yingjian serve --host 0.0.0.0 --port 8420
      yingjian serve --host 0.0.0.0 --certfile 证书.pem --keyfile 私钥.pem
    """
    from ..web import create_app
    from ..web.site import create_site
    if bool(certfile) != bool(keyfile):
        raise Fail("tls_files_required")
    ws = open_workspace(ctx)
    if not ws.accounts.any():
        raise Fail("no_accounts", root=str(ws.config.root))
    tls = _check_tls(certfile, keyfile) if certfile else None
    # a province's folder: one site for the province and every city (yingjian/web/site.py)
    app = create_site(ws.config.root) if ws.config.province.is_province else create_app(ws.config.root)
    app.config["SESSION_COOKIE_SECURE"] = tls is not None      # the cookie never leaves HTTPS
    learner = _background_learner(ws)
    try:
        if tls is None:
            _serve_http(app, host, port, threads)
        else:
            _serve_https(app, host, port, threads, *tls)
    finally:
        for one in app.apps() if hasattr(app, "apps") else [app]:
            runner = one.extensions.get("yingjian.ocr")       # uploads' OCR in the background
            if runner is not None:
                runner.stop()
        learner.stop()


def _background_learner(ws):
    """Learning from the office's decisions, beside the pages (yingjian/learning.py)."""
    from ..learning import BackgroundLearner
    learner = BackgroundLearner(ws.config.root, on_event=lambda code, data: click.echo(
        messages.watch_event(code, **data), err=True))
    learner.start()
    return learner


def _port_in_use(e: OSError, port: int) -> None:
    import errno
    if e.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        raise Fail("port_in_use", port=port, other=port + 1 if port < 65535 else 8420)


def _serve_http(app, host: str, port: int, threads: int) -> None:
    from ..web.server import make_http_server
    web = app.extensions["yingjian"].config.web
    try:                       # bind first: "started" is only said of a server that listens
        server = make_http_server(app, host, port, threads, web,
                                  busy_text=WEB["server_busy"],
                                  large_text=WEB["body_too_large"].format(max_mb=web.upload_request_mb))
    except OSError as e:
        _port_in_use(e, port)
        raise
    _say_started(host, port, https=False)
    try:
        server.run()
    finally:
        server.close()


def _say_started(host: str, port: int, https: bool) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"网页版已启动:{'https' if https else 'http'}://{shown}:{port}/  (按 Ctrl+C 停止)")
    if not https and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("提示:局域网访问时建议加 --certfile/--keyfile 启用 HTTPS", err=True)


def _check_tls(certfile: str, keyfile: str) -> tuple[str, str]:
    """The certificate and key, checked before the server starts: a wrong path, a key that
    does not match the certificate or a key with a passphrase is one clear error."""
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(certfile, keyfile, password=lambda: b"")
    except (OSError, ssl.SSLError, ValueError) as e:
        raise Fail("tls_files_invalid", certfile=certfile, keyfile=keyfile,
                   error=getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e))
    return certfile, keyfile


def _serve_https(app, host: str, port: int, threads: int, certfile: str, keyfile: str) -> None:
    """HTTPS with cheroot (waitress has no TLS): a maintained, pure-Python WSGI server whose
    TLS is Python's own ssl module; TLS 1.2 at least (yingjian/web/server.py)."""
    from ..web.server import make_https_server
    server = make_https_server(app, host, port, threads, certfile, keyfile)
    try:
        server.prepare()                  # binds: a port in use is said before "started"
    except OSError as e:
        _port_in_use(e, port)
        raise
    _say_started(host, port, https=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _new_password(password: str | None) -> str:
    """The password given, or typed twice at a hidden prompt (our own repeat, so that a
    mismatch is said in Chinese like every other error)."""
    if password:
        return password
    first = click.prompt(messages.click_text("Password"), hide_input=True)
    if click.prompt(messages.click_text("Repeat for confirmation"), hide_input=True) != first:
        raise Fail("password_mismatch")
    return first


@cli.group()
def user():
    """网页版账号:双拥办账号可查看和决定全部内容;单位账号只能看到本单位的文件和任务。

    \b
    示例:
      yingjian user add 张三 --office
      yingjian user add 李四 --unit 人武部
      yingjian user passwd 李四
      yingjian user remove 李四
      yingjian user list
    """


@user.command(name="add")
@click.argument("name")
@click.option("--office", is_flag=True, help="双拥办账号(查看和决定全部内容)")
@click.option("--unit", metavar="单位", help="单位账号:只能看到这个单位的文件和任务")
@click.option("--password", default=None, envvar="YINGJIAN_PASSWORD", show_envvar=False,
              help="密码(不给时会提示输入;脚本中可用环境变量 YINGJIAN_PASSWORD)")
@click.option("--replace", is_flag=True, help="用户已存在时重设其身份和密码(其已登录的会话随即失效)")
@click.option("--province", "province_account", is_flag=True,
              help="省级账号(在省级部署的文件夹中):查看全省页面和各城市(只读)")
@click.pass_context
def user_add(ctx, name, office, unit, password, replace, province_account):
    """新建网页版账号(密码以 scrypt 加盐散列保存)。

    \b
    示例:
      yingjian user add 张三 --office
      yingjian user add 李四 --unit 人武部
    """
    password = _new_password(password)
    if province_account:
        added = province.add_province_user(ctx.obj["workspace"], name, password)
        click.echo(f"已创建省级账号 {added['name']}({added['province']})")
        return
    ws = open_workspace(ctx)
    u = ws.accounts.add(name, password, office=office, unit=unit, replace=replace, by=system_user())
    click.echo(f"已创建账号 {u.name}({messages.ROLE_LABELS['office'] if u.is_office else u.unit})")


@user.command(name="passwd")
@click.argument("name")
@click.option("--password", default=None, envvar="YINGJIAN_PASSWORD", show_envvar=False,
              help="新密码(不给时会提示输入;脚本中可用环境变量 YINGJIAN_PASSWORD)")
@click.pass_context
def user_passwd(ctx, name, password):
    """修改网页版账号的密码:该账号已登录的会话立即失效,登录锁定随之解除。

    \b
    示例:
      yingjian user passwd 李四
    """
    ws = open_workspace(ctx)
    if ws.accounts.get(name) is None:
        raise Fail("user_not_found", name=name)
    ws.accounts.set_password(name, _new_password(password), by=system_user())
    click.echo(f"已修改 {name} 的密码;其已登录的会话已失效")


@user.command(name="remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx, name):
    """删除网页版账号:其已登录的会话立即失效;其做过的决定和审计记录保留。

    \b
    示例:
      yingjian user remove 李四
    """
    ws = open_workspace(ctx)
    ws.accounts.remove(name, by=system_user())
    click.echo(f"已删除账号 {name}")


@user.command(name="list")
@click.pass_context
def user_list(ctx):
    """列出网页版账号。

    \b
    示例:
      yingjian user list
    """
    ws = open_workspace(ctx)
    for u in ws.accounts.all():
        click.echo(f"{u.name}\t{messages.ROLE_LABELS['office'] if u.is_office else u.unit}")
