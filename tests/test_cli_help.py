"""Every example a command's --help shows is typed as a clerk would and runs; the README's tour
and command table name exactly the commands and options there are."""
import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from checklist import DEFAULT_STANDARD
from tests import factories as f
from tests.conftest import set_watch_options
from yingjian.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
# commands that run until stopped, or build a whole demo elsewhere: their examples are parsed
# (every option and argument checked by click) but the command itself is not run
# run until stopped, or need a Redis (worker and requeue run for real in tests/test_cluster.py);
# a PostgreSQL database needed: tests/test_province.py, tests/test_db_copy.py run these (db: its
# examples name a server on the office network)
NOT_RUN = {"serve", "watch", "demo", "worker", "requeue", "province", "city", "standard push", "db"}


def commands(group=cli, prefix=""):
    for name, cmd in group.commands.items():
        yield prefix + name, cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + name + " ")


def examples(cmd_path: str) -> list[str]:
    """The example lines of a command's --help: what follows "示例:", without the words after
    them and without a shell redirection."""
    out = CliRunner().invoke(cli, [*cmd_path.split(), "--help"]).output
    lines = out.split("示例:", 1)[1].splitlines() if "示例:" in out else []
    found = []
    for line in lines:
        line = line.strip()
        if not line.startswith("yingjian "):
            if found and line == "" or line.endswith(":"):
                break
            continue
        line = re.split(r"\s{2,}", line)[0].split(" > ")[0].strip()
        found.append(line)
    return found


def all_examples() -> list[str]:
    seen: dict[str, None] = {}
    for line in examples(""):
        seen.setdefault(line, None)
    for name, _cmd in commands():
        for line in examples(name):
            seen.setdefault(line, None)
    return list(seen)


def command_of(args: list[str]):
    cmd, used = cli, []
    while isinstance(cmd, click.Group) and args and args[0] in cmd.commands:
        cmd = cmd.commands[args[0]]
        used.append(args.pop(0))
    return " ".join(used), cmd


def test_every_command_shows_examples():
    for name, cmd in commands():
        assert examples(name), f"yingjian {name} --help shows no example"


@pytest.fixture
def place(tmp_path):
    """A workspace holding what the examples name, and a folder to type them in."""
    ws = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(ws), "--units", "双拥办,人武部"]).exit_code == 0
    set_watch_options(ws, stable_seconds=0.1)
    f.text_pdf(ws / "inbox/人武部/征兵工作/2022年征兵工作总结.pdf",
               ["2022年征兵任务完成情况通报\n2022年12月20日"])
    f.text_pdf(ws / "inbox/双拥办/八一走访慰问方案.pdf", ["2022年八一走访慰问方案\n2022年7月20日"])
    res = CliRunner().invoke(cli, ["-w", str(ws), "ingest", "--no-ocr"])
    assert res.exit_code == 0, res.output
    work = tmp_path / "work"
    work.mkdir()
    for name in ("考评标准.xlsx", "2024年考评标准.xlsx"):
        CliRunner().invoke(cli, ["standard", "template", "--xlsx", str(work / name)])
    shutil.copyfile(DEFAULT_STANDARD, work / "新标准.yaml")
    return ws, work


def test_every_example_of_every_help_runs(place, monkeypatch):
    from yingjian.workspace import Workspace
    ws_root, work = place
    w = Workspace.open(ws_root)
    plan = next(r["sha"] for r in w.catalog.files() if r["name"] == "八一走访慰问方案.pdf")
    w.close()
    monkeypatch.setenv("YINGJIAN_HOME", str(ws_root))
    ran = []
    for i, line in enumerate(all_examples()):
        args = shlex.split(line)[1:]
        args = [plan[:8] if a == "3f9a1c" else a for a in args]
        name, cmd = command_of(list(args))
        cwd = work
        if name == "init":                         # each makes its workspace in a folder of its own
            cwd = work / f"init{i}"
            cwd.mkdir()
        if name.split(" ")[0] in NOT_RUN or name in NOT_RUN:
            monkeypatch.setattr(cmd, "callback", lambda *a, **k: None)
        monkeypatch.chdir(cwd)
        res = CliRunner().invoke(cli, args, input="mima-12345\nmima-12345\n")
        assert res.exit_code == 0, f"{line}\n{res.output}"
        ran.append(line)
    for must in ("yingjian search 征兵 OR 兵员 -草稿 --json", "yingjian confirm 3f9a1c 2.4a --user 张三",
                 "yingjian unit add 教育局", "yingjian serve --host 0.0.0.0 --port 8420"):
        assert must in ran


