"""The workspace's configuration: `yingjian.toml` read into one typed object. The only module that
reads the environment (YINGJIAN_HOME) or decides where things live.
"""
from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime
from dataclasses import dataclass, field, fields
from pathlib import Path

from foundation.errors import Coded
from archive.limits import MB, Limits

CONFIG_NAME = "yingjian.toml"
ENV_HOME = "YINGJIAN_HOME"


class WorkspaceError(Coded, Exception):
    """No workspace, or a broken one: `code` and `data` (yingjian/messages.py says it in words,
    with what to do)."""


@dataclass
class WatchOptions:
    stable_seconds: float = 5.0        # unchanged this long = completely copied
    incomplete_after: float = 300.0    # still no end marker after this: archived as truncated
    poll_seconds: float = 0.0          # 0: filesystem events; > 0: poll (network shares)
    reconcile_seconds: float = 300.0   # full rescan to catch missed events


@dataclass
class WebOptions:
    """What one request may send the web app, read before the app reads anything."""
    upload_file_mb: int = 100          # one uploaded file
    upload_request_mb: int = 200       # one upload (every file of it); the server's body limit
    upload_files: int = 50             # files in one upload
    spool_mb: int = 512                # bodies being received at once, all requests together
    form_kb: int = 16                  # the login and every other form

    @property
    def upload_file_bytes(self) -> int:
        return self.upload_file_mb * MB

    @property
    def upload_request_bytes(self) -> int:
        return self.upload_request_mb * MB

    @property
    def spool_bytes(self) -> int:
        return self.spool_mb * MB

    @property
    def form_bytes(self) -> int:
        return self.form_kb * 1024


@dataclass
class ClusterOptions:
    """[cluster]: the stores on PostgreSQL, the archive's work on Celery workers over Redis, the
    objects on a shared folder. Absent (the default): one PC, SQLite, the in-process OCR pool,
    `archive/objects/`."""
    database: str | None = None        # "postgresql://user:password@host:5432/yingjian"
    broker: str | None = None          # "redis://host:6379/0"
    objects: Path | None = None        # the objects' folder on the share every machine mounts
    schema: str | None = None          # a city of a province: its own schema in the database

    @property
    def enabled(self) -> bool:
        return bool(self.database or self.broker or self.objects)


@dataclass
class ProvinceOptions:
    """[province]: this folder is a province (`name`), or a city of one (`city`, and the
    province's folder `root`); yingjian/province.py."""
    name: str | None = None            # the province's own folder: "贵州省"
    city: str | None = None            # a city's folder: "兴义市"
    root: Path | None = None           # a city's province folder

    @property
    def is_province(self) -> bool:
        return bool(self.name) and not self.city


@dataclass
class LearningOptions:
    """[learning]: suggestions learned from the office's decisions (checklist/learning.py)."""
    enabled: bool = True               # false: nothing is learned or suggested by resemblance
    off: list[str] = field(default_factory=list)    # materials learning is off for
    min_similarity: float = 0.1        # how like its confirmed files a file must be at least (0-1)


@dataclass
class Config:
    root: Path
    inbox: Path
    archive: Path
    standard: Path
    units: list[str]
    title: str = "双拥模范城迎检资料库"
    office: str = "双拥办"             # the office's own inbox folder: its files need no other unit's word
    durable: bool = True               # fsync each object before it is recorded
    busy_timeout: float = 30.0         # seconds to wait for a catalog another process holds
    watch: WatchOptions = field(default_factory=WatchOptions)
    web: WebOptions = field(default_factory=WebOptions)
    veto_needs_review: bool = True     # a veto material's declared files wait for the office
    limits: Limits = field(default_factory=Limits)
    ocr: bool = True                   # read scans and photos
    ocr_workers: int | None = None     # worker processes; None: one per core; 0: in this process
    ocr_threads: int = 1               # onnxruntime threads in each OCR worker
    font: Path | None = None           # a CJK font for thumbnails, if not in the usual places
    inspection_date: date | None = None  # the day the inspectors come (倒计时, deadlines, notices)
    notice: dict = field(default_factory=dict)   # [notice]: the 督办通知's office, web address
    learning: LearningOptions = field(default_factory=LearningOptions)
    cluster: ClusterOptions = field(default_factory=ClusterOptions)
    province: ProvinceOptions = field(default_factory=ProvinceOptions)

    @property
    def objects(self) -> Path:
        return self.cluster.objects or self.archive / "objects"

    @property
    def catalog(self) -> Path:
        return self.archive / "catalog.sqlite"

    @property
    def index(self) -> Path:
        return self.archive / "index"

    @property
    def thumbs(self) -> Path:
        """Thumbnails (and, beside them, `previews/`): derived from the objects, so with
        `[cluster] objects` they live on the share too, where the workers make them ahead and
        every machine serving the web app finds them (`derived/` cannot be an object's folder,
        which is two hex digits)."""
        if self.cluster.objects:
            return self.cluster.objects / "derived" / "thumbs"
        return self.archive / "thumbs"


