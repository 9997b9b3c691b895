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

from foundation.errors import Coded
from archive import Outcome

UPLOAD_FOLDER = "网页上传"
# 255 bytes per path component on every file system, less room for " (12)" added to a name
# that is taken already
MAX_NAME_BYTES = 240
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
# Windows device names, whatever follows the first dot; Windows reads the superscript digits
# as the device too (COM¹.txt opens the serial port)
_RESERVED = frozenset(("CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                       *(f"{dev}{d}" for dev in ("COM", "LPT") for d in "0123456789¹²³")))
# marks that change the order text is shown in: "invoice\u202etxt.exe" shows as invoiceexe.txt
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def neutral_name(name: str) -> str:
    """A file name as it may be shown or offered for download: no bidi controls (each is shown
    as "_", so the real extension stays visible), no control characters, no Windows device
    name."""
    name = BIDI_CONTROLS.sub("_", re.sub(r"[\x00-\x1f\x7f]", "_", name))
    if is_device_name(name):
        name = "_" + name
    return name


def is_device_name(name: str) -> bool:
    return name.split(".")[0].rstrip(" ").upper() in _RESERVED


class UploadRefused(Coded, ValueError):
    """The batch was refused whole, nothing written: `code` and `data` say why."""


@dataclass
class Upload:
    """One file of a batch: the name the browser gave and how to write its bytes."""
    filename: str
    save: Callable[[object], None]          # save(path): write the bytes there
    size: int | None = None                 # bytes, when known before saving

    @classmethod
    def of_stream(cls, filename: str, stream: BinaryIO) -> "Upload":
        size = None
        try:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(0)
        except (OSError, AttributeError, ValueError):
            pass

        def save(path):
            with open(path, "wb") as out:
                while chunk := stream.read(1 << 20):
                    out.write(chunk)
        return cls(filename, save, size)


def safe_upload_name(name: str) -> str:
    """A file name from a browser, made safe: no folders, no control or reserved characters,
    Chinese kept, at most 120 characters."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", BIDI_CONTROLS.sub("_", name)).strip(" .")
    if is_device_name(name):
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
           user: str | None = None, max_file_bytes: int | None = None,
           queue_ocr: Callable[[set[str]], None] | None = None,
           standing: bool = True) -> list[dict]:
    """Write each upload into the unit's inbox (declared for `material`, if given), archive it
    through the same pipeline as the watcher (every container limit of ingest applies), and
    say how each stands: outcome, problems (reason codes), whether its text is still being
    read (`ocr`), and with a material its standing for it. OCR is handed to `queue_ocr` (the web
    app's background runner) when given, else done now. Audited as an upload by `user`.
    Whether another unit holds the same bytes is never said: a duplicate of nothing the unit
    holds itself is reported as newly archived."""
    too_long = long_names([f.filename for f in files])
    if too_long:
        raise UploadRefused("names_too_long", names=too_long, max_bytes=MAX_NAME_BYTES,
                            max_chars=MAX_NAME_BYTES // 3)
    if max_file_bytes is not None:
        too_large = [f.filename for f in files if f.size is not None and f.size > max_file_bytes]
        if too_large:
            raise UploadRefused("file_too_large", names=too_large,
                                max_file_mb=max_file_bytes // (1024 * 1024))
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
        outcome = r.outcome.value if r else "ignored"
        if r is not None and r.outcome is Outcome.DUPLICATE and not _unit_holds(
                ws, f"{rel}/{target.name}", unit):
            outcome = Outcome.INGESTED.value
        out.append({"name": target.name, "path": f"{rel}/{target.name}", "outcome": outcome,
                    "ok": r is not None and r.outcome in (Outcome.INGESTED, Outcome.DUPLICATE,
                                                          Outcome.UNCHANGED),
                    "problems": [reason for _, reason in (r.problems if r else [])]})
    sources = [ws.catalog.source(o["path"]) for o in out]
    shas = {s.sha for s in sources if s is not None and s.sha}
    ws.audit.record("upload", user, None, unit=unit, files=[o["name"] for o in out])
    if ws.ocr_here:                                 # [cluster]: the workers read them
        if queue_ocr is not None:
            queue_ocr(shas)
        else:
            with ws.ocr_queue(workers=0) as q:      # a few pages; a running watcher would do the rest
                q.submit(only=shas)
    for o, src in zip(out, sources):
        o["sha"] = src.sha if src is not None else None
    ws.sync_index()            # the files are searchable at once (by name; their text follows)
    if standing:
        add_standing(ws, out, material)
    return out


def _unit_holds(ws, path: str, unit: str) -> bool:
    """Whether the unit already holds the content now at `path` under another of its paths."""
    src = ws.catalog.source(path)
    if src is None or not src.sha:
        return False
    return any(s["unit"] == unit and s["path"] != path for s in ws.catalog.sources_of(src.sha))


def add_standing(ws, out: list[dict], material: str | None) -> None:
    """Each uploaded file's standing now: `reading` while its text is being read (识别中),
    else accepted, waiting or a problem (for `material`, or for any material)."""
    for o in out:
        row = ws.catalog.object(o["sha"]) if o.get("sha") else None
        o["ocr"] = row["ocr"] if row is not None else None
        if row is None:
            o["standing"] = "problem"
        elif row["ocr"] == "pending":
            o["standing"], o["reasons"] = "reading", []
        elif material:
            st = ws.standing(o["sha"], material)
            o["standing"], o["reasons"] = st["standing"], st["reasons"]
