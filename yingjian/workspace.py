"""A workspace on disk: its configuration and the archive parts opened from it."""
from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

from archive import Catalog, Ingestor, ObjectStore, OcrQueue, Thumbnails
from indexer import IndexBusy, SearchIndex
from checklist import (DEFAULT_STANDARD, Check, Mapping, MappingError, Standard, StandardError,
                       dump, load)

from . import config as cfg
from .config import Config, WorkspaceError


class Workspace:
    def __init__(self, config: Config):
        self.config = config

    @classmethod
    def open(cls, explicit: str | Path | None = None) -> "Workspace":
        return cls(cfg.load(cfg.find_workspace(explicit)))

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore(self.config.objects, durable=self.config.durable)

    @cached_property
    def catalog(self) -> Catalog:
        self.config.archive.mkdir(parents=True, exist_ok=True)
        return Catalog(self.config.catalog, busy_timeout=self.config.busy_timeout)

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex(self.config.index, catalog=self.catalog)

    @cached_property
    def standard(self) -> Standard:
        return load(self.config.standard)

    @cached_property
    def mapping(self) -> Mapping:
        m = Mapping(self.standard, self.catalog)
        # a new standard (a new round) changes what every file serves: the index redoes them
        fp_file = self.config.archive / "standard.fingerprint"
        old = fp_file.read_text(encoding="utf-8").strip() if fp_file.is_file() else None
        if old != m.fingerprint:
            if old is not None:
                self.catalog.log_changed(None, "standard")
            fp_file.write_text(m.fingerprint, encoding="utf-8")
        return m

    def items_of(self, sha: str, path: str, kind: str | None) -> list[str]:
        return self.mapping.items_for(sha, [path], kind)

    def sync_index(self, progress=None) -> int:
        """Bring the search index up to the catalog's change sequence. If another process (a
        running watcher) holds the index, it is keeping it current: search what is there."""
        items_of = self.items_of if self._standard_usable() else None
        try:
            return self.index.sync(self.catalog, items_of=items_of, progress=progress)
        except IndexBusy:
            return 0

    def _standard_usable(self) -> bool:
        try:
            self.mapping
            return True
        except StandardError:      # a broken standard file must not stop archiving or search
            return False

    def check(self) -> dict:
        """The readiness check of the whole archive against the standard."""
        counts: dict[str, int] = {u: 0 for u in self.config.units}
        for unit, n in self.catalog.db.execute(
                "SELECT unit, COUNT(*) FROM sources WHERE state = 'present' GROUP BY unit"):
            counts[unit] = n
        check = Check(self.standard, self.mapping)
        result = check.run(counts)
        serves: dict[str, list] = {}      # sha -> [(material, how, confirmed)], for the reports
        for mid, shas in check.evidence.items():
            for sha, (how, confirmed) in shas.items():
                serves.setdefault(sha, []).append((mid, how, confirmed))
        self._last_check = (result, serves)
        return result

    def report_data(self, links_from: Path | None = None):
        """What the reports need: the latest check (made now if there is none), every present
        file and the materials it serves, the problems, thumbnails, and (with `links_from`, the
        report's folder) relative links to the files in the inbox."""
        import os
        from urllib.parse import quote

        from checklist.report import ReportData
        from . import records
        if getattr(self, "_last_check", None) is None:
            self.check()
        check, serves = self._last_check
        inbox = self.config.inbox

        def link(ev: dict) -> str | None:
            if links_from is None:
                return None
            target = inbox / ev["path"]
            if not target.is_file():
                return None             # a zip member, or gone since: no file to open
            rel = os.path.relpath(target, links_from)
            return quote(Path(rel).as_posix())

        return ReportData(
            check=check, office=self.config.title,
            files=[r for r in records.files(self.catalog) if r["status"] not in ("withdrawn", "refused")],
            serves=serves, problems=records.problems(self.catalog),
            thumbnail=self.thumbnails.get, link=link, object_path=self.store.path)

    def resolve_file(self, ref: str) -> str:
        """A file given by a user: an id prefix (at least 6 characters) or a path in the inbox."""
        ref = ref.strip().replace("\\", "/")
        src = self.catalog.source(ref.strip("/"))
        if src is None:
            try:
                rel = Path(ref).resolve().relative_to(self.config.inbox.resolve()).as_posix()
                src = self.catalog.source(rel)
            except (ValueError, OSError):
                pass
        if src is not None:
            if src.sha is None:
                raise MappingError(f"{ref} 没有归档(见 yingjian problems),不能作为佐证")
            return src.sha
        if len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref.lower()):
            found = self.catalog.shas_with_prefix(ref.lower())
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise MappingError(f"编号 {ref} 对应多个文件,请多输入几位")
        raise MappingError(f"找不到文件 {ref}(用 yingjian files 查看文件编号或路径)")

    def decide(self, ref: str, material: str, action: str, user: str) -> str:
        """Record the office's decision for a file and a material; returns the file's id."""
        sha = self.resolve_file(ref)
        self.mapping.decide(sha, material, action, user)
        return sha

    def text_of(self, sha: str) -> str:
        row = self.catalog.object(sha)
        return row["text"] if row else ""

    def ingestor(self, stable_seconds: float | None = None,
                 incomplete_after: float | None = None) -> Ingestor:
        w = self.config.watch
        return Ingestor(self.config.inbox, self.store, self.catalog, self.config.limits,
                        stable_seconds=w.stable_seconds if stable_seconds is None else stable_seconds,
                        incomplete_after=(w.incomplete_after if incomplete_after is None
                                          else incomplete_after))

    def ocr_queue(self, workers: int | None = None) -> OcrQueue:
        """The OCR of scans and photos; `workers` overrides the configuration."""
        return OcrQueue(self.catalog, self.store, self.config.limits,
                        workers=self.config.ocr_workers if workers is None else workers)

    @cached_property
    def thumbnails(self) -> Thumbnails:
        return Thumbnails(self.config.thumbs, self.store, self.catalog, self.config.limits)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "catalog" in self.__dict__:
            self.catalog.close()


def init(root: Path, standard: Path | None = None, units: list[str] | None = None,
         inbox: str | None = None) -> Config:
    """Make a workspace: yingjian.toml, standard.yaml, one inbox folder per unit, the archive."""
    root = Path(root).resolve()
    if (root / cfg.CONFIG_NAME).exists():
        raise WorkspaceError(f"{root} 已经是 yingjian 工作区", "直接使用即可,或换一个文件夹")
    source = Path(standard) if standard else DEFAULT_STANDARD
    if not source.is_file():
        raise WorkspaceError(f"找不到考评标准文件 {source}")
    std = load(source)                       # checked before anything is written
    if not units:
        units = ["双拥办", *[u for u in std.units() if u != "双拥办"]]
    root.mkdir(parents=True, exist_ok=True)
    if source.suffix.lower() in (".yaml", ".yml"):
        shutil.copyfile(source, root / "standard.yaml")
    else:                                    # an Excel table, imported
        (root / "standard.yaml").write_text(dump(std), encoding="utf-8")
    (root / cfg.CONFIG_NAME).write_text(
        cfg.render(units, inbox=inbox or "inbox"), encoding="utf-8")
    config = cfg.load(root)
    for unit in units:
        (config.inbox / unit).mkdir(parents=True, exist_ok=True)
    for folder in (config.objects, config.thumbs):
        folder.mkdir(parents=True, exist_ok=True)
    Catalog(config.catalog).close()
    return config