def find_workspace(explicit: str | Path | None = None, env=None, cwd: Path | None = None) -> Path:
    """Like git finds a repository: --workspace, else $YINGJIAN_HOME, else the current folder or
    the nearest parent holding yingjian.toml."""
    env = os.environ if env is None else env
    for given in (explicit, env.get(ENV_HOME)):
        if given:
            root = Path(given).expanduser().resolve()
            if not (root / CONFIG_NAME).is_file():
                raise WorkspaceError("not_a_workspace", root=str(root), config=CONFIG_NAME,
                                     given=str(given))
            return root
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError("no_workspace")


def load(root: Path) -> Config:
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise WorkspaceError("config_unreadable", path=str(path), error=str(e))
    except tomllib.TOMLDecodeError as e:
        raise WorkspaceError("config_syntax", path=str(path), error=str(e))
    ws = data.get("workspace", {})

    def where(key: str, default: str) -> Path:
        p = Path(ws.get(key, default)).expanduser()
        return p if p.is_absolute() else root / p

    watch = WatchOptions(**_known(WatchOptions, data.get("watch", {})))
    web = WebOptions(**_known(WebOptions, data.get("web", {})))
    for f in fields(WebOptions):
        value = getattr(web, f.name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise WorkspaceError("web_option_invalid", path=str(path), key=f.name, value=repr(value))
    review = data.get("review", {})
    lim = data.get("limits", {})
    limits = Limits(**{k: int(v * MB) if k.endswith("_bytes") else int(v)
                       for k, v in _mb_keys(lim).items()})
    ocr = data.get("ocr", {})
    workers = ocr.get("workers", "auto")
    if workers != "auto" and not (isinstance(workers, int) and workers >= 0):
        raise WorkspaceError("ocr_workers_invalid", path=str(path), value=repr(workers))
    return Config(root=root, inbox=where("inbox", "inbox"), archive=where("archive", "archive"),
                  standard=where("standard", "standard.yaml"), units=list(ws.get("units", [])),
                  title=ws.get("title", Config.title), office=ws.get("office", Config.office),
                  durable=bool(ws.get("durable", True)),
                  font=where("font", "") if ws.get("font") else None,
                  ocr_threads=int(ocr.get("threads", 1)),
                  busy_timeout=float(ws.get("busy_timeout", 30)),
                  watch=watch, web=web, limits=limits, ocr=bool(ocr.get("enabled", True)),
                  veto_needs_review=bool(review.get("veto_needs_review", True)),
                  ocr_workers=None if workers == "auto" else workers,
                  inspection_date=_inspection_date(ws.get("inspection_date"), path),
                  notice={k: str(v) for k, v in data.get("notice", {}).items()
                          if k in ("office_name", "doc_prefix", "web_address", "contact")},
                  learning=_learning(data.get("learning", {}), path),
                  cluster=_cluster(data.get("cluster", {}), path, root),
                  province=_province(data.get("province", {}), root))


def _province(values: dict, root: Path) -> ProvinceOptions:
    where = values.get("root")
    if where:
        where = Path(str(where)).expanduser()
        where = where if where.is_absolute() else (root / where).resolve()
    return ProvinceOptions(name=values.get("name") or None, city=values.get("city") or None,
                           root=where or None)


def _cluster(values: dict, path: Path, root: Path) -> ClusterOptions:
    """[cluster] checked when the workspace is opened: a typo in a URL is an error naming the
    key and the form expected, never a silent fall back to one PC."""
    unknown = sorted(set(values) - {f.name for f in fields(ClusterOptions)})
    if unknown:
        raise WorkspaceError("cluster_option_unknown", path=str(path), key=unknown[0],
                             known="database, broker, objects, schema")
    schemes = {"database": ("postgresql://", "postgres://"), "broker": ("redis://", "rediss://")}
    for key, prefixes in schemes.items():
        value = values.get(key)
        if value is not None and (not isinstance(value, str) or not value.startswith(prefixes)):
            raise WorkspaceError("cluster_option_invalid", path=str(path), key=key,
                                 value=repr(value), form=prefixes[0] + "…")
    objects = values.get("objects")
    if objects is not None:
        if not isinstance(objects, str) or not objects.strip():
            raise WorkspaceError("cluster_option_invalid", path=str(path), key="objects",
                                 value=repr(objects), form="/mnt/share/yingjian-objects")
        objects = Path(objects).expanduser()
        objects = objects if objects.is_absolute() else root / objects
    schema = values.get("schema")
    if schema is not None and not (isinstance(schema, str) and re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema)):
        raise WorkspaceError("cluster_option_invalid", path=str(path), key="schema",
                             value=repr(schema), form="city_1")
    return ClusterOptions(database=values.get("database"), broker=values.get("broker"),
                          objects=objects, schema=schema)


