"""The command line's frame: one click group, the shared options, and the one place where an
error becomes words (yingjian/messages.py). The commands live beside this module, one module
per area; each command's docstring is its --help, with an example.
"""
from __future__ import annotations

import calendar
import json
import re
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

import click

from foundation import closest

from .. import __version__, messages, province
from ..workspace import Workspace

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# click's own words (help headings, usage errors, type names) reach us in English; they are put
# into Chinese where they leave our commands (the help formatter, the group's main), through
# click's extension points. Nothing of click itself is changed: another click program in the same
# process keeps its language.
_METAVARS = re.compile(r"\b(INTEGER RANGE|FLOAT RANGE|INTEGER|FLOAT|TEXT|BOOLEAN|PATH|FILE|"
                       r"DIRECTORY)\b")


class HelpFormatter(click.HelpFormatter):
    """click's help layout with its headings, usage prefix, type names and option notes in
    Chinese (yingjian/messages.py)."""

    def write_usage(self, prog, args="", prefix=None):
        if prefix is None:
            prefix = messages.click_text("Usage:") + " "
        super().write_usage(prog, _METAVARS.sub(_metavar, args), prefix)

    def write_heading(self, heading):
        super().write_heading(messages.click_text(heading))

    def write_dl(self, rows, col_max=30, col_spacing=2):
        super().write_dl([(_METAVARS.sub(_metavar, a), _option_help(b)) for a, b in rows],
                         col_max, col_spacing)


def _metavar(m: re.Match) -> str:
    return messages.click_text(m.group(1).lower())


def _option_help(text: str) -> str:
    """An option's help: click's own sentence (the help option's) and its bracketed notes
    ([default: 20], [required], [1<=x<=1000]) in Chinese."""
    text = messages.click_translate(text)

    def notes(m: re.Match) -> str:
        return "[" + "; ".join(messages.click_translate(n) for n in m.group(1).split("; ")) + "]"
    return re.sub(r"\[([^\[\]]+)\]\s*$", notes, text)


class Context(click.Context):
    formatter_class = HelpFormatter


def show_usage_error(e: click.UsageError) -> None:
    """A usage error as every other error: the usage line, then one sentence and a hint."""
    command = e.ctx.command_path if e.ctx is not None else "yingjian"
    if e.ctx is not None:
        click.echo(e.ctx.get_usage(), err=True)
    text = messages.click_translate(e.format_message())
    show_message(messages.error("usage", text=text.rstrip(".。"), command=command))


class Fail(click.ClickException):
    """An error for the user, by code (yingjian/messages.py has its words): raised by the
    commands themselves, and made from every domain error of the core packages."""

    def __init__(self, code: str, **data):
        super().__init__(code)
        self.code, self.data = code, data
        self.message_ = messages.error(code, **data)

    @classmethod
    def of(cls, error: Exception) -> "Fail":
        fail = cls(error.code, **(getattr(error, "data", {}) or {}))
        fail.message_ = messages.describe(error)
        return fail

    def show(self, file=None):
        show_message(self.message_)


class Command(click.Command):
    """A command whose usage line is Chinese too."""

    context_class = Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class Commands(click.Group):
    """The one place where a domain error (anything carrying a `code`) becomes a message: every
    command and subcommand runs inside this group's invoke."""

    command_class = Command
    group_class = type                   # subgroups are of this class too
    context_class = Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's main, with click's own errors shown in Chinese: a usage error as every other
        error, a cancelled prompt as 已取消. Anything unexpected goes on to `main()` below."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            show_usage_error(e)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo(messages.click_text("Aborted!"), err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as e:
            if isinstance(getattr(e, "code", None), str) and not isinstance(e, OSError):
                raise Fail.of(e) from e
            raise


def show_message(m: messages.Message) -> None:
    click.echo(f"错误:{m.text}", err=True)
    if m.hint:
        click.echo(f"提示:{m.hint}", err=True)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="输出 JSON(供脚本使用)")(fn)


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(name="yingjian", cls=Commands, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version",
                      message=messages.click_text("%(prog)s, version %(version)s"))
@click.option("--workspace", "-w", type=click.Path(file_okay=False), default=None,
              help="工作区文件夹(默认:环境变量 YINGJIAN_HOME,或当前文件夹及其上级)")
@click.option("--city", default=None, metavar="城市",
              help="省级部署中的一个城市(从省级文件夹找到这个城市的工作区),如 兴义市")
