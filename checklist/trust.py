"""What counts by itself: the one rule deciding whether a file's own word (a folder or file-name
code) makes it confirmed evidence, or only a suggestion waiting for the office.

A declared file counts by itself only when all four hold:
- its unit is one of the item's responsible units, or the office's own folder;
- its kind fits the material (a ledger needs a ledger, not a text file);
- it was read: not a problem, not a format no reader understood;
- its evidence date came from inside it (the content, EXIF, the format's metadata, PDF
  properties) or a person vouched for it, never the file name or the file time.
Otherwise it waits, with its reasons as codes with data (yingjian/messages.py says them in words).
"""
from __future__ import annotations

# where a date may come from for a file to count by its own word
TRUSTED_DATE_SOURCES = frozenset({"content", "exif", "metadata", "pdf", "vouched"})

# the reasons a file waits for the office, in the order they are shown
NOT_RESPONSIBLE_UNIT = "not_responsible_unit"   # unit
KIND_MISMATCH = "kind_mismatch"                 # need, got
UNREAD = "unread"
DATE_NOT_INSIDE = "date_not_inside"             # source
FOUND_BY_CONTENT = "found_by_content"           # a content rule matched; the office decides
AMBIGUOUS_ITEM = "ambiguous_item"               # code: filed under an item with several materials
VETO_NEEDS_REVIEW = "veto_needs_review"         # a veto item's file counts once the office confirms it

Reason = tuple[str, dict]


def declared_waits(*, units: set[str], item_units: list[str], office: str, kind: str | None,
                   need: str, usable: bool, unread: bool, date_source: str | None) -> list[Reason]:
    """Why a file filed under a material by name does not count by itself: [] when it does.
    `units` are the units whose folders declared it (the same bytes may come from several)."""
    out: list[Reason] = []
    allowed = set(item_units) | {office}
    if not units & allowed:
        out.append((NOT_RESPONSIBLE_UNIT, {"unit": "、".join(sorted(units))}))
    if need != "any" and need != kind:
        out.append((KIND_MISMATCH, {"need": need, "got": kind or "other"}))
    if unread or not usable:
        out.append((UNREAD, {}))
    elif date_source not in TRUSTED_DATE_SOURCES:
        out.append((DATE_NOT_INSIDE, {"source": date_source or "none"}))
    return out


def date_counts(*, unread: bool, date_source: str | None) -> bool:
    """A file no reader understood never counts by a date from outside it (its name or file
    time): only a date a person vouched for makes it count, even once it is confirmed."""
    return not unread or date_source == "vouched"