def _inspection_date(value, path: Path) -> date | None:
    """`inspection_date` as TOML writes a date (2026-12-28) or as a string ("2026-12-28")."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        raise WorkspaceError("inspection_date_invalid", path=str(path), value=str(value))


def _learning(values: dict, path: Path) -> LearningOptions:
    opts = LearningOptions(**_known(LearningOptions, values))
    if not isinstance(opts.off, list) or not all(isinstance(m, str) for m in opts.off) \
            or not isinstance(opts.min_similarity, (int, float)) \
            or not 0 < opts.min_similarity <= 1:
        raise WorkspaceError("learning_invalid", path=str(path))
    opts.enabled = bool(opts.enabled)
    return opts


def write_learning(root: Path, enabled: bool, off: list[str]) -> None:
    """Rewrite `enabled` and `off` of yingjian.toml's [learning] table (added if missing),
    leaving the rest as the office wrote it."""
    path = root / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    lines = {"enabled": "enabled = " + ("true" if enabled else "false"),
             "off": "off = [" + ", ".join(_toml_str(m) for m in off) + "]"}
    m = re.search(r"(?ms)^\[learning\][^\n]*\n(.*?)(?=^\[|\Z)", text)
    if m is None:
        text = text.rstrip("\n") + "\n\n[learning]\n" + "\n".join(lines.values()) + "\n"
    else:
        body = m.group(1)
        for key, line in lines.items():
            body, n = re.subn(rf"(?m)^{key}\s*=.*$", lambda _: line, body, count=1)
            if n == 0:
                body = line + "\n" + body
        text = text[:m.start(1)] + body + text[m.end(1):]
    got = tomllib.loads(text).get("learning", {})
    if got.get("enabled") != enabled or got.get("off") != off:
        raise WorkspaceError("config_syntax", path=str(path), error="learning")
    path.write_text(text, encoding="utf-8")


def _known(cls, values: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}


def _mb_keys(values: dict) -> dict:
    """The file speaks in megabytes (max_archive_mb); Limits in bytes (max_archive_bytes)."""
    names = {f.name for f in fields(Limits)}
    out = {}
    for k, v in values.items():
        key = k[:-3] + "_bytes" if k.endswith("_mb") else k
        if key in names:
            out[key] = v
    return out


# what a clerk types between unit names: commas and semicolons (half- and full-width), the
# enumeration comma 、 and spaces (also the ideographic one)
_UNIT_SEPARATORS = re.compile("[,;\uff0c\uff1b\u3001\\s\u3000]+")
_NOT_IN_A_NAME = set('/\\:*?"<>|')          # a unit is one folder, on Windows too


def parse_units(text: str) -> list[str]:
    """The units of `init --units`, split as typed; a duplicate or a name that is no single
    folder is an error (never a silent merge, never nested folders)."""
    names = [u for u in _UNIT_SEPARATORS.split(text or "") if u]
    if not names:
        raise WorkspaceError("units_empty")
    check_units(names)
    return names


def check_units(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        check_unit_name(name)
        if name in seen:
            raise WorkspaceError("unit_duplicate", unit=name)
        seen.add(name)


def check_unit_name(name: str) -> None:
    if (not name.strip() or name.strip(". ") == "" or _NOT_IN_A_NAME & set(name)
            or any(ord(c) < 32 for c in name) or name != name.strip()):
        raise WorkspaceError("unit_name_invalid", unit=name)


def write_units(root: Path, units: list[str]) -> None:
    """Rewrite the units of a workspace's yingjian.toml, leaving the rest as the office wrote it."""
    path = root / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    line = "units = [" + ", ".join(_toml_str(u) for u in units) + "]"
    new, n = re.subn(r"(?m)^units\s*=\s*\[[^\]]*\]", lambda _: line, text, count=1)
    if n == 0:
        new, n = re.subn(r"(?m)^\[workspace\][^\n]*\n", lambda m: m.group(0) + line + "\n", text,
                         count=1)
    if n == 0:
        new = text.rstrip("\n") + "\n\n[workspace]\n" + line + "\n"
    if tomllib.loads(new).get("workspace", {}).get("units") != units:
        raise WorkspaceError("config_syntax", path=str(path), error="units")
    path.write_text(new, encoding="utf-8")


