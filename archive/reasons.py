"""Every reason a clerk may read about a file, as a code with data. The catalog stores the code
and its data (compact JSON), never a sentence: the sentence is made when it is shown, in
`yingjian/messages.py`, so a better wording reaches every row already stored.

A reason is a `str` (its JSON form), so it can be stored, compared and passed around like the
sentences it replaces; `REASON.format(size=..., limit=...)` adds data the way `str.format` filled
in a sentence.
"""
from __future__ import annotations

import json


class Reason(str):
    """A problem reason: `code` and `data`; its string value is what the catalog stores."""

    code: str
    data: dict

    def __new__(cls, code: str, **data) -> "Reason":
        text = json.dumps({"code": code, **data}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), default=str)
        obj = super().__new__(cls, text)
        obj.code, obj.data = code, dict(data)
        return obj

    def format(self, **data) -> "Reason":          # noqa: A003 - mirrors str.format on purpose
        return Reason(self.code, **{**self.data, **data})

    def __reduce__(self):                           # survives pickling to OCR worker processes
        return (_rebuild, (self.code, self.data))


def _rebuild(code: str, data: dict) -> Reason:
    return Reason(code, **data)


def parse(stored: str | None) -> Reason | None:
    """The reason a catalog row holds; a sentence from before codes (not migrated) is kept as
    the code `legacy` with its text, so it is still shown as it was."""
    if not stored:
        return None
    if isinstance(stored, Reason):
        return stored
    if stored.startswith("{"):
        try:
            data = json.loads(stored)
            code = data.pop("code")
            return Reason(code, **data)
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    return Reason("legacy", text=stored)


EMPTY = Reason("empty")
TRUNCATED = Reason("truncated")
TOO_LARGE_TO_ARCHIVE = Reason("too_large_to_archive")          # size, limit
TOO_LARGE_TO_READ = Reason("too_large_to_read")                # size, limit
UNREADABLE = Reason("unreadable")
SYMLINK_OUTSIDE = Reason("symlink_outside")

PDF_ENCRYPTED = Reason("pdf_encrypted")
PDF_CORRUPT = Reason("pdf_corrupt")
PDF_TOO_MANY_PAGES = Reason("pdf_too_many_pages")              # pages, limit

IMAGE_CORRUPT = Reason("image_corrupt")
IMAGE_TRUNCATED = Reason("image_truncated")
IMAGE_BOMB = Reason("image_bomb")                              # pixels, limit

DOCX_CORRUPT = Reason("docx_corrupt")
XLSX_CORRUPT = Reason("xlsx_corrupt")
OFFICE_ENCRYPTED = Reason("office_encrypted")
OFFICE_BOMB = Reason("office_bomb")
TEXT_UNDECODABLE = Reason("text_undecodable")

ZIP_CORRUPT = Reason("zip_corrupt")
ZIP_EMPTY = Reason("zip_empty")
ZIP_ENCRYPTED = Reason("zip_encrypted")
ZIP_BOMB = Reason("zip_bomb")                                  # size, limit
ZIP_TOO_MANY = Reason("zip_too_many")                          # count, limit
ZIP_TOO_DEEP = Reason("zip_too_deep")                          # limit
ZIP_UNSAFE_PATH = Reason("zip_unsafe_path")                    # name
ZIP_MEMBER_BOMB = Reason("zip_member_bomb")

OCR_FAILED = Reason("ocr_failed")                              # pages
EXTRACT_FAILED = Reason("extract_failed")                      # error
UNKNOWN_FORMAT = Reason("unknown_format")

# image bombs whose size could not even be read say so with this in `pixels`
PIXELS_UNKNOWN = "over_limit"

DOC_CORRUPT = Reason("doc_corrupt")
DOC_TOO_OLD = Reason("doc_too_old")
XLS_CORRUPT = Reason("xls_corrupt")
PPT_CORRUPT = Reason("ppt_corrupt")
RTF_CORRUPT = Reason("rtf_corrupt")
OFD_CORRUPT = Reason("ofd_corrupt")
OFD_NO_TEXT = Reason("ofd_no_text")
HEIC_CORRUPT = Reason("heic_corrupt")
VIDEO_CORRUPT = Reason("video_corrupt")
SEVENZIP_CORRUPT = Reason("sevenzip_corrupt")
SEVENZIP_ENCRYPTED = Reason("sevenzip_encrypted")
RAR_UNSUPPORTED = Reason("rar_unsupported")
NO_READER = Reason("no_reader")                             # fmt
PAGES_CAPPED = Reason("pages_capped")                       # fmt, pages, limit

# a reader in its guarded worker process (archive/guard.py) did not come back with a result
READ_CRASHED = Reason("read_crashed")                       # fmt, detail
READ_OUT_OF_MEMORY = Reason("read_out_of_memory")           # fmt, limit
READ_TIMEOUT = Reason("read_timeout")                       # fmt, seconds
READ_RESULT_TOO_LARGE = Reason("read_result_too_large")     # fmt, size, limit
READ_GAVE_UP = Reason("read_gave_up")                       # fmt, attempts
OBJECT_MISMATCH = Reason("object_mismatch")                 # found: the hash the bytes have
SEVENZIP_NOT_EXTRACTED = Reason("sevenzip_not_extracted")   # behind a bomb in the same 7z

# where a file sits: the first folder below the inbox must be one of the workspace's units
UNKNOWN_UNIT_FOLDER = Reason("unknown_unit_folder")            # folder, closest (the nearest units)
UNKNOWN_UNIT_FOLDER_NO_MATCH = Reason("unknown_unit_folder_no_match")   # folder
OUTSIDE_UNIT_FOLDER = Reason("outside_unit_folder")
NESTED_WORKSPACE = Reason("nested_workspace")                  # a folder holding another workspace

def human_size(n: int) -> str:
    """Size the way Windows Explorer shows it, so a clerk recognises it."""
    step = 1024.0
    for unit in ("B", "KB", "MB", "GB"):
        if n < step or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= step
    return f"{n:.1f} TB"