# -- the README -------------------------------------------------------------------------------

def readme() -> str:
    return README.read_text(encoding="utf-8")


def tour_lines() -> list[str]:
    block = readme().split("## A short tour", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("yingjian "):
                out.append(part)
    return out


def test_the_readme_tour_types_only_commands_and_options_that_exist(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for _name, cmd in commands():
        if not isinstance(cmd, click.Group):
            monkeypatch.setattr(cmd, "callback", lambda *a, **k: None)
    lines = tour_lines()
    assert len(lines) >= 10
    for line in lines:
        res = CliRunner().invoke(cli, shlex.split(line)[1:])
        assert res.exit_code == 0, f"README tour: {line}\n{res.output}"


def table_rows() -> dict[str, str]:
    """command -> the README table row's usage cell."""
    rows = {}
    leaves = sorted((n for n, c in commands() if not isinstance(c, click.Group)), key=len,
                    reverse=True)
    for m in re.finditer(r"^\| `(yingjian [^`]+)` \|", readme(), re.M):
        usage = m.group(1).replace("\\|", "|")
        for name in leaves:
            if usage == f"yingjian {name}" or usage.startswith(f"yingjian {name} "):
                rows[name] = usage
                break
        else:
            rows[usage] = usage
    return rows


def test_the_readme_table_has_a_row_for_every_command_with_exactly_its_options():
    rows = table_rows()
    leaves = {n: c for n, c in commands() if not isinstance(c, click.Group)}
    assert set(rows) == set(leaves), "README rows and commands differ"
    for name, cmd in leaves.items():
        usage = rows[name][len(f"yingjian {name}"):]
        written = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", usage))
        options = [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden
                   and "--help" not in p.opts]
        for p in options:
            assert written & set(p.opts + p.secondary_opts), f"README row of {name} lacks {p.opts}"
        known = {o for p in options for o in p.opts + p.secondary_opts}
        assert written <= known, f"README row of {name} names {written - known}"
        required = sum(1 for p in cmd.params if isinstance(p, click.Argument) and p.required)
        leading = []
        for token in usage.split():
            if token.startswith(("[", "-")):
                break
            leading.append(token)
        assert sum(1 for t in leading if t[:1].isupper()) >= required, \
            f"README row of {name} lacks an argument"


def test_click_itself_is_left_as_it_is_and_another_click_program_keeps_its_english():
    """Our help and errors are Chinese through click's extension points (a help formatter, the
    group's main): importing the command line changes nothing of click for the process."""
    import gettext
    import importlib
    for name in ("core", "exceptions", "parser", "types", "decorators", "formatting", "termui",
                 "utils"):
        module = importlib.import_module(f"click.{name}")
        assert getattr(module, "_", gettext.gettext) is gettext.gettext, name
        assert getattr(module, "ngettext", gettext.ngettext) is gettext.ngettext, name
    assert (click.types.INT.name, click.types.STRING.name) == ("integer", "text")
    assert click.exceptions.UsageError.show.__module__ == "click.exceptions"

    @click.command()
    @click.option("--n", type=int, help="a number")
    def other(n):
        pass
    res = CliRunner().invoke(other, ["--n", "x"])
    assert res.exit_code == 2 and "'x' is not a valid integer" in res.output
    assert "Usage:" in res.output and "Error:" in res.output
    res = CliRunner().invoke(other, ["--help"])
    assert "Options:" in res.output and "Show this message and exit." in res.output
    # while ours, in the same process, stay Chinese
    res = CliRunner().invoke(cli, ["search", "--limit", "x", "征兵"])
    assert res.exit_code == 2 and "'x' 不是整数" in res.output and "用法:" in res.output
    assert "选项:" in CliRunner().invoke(cli, ["search", "--help"]).output


def test_a_mistyped_password_repeat_is_said_in_chinese(tmp_path):
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws"), "--units", "双拥办"]).exit_code == 0
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "user", "add", "张三", "--office"],
                             input="Jx8#kq2w!\nJx8#kq2w?\n")
    assert res.exit_code == 1 and "两次输入的密码不一致" in res.output
    assert "do not match" not in res.output
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "user", "add", "张三", "--office"],
                             input="Jx8#kq2w!\nJx8#kq2w!\n")
    assert res.exit_code == 0 and "已创建账号 张三" in res.output
