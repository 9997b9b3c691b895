"""The evidence date of a file: when the thing it proves happened, not when it was copied.

Sources, best first: the content (the 落款 date of a document: the last date on its last page),
EXIF DateTimeOriginal, the file name (IMG_20210405_…, 微信图片_20230801…, 扫描全能王 2018-12-24),
the PDF's own metadata, and the file time last. Each answer says where it came from.
"""
from __future__ import annotations

import re
from datetime import date, datetime

MIN_YEAR, MAX_YEAR = 1949, 2100

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零○Ｏ一二三四五六七八九十"

# Full-width digits and the punctuation written between a date's parts (２０２２年３月１日,
# ２０２２．３．１, ２０２２／３／１: a full-width input mode), folded one character for one so
# that a match's position in the folded text is its position in the original.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                       "．": ".", "－": "-", "／": "/", "\u3000": " "})


def fold(text: str) -> str:
    """`text` with full-width digits and date punctuation made half-width, same length."""
    return text.translate(_FOLD)


_DATE_PATTERNS = [
    # 2018年12月24日, 2018 年 12 月 24 日, 2018年12月 (day optional)
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?"),
    # 二〇一八年十二月二十四日
    re.compile(rf"(?P<cy>[{_CN}]{{4}})\s*年\s*(?P<cm>[{_CN}]{{1,3}})\s*月(?:\s*(?P<cd>[{_CN}]{{1,3}})\s*[日号])?"),
    # 2018.12.24  2018-12-24  2018/12/24
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?P<sep>[.\-/])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?!\d)"),
]


def _cn_number(s: str) -> int | None:
    if "十" in s:
        left, _, right = s.partition("十")
        tens = _CN_DIGITS.get(left, None) if left else 1
        ones = _CN_DIGITS.get(right, None) if right else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if all(c in _CN_DIGITS for c in s):
        n = 0
        for c in s:
            n = n * 10 + _CN_DIGITS[c]
        return n
    return None


def _valid(y: int, m: int, d: int | None) -> str | None:
    if not (MIN_YEAR <= y <= MAX_YEAR and 1 <= m <= 12):
        return None
    if d is None:
        return f"{y:04d}-{m:02d}"
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, str]]:
    """Every date written in `text`, as (position, ISO date or YYYY-MM), in reading order."""
    found: dict[int, tuple[int, str]] = {}
    text = fold(text)
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            g = m.groupdict()
            if g.get("cy"):
                y, mo = _cn_number(g["cy"]), _cn_number(g["cm"])
                d = _cn_number(g["cd"]) if g.get("cd") else None
                if y is None or mo is None or (g.get("cd") and d is None):
                    continue
            else:
                y, mo = int(g["y"]), int(g["m"])
                d = int(g["d"]) if g.get("d") else None
            iso = _valid(y, mo, d)
            if iso and not any(abs(p - m.start()) < 4 for p in found):
                found[m.start()] = (m.start(), iso)
    return sorted(found.values())


def content_date(pages: list[str]) -> str | None:
    """The 落款 date: the last date on the last page that has one."""
    for page in reversed(pages):
        dates = find_dates(page)
        if dates:
            return dates[-1][1]
    return None


_NAME_PATTERNS = [
    # the date may run straight into a time: 微信图片_20230801142501, IMG20210405103200
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.年 ]?(0[1-9]|1[0-2])[-_.月 ]?(0[1-9]|[12]\d|3[01])"
               r"(?:(?!\d)|(?=\d{4}(?:\d{2})?(?:\d{3})?(?!\d)))"),
]


def filename_date(name: str) -> str | None:
    """A date in a file name: IMG_20210405_…, 微信图片_20230801…, 扫描全能王 2018-12-24 10.32."""
    name = fold(name)
    for pat in _NAME_PATTERNS:
        for m in pat.finditer(name):
            iso = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if iso:
                return iso
    dates = find_dates(name)
    return dates[0][1] if dates else None


def exif_date(value: str | None) -> str | None:
    """EXIF writes '2021:04:05 10:32:00'; cameras with no clock write zeros."""
    if not value:
        return None
    m = re.match(r"\s*(\d{4})[:\-](\d{2})[:\-](\d{2})", fold(str(value)))
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def pdf_date(value) -> str | None:
    """PDF dates look like D:20181224103200+08'00'; pypdf may already give a datetime."""
    if isinstance(value, datetime):
        return _valid(value.year, value.month, value.day)
    if not value:
        return None
    m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", fold(str(value)))
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def mtime_date(mtime_ns: int | None) -> str | None:
    if not mtime_ns:
        return None
    return datetime.fromtimestamp(mtime_ns / 1e9).date().isoformat()


def evidence_date(*, pages: list[str], exif: str | None, name: str, pdf: str | None,
                  mtime_ns: int | None, metadata: str | None = None
                  ) -> tuple[str | None, str | None]:
    """(date, source), trusted in this order: content, exif, the format's own metadata
    (an ISO date: Office SummaryInformation, OFD CreationDate, a video's creation_time),
    filename, pdf, mtime."""
    for source, read, value in (("content", content_date, pages), ("exif", exif_date, exif),
                                ("metadata", exif_date, metadata),
                                ("filename", filename_date, name), ("pdf", pdf_date, pdf),
                                ("mtime", mtime_date, mtime_ns)):
        found = read(value)         # each asked only if the ones before found nothing
        if found:
            return found, source
    return None, None


_META_DATE = [
    re.compile(r"(?:D:)?((?:19|20)\d{2})(\d{2})(\d{2})"),
    re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})"),
]


def meta_date(value) -> str | None:
    """A format's own date (OFD's 2021-6-4, D:20220708…, a video's 2023-01-18T09:00:00Z, a
    datetime) as an ISO date, or None."""
    if value is None:
        return None
    if hasattr(value, "year"):
        y, m, d = value.year, value.month, value.day
    else:
        for pat in _META_DATE:
            found = pat.search(fold(str(value)))
            if found:
                y, m, d = (int(g) for g in found.groups())
                break
        else:
            return None
    try:
        iso = date(y, m, d)
    except ValueError:
        return None
    return iso.isoformat() if 1980 <= y <= 2100 else None
