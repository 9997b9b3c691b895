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

from archive.scan import closest

from .. import __version__, messages
from ..workspace import Workspace

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _localise_click() -> None:
    """click's own words (help headings, usage errors) in Chinese: every click module looks its
    messages up through a module-level gettext `_`/`ngettext`, which we point at messages.py."""
    import importlib

    def _(message: str) -> str:
        return messages.click_text(message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return messages.click_text(singular if n == 1 else plural)

    for name in ("core", "exceptions", "parser", "types", "decorators", "formatting", "termui",
                 "utils"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    # the names of click's types appear in help (as metavars) and in its errors
    for t, name in ((click.types.STRING, "文字"), (click.types.INT, "整数"),
                    (click.types.FLOAT, "数字"), (click.types.BOOL, "是/否")):
        t.name = name
    click.types.IntRange.name = "整数"
    click.types.FloatRange.name = "数字"
    click.exceptions.UsageError.show = _show_usage_error


def _show_usage_error(self, file=None) -> None:
    """A usage error as every other error: the usage line, then one sentence and a hint."""
    command = self.ctx.command_path if self.ctx is not None else "yingjian"
    if self.ctx is not None:
        click.echo(self.ctx.get_usage(), err=True)
    show_message(messages.error("usage", text=self.format_message().rstrip(".。"),
                                command=command))


_localise_click()


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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class Commands(click.Group):
    """The one place where a domain error (anything carrying a `code`) becomes a message: every
    command and subcommand runs inside this group's invoke."""

    command_class = Command
    group_class = type                   # subgroups are of this class too

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

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


def open_workspace(ctx) -> Workspace:
    ws = Workspace.open(ctx.obj["workspace"])
    ctx.call_on_close(ws.close)
    return ws


def main(argv=None):
    """The one place where errors become words: a domain error is one sentence and a hint
    (yingjian/messages.py); anything unexpected gets a reference, its traceback goes to the log
    file in the workspace folder or, with --debug, to the screen."""
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
    except Exception as e:
        if debug:
            raise
        ref = _log_unexpected(e)
        show_message(messages.error("unexpected"))
        click.echo(f"错误编号:{ref}", err=True)
        sys.exit(2)
    sys.exit(0)


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
