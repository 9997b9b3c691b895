"""Suggestions learned from the office's decisions (checklist/learning.py): a confirmed file
makes similar unmatched files suggestions, with their reason; a rejection removes one for good;
nothing learned ever counts without the office; learning can be switched off."""
import json

import pytest
from click.testing import CliRunner

from tests.conftest import ingest, standard_workspace
from yingjian.cli import cli
from yingjian.workspace import Workspace

STANDARD = """
title: 测试标准
period: {start: 2020-01-01, end: 2023-12-31}
items:
  - code: "1"
    title: 支持国防建设
    children:
      - code: "1.1"
        title: 征兵工作
        points: 2
        units: [人武部]
        materials:
          - {id: 1.1a, title: 征兵工作总结, kind: document, count: 1, per_year: true, query: 征兵工作总结}
      - code: "1.2"
        title: 国防教育
        points: 1
        units: [教育局]
        materials:
          - {id: 1.2a, title: 国防教育课程记录, kind: document, count: 1, query: 国防教育课 记录表}
  - code: "2"
    title: 一票否决
    children:
      - code: "2.1"
        title: 伤病残军人移交安置
        points: 0
        veto: true
        units: [退役军人事务局]
        materials:
          - {id: 2.1a, title: 伤病残军人移交安置台账, kind: document, count: 1, query: 移交安置台账}
"""

RECRUIT = ("关于{y}年度兵役登记和应征青年体检政审工作情况的报告\n"
           "按照上级部署,我市{y}年兵役登记工作全面完成,应征青年上站体检、政治考核、役前教育、"
           "定兵审批和新兵欢送入伍各环节有序推进,大学生应征入伍比例提高。{extra}\n{y}年12月20日")
VETO = ("伤病残退役军人接收工作报告\n本年度共接收伤病残退役军人{n}名,档案移交、医疗保障、"
        "伤残抚恤关系转移和住房安置均已落实,逐人建立接收档案。{extra}\n{y}年11月8日")
NOISE = ["关于开展垃圾分类宣传周活动的通知\n各社区:为推进生活垃圾分类工作,定于下周开展宣传活动。\n2021年5月6日",
         "食堂卫生检查记录\n检查人员对餐具消毒、食材采购台账进行了检查,未发现问题。\n2022年3月2日",
         "2021年度财务预算执行情况说明\n本年度预算收入、支出执行正常,结余资金按规定使用。\n2021年12月30日"]


def write(root, rel, text):
    p = root / "inbox" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text.replace("\\\n", "\n"), encoding="utf-8")
    return p


def run(root, *args):
    r = CliRunner().invoke(cli, ["--workspace", str(root), *args], env={"YINGJIAN_HOME": ""})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture
def lws(tmp_path):
    """Recruitment reports under names that say nothing, veto reports, and noise; none of them
    matches a content rule."""
    ws = standard_workspace(tmp_path, STANDARD, ["双拥办", "人武部", "教育局", "退役军人事务局"])
    root = ws.config.root
    write(root, "人武部/扫描全能王 2021-07-28 10.32.txt", RECRUIT.format(y=2021, extra="全年完成征集任务。"))
    write(root, "人武部/微信图片_20220405.txt", RECRUIT.format(y=2022, extra="女兵征集同步开展。"))
    write(root, "人武部/新建文档.txt", RECRUIT.format(y=2023, extra="退役士兵返乡。"))
    write(root, "退役军人事务局/扫描全能王 2021-11-08.txt", VETO.format(y=2021, n=3, extra=""))
    write(root, "退役军人事务局/扫描全能王 2022-11-09.txt", VETO.format(y=2022, n=2, extra="无遗留问题。"))
    for i, text in enumerate(NOISE):
        write(root, f"教育局/文件{i}.txt", text)
    ingest(ws)
    yield ws
    ws.close()


def sha_of(ws, path):
    return ws.catalog.source(path).sha


def learned_rows(ws, material=None):
    return [r for r in ws.review()["suggestions"] if r.get("learned")
            and (material is None or r["material"] == material)]