def render(units: list[str], standard: str = "standard.yaml", inbox: str = "inbox",
           archive: str = "archive", title: str = Config.title, office: str = Config.office) -> str:
    """The yingjian.toml that `init` writes, with comments a clerk's IT helper can follow."""
    unit_list = ", ".join(_toml_str(u) for u in units)
    d, w = Limits(), WebOptions()
    return f"""# yingjian 工作区配置 (workspace configuration)
[workspace]
title = {_toml_str(title)}
office = {_toml_str(office)}        # 双拥办自己的文件夹(其中的文件不受“责任单位”限制)
# 各成员单位上传资料的共享文件夹;可以是网络共享,如 "//fileserver/双拥资料" 或 "Z:/双拥资料"
inbox = {_toml_str(inbox)}
archive = {_toml_str(archive)}
standard = {_toml_str(standard)}
units = [{unit_list}]
durable = true
busy_timeout = 30           # 资料目录库被其他程序占用时最多等待的秒数
# inspection_date = 2026-12-28  # 迎检日期:用于倒计时、督办通知和进度预测

[notice]                    # 督办通知
# office_name = "某市双拥工作领导小组办公室"   # 落款和版头的机关名称(默认为上面的 office)
# doc_prefix = "某双拥办"                     # 文号前缀:某双拥办督〔2026〕1号
# web_address = "http://192.168.1.10:8420/"   # 单位上传资料的网址
# contact = "张三 0000-1234567"

[watch]
stable_seconds = 5          # 文件大小和时间保持不变这么多秒,才视为复制完成
incomplete_after = 300      # 超过这么多秒仍不完整,按"文件不完整"归档并提示
poll_seconds = 0            # 网络共享请设为 10 之类的秒数(定期轮询)
reconcile_seconds = 300     # 每隔这么多秒全面核对一次

[review]
veto_needs_review = true    # 一票否决项的材料:按编号归档的文件须经双拥办确认后才计入(设为 false 则与其他项相同)

[web]
upload_file_mb = {w.upload_file_mb}         # 网页上传:单个文件不超过这么多 MB
upload_request_mb = {w.upload_request_mb}      # 网页上传:一次上传的全部文件不超过这么多 MB
upload_files = {w.upload_files}            # 网页上传:一次最多这么多个文件
spool_mb = {w.spool_mb}               # 同时接收中的全部请求最多暂存这么多 MB,超出的请求稍后重试

[ocr]
enabled = true              # 识别扫描件和照片中的文字
workers = "auto"            # 识别进程数;"auto" 为每个 CPU 核一个
threads = 1                 # 每个识别进程使用的线程数

[learning]
enabled = true              # 根据双拥办已确认/排除的文件,建议相似的文件(仍需确认)
off = []                    # 不学习的材料编号,如 ["2.4b"]
min_similarity = 0.1        # 与已确认文件的相似度至少达到多少才建议(0–1)

[limits]
max_archive_mb = {d.max_archive_bytes // MB}
max_extract_mb = {d.max_extract_bytes // MB}
max_pdf_pages = {d.max_pdf_pages}
max_image_pixels = {d.max_image_pixels}
max_zip_members = {d.max_zip_members}
max_zip_mb = {d.max_zip_bytes // MB}
max_zip_depth = {d.max_zip_depth}
max_read_seconds = {d.max_read_seconds}      # 读取一个文件(或识别一页)最多的秒数
max_read_memory_mb = {d.max_read_memory_bytes // MB}   # 读取进程最多使用的内存
max_read_attempts = {d.max_read_attempts}       # 读取中途程序被终止这么多次后,不再自动重试
"""


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
