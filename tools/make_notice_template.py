"""Regenerate the bundled 督办通知 template (yingjian/data/notice_template.docx).

Run from the repository root: python tools/make_notice_template.py
The template is an ordinary Word file the office opens and edits in Word or WPS (letterhead,
wording, signature); its fields are docxtpl's (Jinja) tags, listed in the README. Laid out after
GB/T 9704 (党政机关公文格式): the office's name in red over a red rule, the document number, the
title, the addressee, the body, the table of what is still open (its header row repeated on every
page), how to hand in, the office and the date at the bottom right, room for the seal.
"""
import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "yingjian" / "data" / "notice_template.docx"
RED = RGBColor(0xE6, 0x00, 0x12)
BODY_FONT, TITLE_FONT, HEAD_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体"


def font(run, name: str, size: float, bold: bool = False, color=None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if color is not None:
        run.font.color.rgb = color


def para(doc, text: str, *, size: float = 16, name: str = BODY_FONT, align=None, bold=False,
         color=None, indent: bool = False, after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(28) if size >= 14 else None
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    font(p.add_run(text), name, size, bold, color)
    return p


def red_rule(p) -> None:
    """The red line under the letterhead (a bottom border on the paragraph)."""
    pPr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "E60012")):
        bottom.set(qn(k), v)
    border.append(bottom)
    pPr.append(border)


def row_flag(row, tag: str) -> None:
    trPr = row._tr.get_or_add_trPr()
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    trPr.append(el)


def cell_text(cell, text: str, *, bold: bool = False, size: float = 10.5,
              align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    font(p.add_run(text), HEAD_FONT if bold else BODY_FONT, size, bold)


def make() -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    para(doc, "{{ office }}", size=26, name=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER,
         color=RED, after=6)
    head = para(doc, "{{ doc_no }}", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, after=18)
    red_rule(head)
    para(doc, "{{ title }}", size=22, name=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, after=4)
    para(doc, "(第 {{ number }} 次督办)", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    para(doc, "{{ unit }}:", size=16)
    para(doc, "{% if inspection_date %}根据工作安排,{{ inspection_date }}将迎接双拥模范城考评组"
              "检查验收,{% if days_left is not none and days_left >= 0 %}距今还有 {{ days_left }} "
              "天。{% else %}。{% endif %}{% endif %}经核查迎检资料库,截至{{ day }},你单位尚有"
              "以下 {{ count }} 项佐证材料未报送或不齐全{% if veto_count %}(其中一票否决项 "
              "{{ veto_count }} 项,检查组首先查看,请优先补齐){% endif %},请于"
              "{% if due %}{{ due }}前{% else %}接到通知后五个工作日内{% endif %}报送。",
         indent=True)
    para(doc, "{% if previous %}此前已于{{ previous.day }}第 {{ previous.number }} 次督办,此后已补交 "
              "{{ previous.handed_in }} 项,仍缺 {{ previous.still_open }} 项;标注“※”的为上次督办"
              "时已列出、至今仍未报送的材料。{% endif %}", indent=True)

    table = doc.add_table(rows=4, cols=7)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(10), Mm(36), Mm(44), Mm(18), Mm(14), Mm(13), Mm(21))
    heads = ("序号", "考评项目", "佐证材料", "缺少年度", "状态", "一票否决", "截止日期")
    for i, h in enumerate(heads):
        cell_text(table.rows[0].cells[i], h, bold=True)
    row_flag(table.rows[0], "w:tblHeader")        # repeated at the top of every page
    row_flag(table.rows[0], "w:cantSplit")
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    fields = ("{{ r.no }}", "{{ r.item }}", "{{ r.again }}{{ r.material }}", "{{ r.years }}",
              "{{ r.status }}", "{{ r.veto }}", "{{ r.due }}{{ r.overdue }}")
    for i, f in enumerate(fields):
        cell_text(table.rows[2].cells[i], f,
                  align=WD_ALIGN_PARAGRAPH.LEFT if i in (1, 2) else WD_ALIGN_PARAGRAPH.CENTER)
    row_flag(table.rows[2], "w:cantSplit")
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = w

    para(doc, "", size=10)
    para(doc, "报送方式:请将材料按“材料编号_名称”命名(如 {{ example }}),放入本单位共享文件夹"
              "{{ inbox }}{% if web %},或登录迎检资料库 {{ web }} 用本单位账号上传{% endif %}。"
              "扫描件请保持清晰完整,照片请注明时间、地点和事由。", indent=True)
    para(doc, "{% if contact %}联系人:{{ contact }}{% endif %}", indent=True)
    para(doc, "", size=16)
    para(doc, "{{ office }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{ day }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "(盖章)", size=12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.core_properties.title = "督办通知模板"
    doc.core_properties.author = "yingjian"
    doc.save(OUT)
    return OUT


if __name__ == "__main__":
    print(make())
    sys.exit(0)