@click.option("--debug", is_flag=True, hidden=True, help="出错时显示完整的调试信息")
@click.pass_context
def cli(ctx, workspace, city, debug):
    """yingjian(迎检):双拥模范城迎检资料的归档、检索与准备情况检查。

    \b
    快速开始:
      yingjian demo                 用示例资料演示全过程
      yingjian init 迎检资料库       新建工作区
      yingjian ingest               把各单位文件夹里的新文件归档一次
      yingjian watch                持续监视各单位文件夹
    """
    ctx.obj = {"workspace": workspace, "debug": debug, "province": workspace}
    if city is not None:
        try:
            ctx.obj["workspace"] = str(province.resolve_city_root(workspace, city))
        except Exception as e:
            if isinstance(getattr(e, "code", None), str):
                raise Fail.of(e) from e
            raise


# -- what a clerk types: dates, years, kinds ---------------------------------------------------

_FULL_DATE = (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
              re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
              re.compile(r"^(\d{4})(\d{2})(\d{2})$"))
_MONTH = (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月?$"))
_YEAR = re.compile(r"^(\d{4})年?$")


def parse_day(text: str, end: bool = False) -> str:
    """A date in any form a clerk types (2022-01-01, 2022/1/1, 2022.1.1, 2022年1月1日,
    20220101), or a whole year (2022) or month (2022-03): its first day, or with `end` its
    last; as YYYY-MM-DD. Anything else is an error naming the forms."""
    t = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    try:
        for rx in _FULL_DATE:
            m = rx.match(t)
            if m:
                return date(*map(int, m.groups())).isoformat()
        for rx in _MONTH:
            m = rx.match(t)
            if m:
                y, mo = map(int, m.groups())
                last = calendar.monthrange(y, mo)[1] if 1 <= mo <= 12 else 0
                return date(y, mo, last if end else 1).isoformat()
        m = _YEAR.match(t)
        if m:
            return date(int(m.group(1)), 12 if end else 1, 31 if end else 1).isoformat()
    except ValueError:
        pass
    raise Fail("date_invalid", value=text)


def parse_year(text: str) -> str:
    m = _YEAR.match(unicodedata.normalize("NFKC", text or "").strip())
    if not m:
        raise Fail("year_invalid", value=text)
    return m.group(1)


def parse_kind(text: str) -> str:
    """A kind as typed, in Chinese (文档 照片 台账 视频 其他) or English (document...)."""
    t = text.strip()
    kind = messages.KIND_NAMES.get(t) or messages.KIND_NAMES.get(t.lower())
    if kind is None:
        names = [messages.KIND_LABELS[k] for k in ("document", "photo", "ledger", "video", "other")]
        raise Fail("kind_unknown", kind=text, closest=closest(t, names))
    return kind


def system_user() -> str:
    """Who runs a command, for the audit trail and the decisions: the system's user name."""
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return messages.UNKNOWN_SYSTEM_USER


def open_workspace(ctx, *, current: bool = False) -> Workspace:
    """The workspace of the command; `current`: brought up to what its catalog holds first
    (the search index, the mapping's caches: `Workspace.catch_up`), for the commands that show
    what the archive proves or finds, which another process may have changed."""
    ws = Workspace.open(ctx.obj["workspace"])
    ctx.call_on_close(ws.close)
    if current:
        ws.catch_up()
    return ws


def main(argv=None):
    """The one place where errors become words: a domain error is one sentence and a hint
    (yingjian/messages.py, shown by the group's main); anything unexpected gets a reference, its
    traceback goes to a log file in the system's temporary folder or, with --debug, to the
    screen."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="yingjian")
    except Exception as e:
        if debug:
            raise
        ref = _log_unexpected(e)
        show_message(messages.error("unexpected"))
        click.echo(f"错误编号:{ref}", err=True)
        sys.exit(2)


def _log_unexpected(e: BaseException) -> str:
    """Write the traceback where a maintainer finds it; return its reference."""
    import secrets
    import tempfile
    import traceback
    ref = secrets.token_hex(4)
    log = Path(tempfile.gettempdir()) / "yingjian-errors.log"
    try:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"--- {ref} {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            f.write("".join(traceback.format_exception(e)))
        click.echo(f"(详细信息已写入 {log})", err=True)
    except OSError:
        click.echo("".join(traceback.format_exception(e, limit=3)), err=True)
    return ref
