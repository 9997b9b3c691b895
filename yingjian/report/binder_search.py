"""The binder's search, with no server: the files it holds and their text, written as plain
`.js` files that `index.html` loads by `<script>` (a page opened from a folder or a USB stick,
a `file://` page, cannot `fetch`). What a file says is stored already normalised by the
search index's own `normalize` (NFKC, OCR's spaces inside Chinese removed, lower case), so
the page only tests substrings and terms, with the meaning `yingjian search` gives them.

Split so that opening is quick and a search waits only for what it needs: `files.js` (the list:
path, name, unit, date, item and material; loaded with the page) and `text-NNN.js` chunks of
about CHUNK_CHARS characters, one first-level item's files together, each text once however
many materials the file serves. The chunks load when the search box is first focused; a search
shows what the loaded chunks hold at once and the rest as it comes, and one filtered to an item
waits for that item's chunks only. A chunk of Chinese text is
written in UTF-16 (with its byte-order mark), two bytes a character instead of UTF-8's three.
"""
from __future__ import annotations

import json
from importlib import resources

from indexer import normalize

FOLDER = "_search"
CHUNK_CHARS = 1_000_000


def _js(value) -> str:
    """JSON a script can hold as a literal (U+2028 / U+2029 escaped for older engines)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _encoded(script: str) -> bytes:
    """The script in UTF-8, or in UTF-16 with its byte-order mark when that is smaller (Chinese
    text: two bytes a character instead of three; browsers read the mark before any charset),
    so the data stays near the size of the texts and parses faster."""
    utf8 = script.encode("utf-8")
    utf16 = b"\xff\xfe" + script.encode("utf-16-le")
    return utf16 if len(utf16) < len(utf8) else utf8


def search_files(check: dict, entries, text_of) -> dict[str, bytes]:
    """name -> bytes of the search's data files, for the binder's `entries`
    [(first-level item, leaf, material, [(path in the binder, evidence)])]; `text_of(sha)` is
    the file's extracted text (OCR included), as the search index holds it."""
    tops = [(it["code"], it["title"]) for it in check["items"]]
    leaves: dict[str, tuple[str, str, str]] = {}
    rows = []
    chunks: list[list] = []
    sizes: list[int] = []
    where: dict[str, tuple[int, int]] = {}     # sha -> (chunk, position in it)
    chunk_of_top: dict[str, int] = {}
    for top, leaf, m, files in entries:
        leaves.setdefault(leaf["code"], (top["code"], leaf["code"], leaf["title"]))
        for arc, ev in files:
            sha = ev["id"]
            if sha not in where:
                original = ev["path"].rsplit("/", 1)[-1]
                text = normalize(text_of(sha) or "")
                c = chunk_of_top.get(top["code"])
                if c is None or sizes[c] + len(text) > CHUNK_CHARS and chunks[c]:
                    c = chunk_of_top[top["code"]] = len(chunks)
                    chunks.append([])
                    sizes.append(0)
                where[sha] = (c, len(chunks[c]))
                chunks[c].append([normalize(original), text])
                sizes[c] += len(text) + len(original)
            c, i = where[sha]
            rows.append([arc, ev["path"].rsplit("/", 1)[-1], ev.get("unit") or "", ev.get("date") or "",
                         top["code"], leaf["code"], m["id"], m["title"], c, i])
    files = {"tops": tops, "leaves": list(leaves.values()), "chunks": len(chunks), "rows": rows}
    out = {"files.js": _encoded(f"YJ.files({_js(files)});\n")}
    for c, texts in enumerate(chunks):
        out[f"text-{c:03d}.js"] = _encoded(f"YJ.texts({c},{_js(texts)});\n")
    out["search.js"] = resources.files("yingjian.report").joinpath("templates/binder_search.js").read_bytes()
    return out
