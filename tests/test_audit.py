"""The audit trail: logins, failed logins, uploads, decisions (from the command line and the web
app) and account changes, each with who, when and from where, kept in the workspace database
and listed by `yingjian log`."""
from __future__ import annotations

import getpass
import io
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from tests.test_web import Client, sha_of, site  # noqa: F401  (the fixture)
from yingjian.cli import cli
from yingjian.workspace import Workspace

pytestmark = pytest.mark.usefixtures("on_both_databases")


def run(root, *args):
    return CliRunner().invoke(cli, ["-w", str(root), *args])


def test_the_log_lists_who_did_what_when_and_from_where(site):
    ws = site.extensions["yingjian"]
    root = ws.config.root
    army = sha_of(site, "人武部/征兵通报.pdf")
    before = len(ws.audit.entries())                   # the fixture's accounts
    Client(site).post("/login", {"name": "张三", "password": "wrong-password"})
    office = Client(site, "张三")
    office.c.environ_base["REMOTE_ADDR"] = "192.168.1.23"
    assert office.post("/decide", {"sha": army, "material": "2.1a", "action": "confirm"}).status_code == 302
    unit = Client(site, "李四")
    unit.post("/upload", {"files": [(io.BytesIO("2022年简报".encode()), "简报.txt")]},
              content_type="multipart/form-data")
    assert run(root, "reject", army, "2.1a", "--user", "王科长").exit_code == 0
    assert run(root, "user", "add", "赵六", "--unit", "人武部", "--password", "password-6").exit_code == 0
    office.post("/logout", {})

    res = run(root, "log", "--json")
    assert res.exit_code == 0, res.output
    entries = json.loads(res.output)["entries"][before:]
    seen = [(e["action"], e["user"], e["client"]) for e in entries]
    assert seen == [("login_failed", "张三", "127.0.0.1"), ("login", "张三", "127.0.0.1"),
                    ("decide", "张三", "192.168.1.23"), ("login", "李四", "127.0.0.1"),
                    ("upload", "李四", "127.0.0.1"), ("decide", "王科长", None),
                    ("user_add", getpass.getuser(), None), ("logout", "张三", "192.168.1.23")]
    web_decision, cli_decision = entries[2], entries[5]
    assert web_decision["data"] == {"decision": "confirm", "material": "2.1a", "sha": army,
                                    "path": "人武部/征兵通报.pdf", "date": None}
    assert cli_decision["data"]["decision"] == "reject"
    assert web_decision["label"] == "决定" and "确认 人武部/征兵通报.pdf → 2.1a" in web_decision["detail"]
    assert entries[4]["data"] == {"unit": "人武部", "files": ["简报.txt"]}
    assert all(e["at"][:4].isdigit() and "T" in e["at"] for e in entries)

    text = run(root, "log").output.splitlines()[before:]
    assert len(text) == len(entries)
    assert "王科长\t本机命令行\t决定\t排除 人武部/征兵通报.pdf → 2.1a" in text[5]
    assert "\t192.168.1.23\t决定\t" in text[2] and "登录失败" in text[0]
    assert "新建账号\t账号 赵六(人武部)" in text[6]


def test_the_log_filters_by_day_and_user_and_refuses_a_bad_date(site):
    root = site.extensions["yingjian"].config.root
    before = len(site.extensions["yingjian"].audit.entries())
    Client(site, "张三")
    Client(site, "李四")
    today, tomorrow = date.today(), date.today() + timedelta(days=1)
    assert len(json.loads(run(root, "log", "--json", "--since", today.isoformat()).output)["entries"]) == before + 2
    assert json.loads(run(root, "log", "--json", "--since", tomorrow.isoformat()).output)["entries"] == []
    only = json.loads(run(root, "log", "--json", "--user", "李四").output)["entries"]
    assert [e["user"] for e in only] == ["李四"]
    assert len(json.loads(run(root, "log", "--json", "--limit", "1").output)["entries"]) == 1
    res = run(root, "log", "--since", "上个月")
    assert res.exit_code == 1 and "无法识别日期“上个月”" in res.output


def test_account_changes_are_logged_and_kept_across_reopening(site):
    root = site.extensions["yingjian"].config.root
    fixture = site.extensions["yingjian"].audit.entries()
    assert [(e["action"], e["data"]["name"]) for e in fixture] == [
        ("user_add", "张三"), ("user_add", "李四"), ("user_add", "王五")]
    assert run(root, "user", "passwd", "李四", "--password", "new-password").exit_code == 0
    assert run(root, "user", "remove", "王五").exit_code == 0
    res = run(root, "user", "remove", "王五")
    assert res.exit_code == 1 and "没有用户 王五" in res.output
    res = run(root, "user", "passwd", "无此人", "--password", "new-password")
    assert res.exit_code == 1 and "没有用户 无此人" in res.output
    res = run(root, "user", "passwd", "李四", "--password", "short")
    assert res.exit_code == 1 and "密码至少 8 位" in res.output
    assert "王五" not in run(root, "user", "list").output
    ws = Workspace.open(root)
    try:
        log = [(e["action"], e["data"].get("name")) for e in ws.audit.entries()[len(fixture):]]
    finally:
        ws.close()
    assert log == [("user_passwd", "李四"), ("user_remove", "王五")]
    text = run(root, "log").output
    assert "修改密码\t账号 李四" in text and "删除账号\t账号 王五" in text


def test_a_refused_login_is_logged_with_its_reason(site):
    c = Client(site)
    for _ in range(7):
        c.post("/login", {"name": "王五", "password": "wrong-password"})
    text = CliRunner().invoke(cli, ["-w", str(site.extensions["yingjian"].config.root), "log"]).output
    assert "登录被拒绝\t登录失败次数过多,账号已暂时锁定,请 15 分钟后再试" in text
