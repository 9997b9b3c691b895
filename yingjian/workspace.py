"""A workspace on disk: its configuration and the archive parts opened from it."""
from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

from archive import Catalog, Ingestor, ObjectStore, OcrQueue, Thumbnails
from indexer import IndexBusy, SearchIndex
from checklist import DEFAULT_STANDARD, standard_units

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
        return Catalog(self.config.catalog)

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex(self.config.index)

    def sync_index(self, progress=None) -> int:
        """Bring the search index up to the catalog's change sequence. If another process (a
        running watcher) holds the index, it is keeping it current: search what is there."""
        try:
            return self.index.sync(self.catalog, progress=progress)
        except IndexBusy:
            return 0

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
    if source.suffix.lower() not in (".yaml", ".yml"):
        raise WorkspaceError(f"暂只支持 YAML 格式的考评标准:{source}",
                             "Excel 考评表的导入见 yingjian standard --help")
    if not units:
        units = ["双拥办", *[u for u in standard_units(source) if u != "双拥办"]]
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, root / "standard.yaml")
    (root / cfg.CONFIG_NAME).write_text(
        cfg.render(units, inbox=inbox or "inbox"), encoding="utf-8")
    config = cfg.load(root)
    for unit in units:
        (config.inbox / unit).mkdir(parents=True, exist_ok=True)
    for folder in (config.objects, config.thumbs):
        folder.mkdir(parents=True, exist_ok=True)
    Catalog(config.catalog).close()
    return config
