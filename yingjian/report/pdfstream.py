"""A PDF written as it goes: pages are copied from other PDFs one at a time, each page's objects
(content, fonts, the scanned image) written to the file at once and forgotten, so a volume of
thousands of pages, or a 300-page scan inside it, never sits in memory whole (pypdf's
PdfWriter keeps every object until it writes). pypdf parses the sources; this module only
renumbers their objects and writes them, then the page tree, the bookmarks and the xref.

A copied page keeps its content as it is; a page number can be drawn over it in Helvetica
(digits need no embedded font), placed at the bottom of the page as it is displayed, whatever
its /Rotate. References from a page to other pages (links, the page tree) are dropped, so
copying one page never drags its whole document along.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject,
                           NameObject, NullObject, NumberObject, StreamObject,
                           create_string_object)

_SKIP_KEYS = {"/Parent", "/P", "/StructParents", "/StructParent", "/B"}


@dataclass
class Mark:
    """A bookmark: its title, the index of the page it opens (0-based) and its children."""
    title: str
    page: int
    children: list["Mark"] = field(default_factory=list)


class PdfStream:
    def __init__(self, fp):
        self.fp = fp
        self.offsets: dict[int, int] = {}
        self.n = 0
        fp.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.pages_ref = self._alloc()
        self.page_refs: list[int] = []
        self._font = None            # Helvetica, for page numbers drawn over copied pages
        self._open = None            # the "q" that saves the graphics state before a copied page

    def _alloc(self) -> int:
        self.n += 1
        return self.n

    def _write(self, num: int, obj) -> None:
        self.offsets[num] = self.fp.tell()
        self.fp.write(f"{num} 0 obj\n".encode("ascii"))
        obj.write_to_stream(self.fp)
        self.fp.write(b"\nendobj\n")

    def _add(self, obj) -> IndirectObject:
        num = self._alloc()
        self._write(num, obj)
        return IndirectObject(num, 0, None)

    @property
    def pages(self) -> int:
        return len(self.page_refs)

    # -- copying pages -------------------------------------------------------------------

    def copy_pages(self, reader, numbers=None, number_from: int | None = None) -> None:
        """Copy pages of a pypdf reader (all, or those of `numbers`), in order; with
        `number_from`, draw the page number, counting up from it, at the foot of each."""
        memo: dict[tuple[int, int], int] = {}
        for k, i in enumerate(range(len(reader.pages)) if numbers is None else numbers):
            page = reader.pages[i]
            label = None if number_from is None else number_from + k
            self._copy_page(page, memo, label)
            # what was read for this page is written; let it go (shared objects stay in memo)
            reader.resolved_objects.clear()

    def _copy_page(self, page, memo, label) -> None:
        pending: list[tuple[int, object]] = []

        def conv(obj):
            if isinstance(obj, IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in memo:
                    return IndirectObject(memo[key], 0, None)
                target = obj.get_object()
                if isinstance(target, DictionaryObject) and target.get("/Type") in ("/Page", "/Pages"):
                    return NullObject()
                num = memo[key] = self._alloc()
                pending.append((num, target))
                return IndirectObject(num, 0, None)
            if isinstance(obj, StreamObject):
                new = DecodedStreamObject()
                new._data = obj._data
                for k, v in obj.items():
                    if k != "/Length":
                        new[NameObject(k)] = conv(v)
                return new
            if isinstance(obj, DictionaryObject):
                new = DictionaryObject()
                for k, v in obj.items():
                    if k not in _SKIP_KEYS:
                        new[NameObject(k)] = conv(v)
                return new
            if isinstance(obj, ArrayObject):
                return ArrayObject(conv(v) for v in obj)
            return obj

        new = DictionaryObject()
        for k, v in page.items():
            if k not in _SKIP_KEYS and k not in ("/Contents", "/Resources", "/Thumb"):
                new[NameObject(k)] = conv(v)
        new[NameObject("/Type")] = NameObject("/Page")
        new[NameObject("/Parent")] = IndirectObject(self.pages_ref, 0, None)
        res = page.get("/Resources")
        res = res.get_object() if res is not None else DictionaryObject()
        resources = DictionaryObject()
        for k, v in res.items():
            if not (k == "/Font" and label is not None):
                resources[NameObject(k)] = conv(v)
        contents = page.get("/Contents")
        if isinstance(contents, IndirectObject) and isinstance(contents.get_object(), ArrayObject):
            contents = contents.get_object()
        parts: list = []
        if isinstance(contents, ArrayObject):
            parts = list(conv(contents))
        elif contents is not None:
            c = conv(contents)
            parts = [self._add(c) if isinstance(c, StreamObject) else c]
        if label is not None:
            fonts = DictionaryObject()
            if "/Font" in res:
                for k, v in res["/Font"].items():
                    fonts[NameObject(k)] = conv(v)
            fonts[NameObject("/YJPageNumber")] = self._helvetica()
            resources[NameObject("/Font")] = fonts
            parts = [self._q(), *parts, self._add(_number_stream(page, label))]
        new[NameObject("/Resources")] = resources
        if parts:
            new[NameObject("/Contents")] = ArrayObject(parts)
        while pending:
            num, target = pending.pop()
            self._write(num, conv(target))
        self.page_refs.append(self._alloc())
        self._write(self.page_refs[-1], new)

    def _helvetica(self) -> IndirectObject:
        if self._font is None:
            self._font = self._add(DictionaryObject({
                NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
        return self._font

    def _q(self) -> IndirectObject:
        if self._open is None:
            s = DecodedStreamObject()
            s.set_data(b"q\n")
            self._open = self._add(s)
        return self._open

    # -- the end: page tree, bookmarks, catalog, xref ----------------------------------------

    def finish(self, marks: list[Mark], title: str) -> None:
        self._write(self.pages_ref, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"), NameObject("/Count"): NumberObject(self.pages),
            NameObject("/Kids"): ArrayObject(IndirectObject(r, 0, None) for r in self.page_refs)}))
        catalog = DictionaryObject({NameObject("/Type"): NameObject("/Catalog"),
                                    NameObject("/Pages"): IndirectObject(self.pages_ref, 0, None)})
        if marks:
            root = self._alloc()
            first, last, count = self._outline(marks, root)
            self._write(root, DictionaryObject({
                NameObject("/Type"): NameObject("/Outlines"), NameObject("/First"): first,
                NameObject("/Last"): last, NameObject("/Count"): NumberObject(count)}))
            catalog[NameObject("/Outlines")] = IndirectObject(root, 0, None)
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        root_ref = self._add(catalog)
        info = self._add(DictionaryObject({NameObject("/Title"): create_string_object(title),
                                           NameObject("/Producer"): create_string_object("yingjian")}))
        xref = self.fp.tell()
        self.fp.write(f"xref\n0 {self.n + 1}\n0000000000 65535 f \n".encode("ascii"))
        for num in range(1, self.n + 1):
            self.fp.write(f"{self.offsets[num]:010d} 00000 n \n".encode("ascii"))
        self.fp.write(f"trailer\n<< /Size {self.n + 1} /Root {root_ref.idnum} 0 R /Info {info.idnum} 0 R >>\n"
                      f"startxref\n{xref}\n%%EOF\n".encode("ascii"))

    def _outline(self, marks: list[Mark], parent: int):
        """Write the bookmarks of one level; (first, last, count of open descendants)."""
        nums = [self._alloc() for _ in marks]
        total = len(marks)
        for k, (m, num) in enumerate(zip(marks, nums)):
            d = DictionaryObject({
                NameObject("/Title"): create_string_object(m.title),
                NameObject("/Parent"): IndirectObject(parent, 0, None),
                NameObject("/Dest"): ArrayObject([IndirectObject(self.page_refs[m.page], 0, None),
                                                  NameObject("/Fit")])})
            if k:
                d[NameObject("/Prev")] = IndirectObject(nums[k - 1], 0, None)
            if k + 1 < len(nums):
                d[NameObject("/Next")] = IndirectObject(nums[k + 1], 0, None)
            if m.children:
                first, last, count = self._outline(m.children, num)
                d[NameObject("/First")], d[NameObject("/Last")] = first, last
                d[NameObject("/Count")] = NumberObject(count)
                total += count
            self._write(num, d)
        return IndirectObject(nums[0], 0, None), IndirectObject(nums[-1], 0, None), total


def page_box(page) -> tuple[float, float, float, float, int]:
    """(x0, y0, width, height, rotation) of the page as shown: its crop box, its /Rotate."""
    box = page.cropbox if "/CropBox" in page else page.mediabox
    x0, y0 = float(min(box.left, box.right)), float(min(box.bottom, box.top))
    rot = int(page.get("/Rotate", 0) or 0) % 360
    return x0, y0, abs(float(box.width)), abs(float(box.height)), rot


def _number_stream(page, label: int) -> StreamObject:
    """`Q` (back to the page's own state), then "- N -" centred at the foot of the page as
    displayed, on a small white ground."""
    x0, y0, w, h, rot = page_box(page)
    dw = h if rot in (90, 270) else w
    # display space -> user space, for each /Rotate
    m = {0: (1, 0, 0, 1, x0, y0), 90: (0, 1, -1, 0, x0 + w, y0),
         180: (-1, 0, 0, -1, x0 + w, y0 + h), 270: (0, -1, 1, 0, x0, y0 + h)}.get(rot, (1, 0, 0, 1, x0, y0))
    text = f"- {label} -"
    size = 9
    widths = {"-": 0.333, " ": 0.278}
    tw = size * sum(widths.get(ch, 0.556) for ch in text)
    x, y = dw / 2 - tw / 2, 14
    body = (f"Q q {' '.join(_num(v) for v in m)} cm 1 g {_num(x - 4)} {_num(y - 3)} {_num(tw + 8)} "
            f"{size + 4} re f 0 g BT /YJPageNumber {size} Tf {_num(x)} {_num(y)} Td ({text}) Tj ET Q\n")
    s = DecodedStreamObject()
    s.set_data(body.encode("ascii"))
    return s


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


__all__ = ["Mark", "PdfStream", "page_box"]
