"""The text of a Word 97–2003 binary document (.doc), which is also what WPS 文字 writes when a
clerk keeps the .wps name. [MS-DOC] in brief: an OLE compound file whose `WordDocument` stream
starts with the FIB; the FIB says which table stream (`0Table` or `1Table`) holds the CLX, whose
piece table maps character positions (CPs) to file offsets, each piece either UTF-16LE or
"compressed" (one cp1252 byte a character). The body is CPs [0, ccpText); headers and footers
follow the footnotes. Field codes (between 0x13 and 0x14) are dropped, field results kept.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from .. import reasons
from .base import FormatError

_WIDENT = 0xA5EC
_F_ENCRYPTED = 0x0100
_F_WHICH_TABLE = 0x0200
_F_OBFUSCATED = 0x8000
_COMPRESSED = 0x40000000
_MAX_PIECES = 1_000_000

# what Word's control characters become in plain text
_CONTROL = {
    "\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n",   # paragraph, line, page, column
    "\x07": "\t",                                             # end of a table cell
    "\x1e": "-", "\xa0": " ", "\t": "\t",
}
_DROP = set("\x00\x01\x02\x03\x04\x05\x06\x08\x1f")           # anchors of pictures, notes ...


@dataclass
class WordText:
    body: str
    headers: str = ""
    info: dict = field(default_factory=dict)


def read_word97(ole) -> WordText:
    """The text of the Word 97 document in the open `olefile.OleFileIO`."""
    if not ole.exists("WordDocument"):
        raise FormatError(reasons.DOC_CORRUPT)
    wd = ole.openstream("WordDocument").read()
    if len(wd) < 0x200:
        raise FormatError(reasons.DOC_CORRUPT)
    ident, nfib = struct.unpack_from("<HH", wd, 0)
    if ident != _WIDENT:
        raise FormatError(reasons.DOC_CORRUPT)
    flags = struct.unpack_from("<H", wd, 0x0A)[0]
    if flags & (_F_ENCRYPTED | _F_OBFUSCATED):
        raise FormatError(reasons.OFFICE_ENCRYPTED)
    if nfib < 101:                       # Word 6 / 95: no piece table of this shape
        raise FormatError(reasons.DOC_TOO_OLD)
    csw = struct.unpack_from("<H", wd, 0x20)[0]
    lw = 0x22 + csw * 2 + 2
    cslw = struct.unpack_from("<H", wd, lw - 2)[0]
    ccp = struct.unpack_from("<9i", wd, lw + 12)       # ccpText ... ccpHdrTxbx
    fclcb = lw + cslw * 4 + 2
    cb_fclcb = struct.unpack_from("<H", wd, fclcb - 2)[0]
    if cb_fclcb < 34 or fclcb + 34 * 8 > len(wd):
        raise FormatError(reasons.DOC_CORRUPT)
    fc_clx, lcb_clx = struct.unpack_from("<II", wd, fclcb + 33 * 8)
    table_name = "1Table" if flags & _F_WHICH_TABLE else "0Table"
    if not ole.exists(table_name):
        raise FormatError(reasons.DOC_CORRUPT)
    table = ole.openstream(table_name).read()
    if lcb_clx == 0 or fc_clx + lcb_clx > len(table):
        raise FormatError(reasons.DOC_CORRUPT)
    pieces = _piece_table(table[fc_clx:fc_clx + lcb_clx])
    text = _assemble(wd, pieces)
    ccp_text, ccp_ftn, ccp_hdd = max(ccp[0], 0), max(ccp[1], 0), max(ccp[2], 0)
    body = clean(text[:ccp_text])
    hdr_start = ccp_text + ccp_ftn
    headers = clean(text[hdr_start:hdr_start + ccp_hdd])
    return WordText(body=body, headers=headers, info={"nfib": nfib})


def _piece_table(clx: bytes) -> list[tuple[int, int, int, bool]]:
    """(cp start, cp end, file offset, compressed) of every piece, from the CLX."""
    i = 0
    while i < len(clx) and clx[i] == 0x01:              # Prc: formatting, skipped
        if i + 3 > len(clx):
            raise FormatError(reasons.DOC_CORRUPT)
        i += 3 + struct.unpack_from("<H", clx, i + 1)[0]
    if i + 5 > len(clx) or clx[i] != 0x02:
        raise FormatError(reasons.DOC_CORRUPT)
    lcb = struct.unpack_from("<I", clx, i + 1)[0]
    plc = clx[i + 5:i + 5 + lcb]
    if lcb < 4 or len(plc) < lcb or (lcb - 4) % 12:
        raise FormatError(reasons.DOC_CORRUPT)
    n = (lcb - 4) // 12
    if n > _MAX_PIECES:
        raise FormatError(reasons.DOC_CORRUPT)
    cps = struct.unpack_from(f"<{n + 1}i", plc, 0)
    out = []
    for k in range(n):
        fc = struct.unpack_from("<I", plc, (n + 1) * 4 + k * 8 + 2)[0]
        compressed = bool(fc & _COMPRESSED)
        offset = (fc & ~_COMPRESSED) // 2 if compressed else fc
        if cps[k + 1] < cps[k]:
            raise FormatError(reasons.DOC_CORRUPT)
        out.append((cps[k], cps[k + 1], offset, compressed))
    return out


def _assemble(wd: bytes, pieces) -> str:
    parts = []
    for start, end, offset, compressed in pieces:
        count = end - start
        if compressed:
            raw = wd[offset:offset + count]
            if len(raw) < count:
                raise FormatError(reasons.DOC_CORRUPT)
            parts.append(raw.decode("cp1252", errors="replace"))
        else:
            raw = wd[offset:offset + 2 * count]
            if len(raw) < 2 * count:
                raise FormatError(reasons.DOC_CORRUPT)
            parts.append(raw.decode("utf-16-le", errors="replace"))
    return "".join(parts)


_BLANKS = re.compile(r"[ \t]+\n")
_MANY_LINES = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Word's text with field codes dropped and control characters made plain."""
    out = []
    stack: list[bool] = []        # per open field: True once its result (after 0x14) begins
    for ch in text.replace("\x07\x07", "\x07\r"):      # cell mark + row mark: the row ends
        if ch == "\x13":
            stack.append(False)
            continue
        if ch == "\x14":
            if stack:
                stack[-1] = True
            continue
        if ch == "\x15":
            if stack:
                stack.pop()
            continue
        if stack and not all(stack):
            continue                                    # inside a field code
        if ch in _DROP:
            continue
        out.append(_CONTROL.get(ch, ch))
    s = _BLANKS.sub("\n", "".join(out))
    return _MANY_LINES.sub("\n\n", s).strip()
