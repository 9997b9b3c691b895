"""The command line as users and their scripts use it: discovery, messages, JSON shapes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import factories as f
from tests.conftest import set_watch_options
from yingjian.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args, env=None, cwd=None):
    runner = CliRunner()
    if cwd:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), env=env or {"YINGJIAN_HOME": ""})
    finally:
        if cwd:
            os.chdir(old)


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "资料库"
    res = run("init", str(r), "--units", "双拥办,人武部")
    assert res.exit_code == 0, res.output
    set_watch_options(r, stable_seconds=0.1)
    return r


def test_init_makes_config_standard_inbox_per_unit_and_archive(root):
    assert (root / "yingjian.toml").is_file() and (root / "standard.yaml").is_file()
    assert sorted(p.name for p in (root / "inbox").iterdir()) == ["人武部", "双拥办"]
    assert (root / "archive" / "catalog.sqlite").is_file()


def test_init_without_units_takes_them_from_the_standard(tmp_path):
    res = run("init", str(tmp_path / "ws"))
    assert res.exit_code == 0
    units = {p.name for p in (tmp_path / "ws" / "inbox").iterdir()}
    assert {"双拥办", "人武部", "退役军人事务局", "教育局"} <= units


def test_init_refuses_an_existing_workspace(root):
    res = run("init", str(root))
    assert res.exit_code == 1 and "已经是 yingjian 工作区" in res.output


def test_workspace_is_found_from_flag_env_or_a_parent_folder(root):
    f.text_pdf(root / "inbox/人武部/a.pdf", ["内容"])
    assert run("--workspace", str(root), "ingest", "--json").exit_code == 0
    assert run("files", "--json", env={"YINGJIAN_HOME": str(root)}).exit_code == 0
    res = run("files", "--json", cwd=root / "inbox" / "人武部")
    assert res.exit_code == 0 and json.loads(res.output)["files"][0]["path"] == "人武部/a.pdf"


def test_outside_a_workspace_the_error_is_one_chinese_sentence_with_a_hint(tmp_path):
    res = run("files", cwd=tmp_path)
    assert res.exit_code == 1
    assert "错误:当前文件夹不在任何 yingjian 工作区中" in res.output
    assert "提示:" in res.output and "Traceback" not in res.output


def test_ingest_files_and_problems_json_have_the_contract_keys(root):
    f.text_pdf(root / "inbox/人武部/通知.pdf", ["关于开展八一走访慰问的通知", "2022年7月20日"])
    f.encrypted_pdf(root / "inbox/双拥办/加密.pdf")
    res = run("-w", str(root), "ingest", "--json")
    out = json.loads(res.output)
    assert {"scanned", "ingested", "unchanged", "duplicates", "problems"} <= set(out)
    assert out["ingested"] == 2
    assert out["problems"] == [{"path": "双拥办/加密.pdf", "reason": "PDF 已加密,请上传未加密版本",
                               "reason_code": "pdf_encrypted"}]
    rows = json.loads(run("-w", str(root), "files", "--json").output)["files"]
    assert {"id", "unit", "path", "name", "kind", "date", "date_source", "pages", "text_chars",
            "status", "versions"} <= set(rows[0])
    probs = json.loads(run("-w", str(root), "problems", "--json").output)["problems"]
    assert probs == [{"id": probs[0]["id"], "unit": "双拥办", "path": "双拥办/加密.pdf",
                      "reason": "PDF 已加密,请上传未加密版本", "reason_code": "pdf_encrypted",
                      "level": "error"}]
    only = json.loads(run("-w", str(root), "files", "--unit", "人武部", "--json").output)["files"]
    assert [r["path"] for r in only] == ["人武部/通知.pdf"]


def test_status_counts_what_is_left_to_read_and_says_it_in_chinese(root):
    """`ingest --no-ocr` leaves a scan's pages waiting: status counts them from the catalog (on
    one PC, no queue)."""
    f.scanned_pdf(root / "inbox/人武部/纪要扫描件.pdf", ["双拥工作会议纪要", "走访慰问驻地部队"])
    f.encrypted_pdf(root / "inbox/双拥办/加密.pdf")
    (root / "inbox/人武部/说明.txt").write_text("国防教育 2021年5月1日", encoding="utf-8")
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    out = json.loads(run("-w", str(root), "status", "--json").output)
    assert {k: out[k] for k in ("files", "objects", "extract", "problems", "ocr_files",
                                "ocr_pages", "previews", "broker", "queues", "workers")} == {
        "files": 3, "objects": 3, "extract": 0, "problems": 1, "ocr_files": 1, "ocr_pages": 2,
        "previews": 0, "broker": None, "queues": None, "workers": []}
    text = run("-w", str(root), "status").output
    assert "待文字识别:1 份,共 2 页" in text and "单机模式" in text
    assert run("-w", str(root), "ingest").exit_code == 0            # now read here
    out = json.loads(run("-w", str(root), "status", "--json").output)
    assert (out["ocr_files"], out["ocr_pages"]) == (0, 0)


def test_human_output_is_chinese(root):
    f.text_pdf(root / "inbox/人武部/通知.pdf", ["通知 2022年7月20日"])
    assert "新归档 1" in run("-w", str(root), "ingest").output
    out = run("-w", str(root), "files").output
    assert "单位" in out and "2022-07-20(落款)" in out and "正常" in out


def _commands(group, prefix=""):
    for name, cmd in group.commands.items():
        yield prefix + name, cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, prefix + name + " ")


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for name, cmd in _commands(cli):
        res = run(*name.split(), "--help")
        assert res.exit_code == 0, name
        assert "示例" in res.output, f"{name} --help has no example"
        assert f"yingjian {name}" in readme, f"README does not mention yingjian {name}"


@pytest.mark.slow
def test_demo_builds_ingests_and_reports_problems(tmp_path):
    res = run("demo", str(tmp_path / "演示"))
    assert res.exit_code == 0, res.output
    assert "需要处理的问题文件" in res.output and "传输中断" in res.output
    assert "迎检准备情况" in res.output and "预计得分" in res.output and "一票否决" in res.output
    reports = sorted(p.suffix for p in (tmp_path / "演示/reports").iterdir())
    assert reports == [".html", ".xlsx", ".zip"] and "迎检资料汇编" in res.output
    rows = json.loads(run("-w", str(tmp_path / "演示"), "files", "--json").output)["files"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["IMG_20220801_093000.jpg"]["date_source"] == "exif"
    assert by_name["2021年国防教育课程记录.docx"]["unit"] == "教育局"
    assert sum(r["status"] == "problem" for r in rows) == 1
    again = run("demo", str(tmp_path / "演示"))          # a demo folder may be rebuilt
    assert again.exit_code == 0


def test_demo_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "重要.txt").write_text("keep", encoding="utf-8")
    res = run("demo", str(tmp_path / "mine"))
    assert res.exit_code == 1 and (tmp_path / "mine" / "重要.txt").exists()


def test_console_script_runs(tmp_path):
    res = subprocess.run([sys.executable, "-m", "yingjian", "--help"], capture_output=True,
                         text=True, encoding="utf-8")
    assert res.returncode == 0 and "yingjian" in res.stdout


@pytest.mark.slow
def test_ingest_reads_photos_and_reports_ocr_progress_in_json(root):
    f.photo_jpeg(root / "inbox/人武部/IMG_20220801_093000.jpg", "八一慰问驻地部队",
                 exif_date="2022:08:01 09:30:00")
    out = json.loads(run("-w", str(root), "ingest", "--json").output)
    assert out["ingested"] == 1 and out["ocr"]["pages_done"] == 1 and out["ocr"]["files_done"] == 1
    hits = json.loads(run("-w", str(root), "search", "慰问驻地部队", "--json").output)["hits"]
    assert [h["path"] for h in hits] == ["人武部/IMG_20220801_093000.jpg"]
    row = json.loads(run("-w", str(root), "files", "--json").output)["files"][0]
    assert (row["date"], row["date_source"], row["ocr"]) == ("2022-08-01", "exif", "done")
    again = json.loads(run("-w", str(root), "ingest", "--json").output)
    assert again["ocr"]["pages_total"] == 0                  # nothing is read twice


@pytest.mark.slow
def test_watch_archives_at_once_and_the_ocr_text_follows(root):
    """`yingjian watch` in its own process: a four-page scan dropped in is listed at once,
    while its pages still wait for OCR, then searchable by the words on its last page, without
    stopping the watcher."""
    import time
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        time.sleep(2)
        pages = [f"双拥工作第{i}页 拥军优属 军民共建" for i in range(1, 4)]
        f.scanned_pdf(root / "inbox/双拥办/扫描件.pdf", [*pages, "双拥工作领导小组会议纪要\n2021年5月6日"])
        dropped = time.monotonic()
        listed = listed_pending = None
        found = []
        while time.monotonic() < dropped + 120 and not found:
            time.sleep(0.2)
            if listed is None:
                res = run("-w", str(root), "files", "--json")
                rows = json.loads(res.output)["files"] if res.exit_code == 0 else []
                if rows:
                    listed = time.monotonic() - dropped
                    listed_pending = rows[0]["ocr"] == "pending"
                continue
            res = run("-w", str(root), "search", "领导小组会议", "--json")
            if res.exit_code == 0:
                found = json.loads(res.output)["hits"]
        assert [h["path"] for h in found] == ["双拥办/扫描件.pdf"]
        # at once: listed within seconds (stability window 0.1 s), before its OCR was done
        assert listed is not None and listed < 20 and listed_pending, (listed, listed_pending)
        rows = json.loads(run("-w", str(root), "files", "--json").output)["files"]
        assert (rows[0]["date"], rows[0]["date_source"]) == ("2021-05-06", "content")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "已归档 双拥办/扫描件.pdf" in out and "文字识别" in out
    assert out.index("已归档 双拥办/扫描件.pdf") < out.index("文字识别")


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out |= {int(c) for c in (task / "children").read_text().split()}
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc")
def test_a_killed_watcher_leaves_no_ocr_workers_behind(root):
    f.photo_jpeg(root / "inbox/人武部/横幅.jpg", "军民鱼水一家亲")
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root), "watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import signal
    import time
    try:
        deadline = time.monotonic() + 60
        workers = set()
        while time.monotonic() < deadline and not workers:
            time.sleep(0.5)
            workers = {c for c in _children(proc.pid)
                       if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}
        assert workers, "the OCR pool never started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]]
    assert alive == []


def test_check_json_has_the_contract_shape_and_decisions_change_it(root):
    f.text_pdf(root / "inbox/人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    assert run("-w", str(root), "ingest", "--no-ocr").exit_code == 0
    out = json.loads(run("-w", str(root), "check", "--json").output)
    assert {"title", "period", "score", "max_score", "items"} <= set(out)
    parent = out["items"][0]
    assert {"code", "title", "points", "score", "status", "veto", "units", "materials",
            "children"} <= set(parent)
    leaf = parent["children"][0]
    assert {"id", "title", "status", "need", "have", "years_missing", "evidence"} <= set(leaf["materials"][0])
    veto = {v["code"]: v for v in out["veto"]}
    assert veto["10.2"]["status"] == "partial"          # one year of four, a suggestion

    res = run("-w", str(root), "confirm", "人武部/征兵通报.pdf", "10.2a", "--user", "张三")
    assert res.exit_code == 0 and "已确认" in res.output and "张三" in res.output
    out = json.loads(run("-w", str(root), "check", "--json").output)
    m = next(m for v in out["items"] for c in v.get("children", []) for m in c["materials"]
             if m["id"] == "10.2a")
    assert m["have"] == 1 and m["evidence"][0]["confirmed"] is True
    text = run("-w", str(root), "check", "--unit", "人武部").output
    assert "人武部 的任务清单" in text and "10.2a" in text

    bad = run("-w", str(root), "assign", "人武部/征兵通报.pdf", "99.9z")
    assert bad.exit_code != 0 and "考评标准中没有材料 99.9z" in bad.output
    missing = run("-w", str(root), "reject", "人武部/没有这个文件.pdf", "10.2a")
    assert missing.exit_code != 0 and "找不到文件" in missing.output


def test_standard_template_import_check_and_init_from_excel(tmp_path):
    xlsx = tmp_path / "模板.xlsx"
    assert run("standard", "template", "--xlsx", str(xlsx)).exit_code == 0
    res = run("standard", "import", str(xlsx), "-o", str(tmp_path / "标准.yaml"))
    assert res.exit_code == 0 and "项材料" in res.output
    res = run("standard", "check", str(tmp_path / "标准.yaml"))
    assert res.exit_code == 0 and "检查通过" in res.output
    bad = tmp_path / "坏.yaml"
    bad.write_text("title: x\nperiod: {start: 2020, end: 2023}\nitems:\n  - code: 1\n    title: 甲\n", encoding="utf-8")
    res = run("standard", "check", str(bad))
    assert res.exit_code != 0 and "第 4 行" in res.output and "materials" in res.output
    res = run("init", str(tmp_path / "ws"), "--standard", str(xlsx))
    assert res.exit_code == 0, res.output
    assert "2.1a" in (tmp_path / "ws/standard.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "ws/inbox/人武部").is_dir()
