"""The inspection binder: a ZIP laid out as inspectors expect, a folder per first-level item and
numbered item, the confirmed evidence byte-identical to the archive, an index.html that
searches them with no server (binder_search.py)."""
from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from . import ReportData, leaves as _leaves
from .binder_search import FOLDER, search_files
from .html import env as _env, html_report
from .names import safe_name
from .volumes import write_volumes

VOLUMES = "汇编"

_URL_UNSAFE = re.compile(r'[%#?"<>\\\s\x00-\x1f\x7f]')


def href(path: str) -> str:
    """A relative link to a file in the binder: only what a URL path cannot hold is escaped
    (Chinese stays as it is: a link a third the length of a fully percent-encoded one)."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), path)


def write_binder(data: ReportData, path: Path, self_assessment: Path | None = None,
                 volumes: bool = True) -> Path:
    """The inspection binder: a folder per first-level item, a subfolder per numbered item,
    the confirmed evidence named so it sorts by date (byte-identical to the archive), an
    index.html that links and searches them, the self-assessment table (00 总目录与自评表) and
    the bound PDF volumes, one per first-level item (汇编/; `volumes=False` leaves them out)."""
    if data.object_path is None:
        raise ValueError("write_binder needs data.object_path")
    c = data.check
    root = safe_name(f"迎检资料汇编_{data.made_at:%Y%m%d}")
    entries = []                         # (first-level item, leaf, material, [(arcname, ev)])
    used: set[str] = set()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, top in enumerate(c["items"], 1):
            top_dir = safe_name(f"{n:02d} {top['title']}", 40)
            for leaf in _leaves([top]):
                leaf_dir = safe_name(f"{leaf['code']} {leaf['title']}", 40)
                for m in leaf["materials"]:
                    files = []
                    for ev in m["evidence"]:
                        if not (ev["confirmed"] and ev["counts"]):
                            continue
                        name = PurePosixPath(ev["path"]).name
                        fname = safe_name(f"{ev['date'] or '日期不详'} {m['id']} {name}")
                        arc = f"{root}/{top_dir}/{leaf_dir}/{fname}"
                        k = 2
                        while arc in used:
                            stem, dot, ext = fname.rpartition(".")
                            arc = f"{root}/{top_dir}/{leaf_dir}/{stem} ({k}).{ext}" if dot else f"{arc} ({k})"
                            k += 1
                        used.add(arc)
                        zf.write(data.object_path(ev["id"]), arc)
                        files.append((arc[len(root) + 1:], ev))
                    entries.append((top, leaf, m, files))
        if self_assessment is not None:
            zf.write(self_assessment, f"{root}/00 总目录与自评表/自评表.xlsx")
        zf.writestr(f"{root}/00 总目录与自评表/准备情况报告.html", html_report(data))
        made_volumes = []
        with tempfile.TemporaryDirectory() as made:
            for vol in write_volumes(data, Path(made)) if volumes else ():
                zf.write(vol, f"{root}/{VOLUMES}/{vol.name}")
                made_volumes.append(f"{VOLUMES}/{vol.name}")
        for name, content in search_files(c, entries, data.text_of).items():
            zf.writestr(f"{root}/{FOLDER}/{name}", content)
        env = _env()
        env.filters["href"] = href
        index = env.get_template("binder_index.html").render(
            c=c, office=data.office, entries=entries, made_at=data.made_at.strftime("%Y-%m-%d %H:%M"),
            has_table=self_assessment is not None, volumes=made_volumes, total_files=sum(len(f) for *_, f in entries))
        zf.writestr(f"{root}/index.html", index)
    os.replace(tmp, path)
    return path
