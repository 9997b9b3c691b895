"""Uploads, as a service of the workspace: each file is written into the unit's inbox
(网页上传/, or 网页上传/<material id>/ when it is declared for a material) under a safe name,
then goes through the same pipeline as a file copied there: archive, extract, OCR, index. A name
longer than file systems allow (255 bytes per path component: 85 Chinese characters in UTF-8)
refuses the whole batch before anything of it is written. The web app calls it; so could any
other front."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO, Callable

from archive import Outcome

UPLOAD_FOLDER = "网页上传"
# 255 bytes per path component on every file system, less room for " (12)" added to a name
# that is taken already
MAX_NAME_BYTES = 240
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = ("CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10)))


class UploadRefused(ValueError):
    """The batch was refused whole, nothing written: `code` and `data` say why."""

    def __init__(self, code: str, **data):
        super().__init__(f"{code} {data}")
        self.code, self.data = code, data


@dataclass
class Upload:
    """One file of a batch: the name the browser gave and how to write its bytes."""
    filename: str
    save: Callable[[object], None]          # save(path): write the bytes there

    @classmethod
    def of_stream(cls, filename: str, stream: BinaryIO) -> "Upload":
        def save(path):
            with open(path, "wb") as out:
                while chunk := stream.read(1 << 20):
                    out.write(chunk)
        return cls(filename, save)


def safe_upload_name(name: str) -> str:
    """A file name from a browser, made safe: no folders, no control or reserved characters,
    Chinese kept, at most 120 characters."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if name.upper().split(".")[0] in _RESERVED:
        name = "_" + name
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + "." + ext[:8]) if dot else name[:120]
    return name or "未命名文件"


def long_names(names: list[str]) -> list[tuple[str, int]]:
    """The names whose safe form is too long for a file system: (name, its bytes in UTF-8)."""
    out = []
    for n in names:
        size = len(safe_upload_name(n).encode("utf-8"))
        if size > MAX_NAME_BYTES:
            out.append((n, size))
    return out


def upload(ws, unit: str, files: list[Upload], *, material: str | None = None,
           user: str | None = None) -> list[dict]:
    """Write each upload into the unit's inbox (declared for `material`, if given), archive,
    OCR and index it now, and say how each stands: outcome, problems (reason codes), and with
    a material its standing for it. Audited as an upload by `user`."""
    too_long = long_names([f.filename for f in files])
    if too_long:
        raise UploadRefused("names_too_long", names=too_long, max_bytes=MAX_NAME_BYTES,
                            max_chars=MAX_NAME_BYTES // 3)
    rel = f"{unit}/{UPLOAD_FOLDER}" + (f"/{material}" if material else "")
    folder = ws.config.inbox / rel
    folder.mkdir(parents=True, exist_ok=True)
    ing = ws.ingestor(stable_seconds=0, incomplete_after=0)   # written completely by us
    out = []
    for f in files:
        name = safe_upload_name(f.filename)
        target = folder / name
        stem, suffix, n = target.stem, target.suffix, 2
        while target.exists():
            target = folder / f"{stem} ({n}){suffix}"
            n += 1
        tmp = target.with_name(f".upload-{secrets.token_hex(4)}.part")
        f.save(tmp)
        tmp.replace(target)
        r = ing.ingest_path(target)
        out.append({"name": target.name, "outcome": r.outcome.value if r else "ignored",
                    "ok": r is not None and r.outcome in (Outcome.INGESTED, Outcome.DUPLICATE,
                                                          Outcome.UNCHANGED),
                    "problems": [reason for _, reason in (r.problems if r else [])]})
    sources = [ws.catalog.source(f"{rel}/{o['name']}") for o in out]
    shas = {s.sha for s in sources if s is not None and s.sha}
    if ws.config.ocr:
        with ws.ocr_queue(workers=0) as q:      # a few pages; a running watcher would do the rest
            q.submit(only=shas)
    ws.sync_index()
    ws.audit.record("upload", user, None, unit=unit, files=[o["name"] for o in out])
    for o, src in zip(out, sources):
        if src is None or not src.sha:
            o["standing"] = "problem"
        elif material:
            st = ws.standing(src.sha, material)
            o["standing"], o["reasons"] = st["standing"], st["reasons"]
    return out
