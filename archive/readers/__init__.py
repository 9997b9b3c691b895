"""Readers for the formats a Chinese office sends besides PDF, images and Office Open XML: the
Word 97 / WPS and PowerPoint 97 binaries, Excel 97 / WPS ledgers, RTF, OFD, HEIC, multi-page
TIFF scans and videos. Each reader takes a stored object and returns an `Extraction`; a file it
cannot understand raises `FormatError` with the reason a clerk reads.
"""
from __future__ import annotations


class FormatError(Exception):
    """The file is of a known format but damaged or refused; `reason` is a `Reason` (a code and
    its data), which yingjian/messages.py puts into words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
