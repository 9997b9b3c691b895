"""Migrations of the catalog that need code, not just SQL.

Schema 3 turns the problem reasons that releases up to 0.1.0 stored as finished sentences into
codes with data (archive/reasons.py). The sentences below are those releases' exact wording,
kept only to be recognised here: they are history, not messages.
"""
from __future__ import annotations

import json
import re
import sqlite3

from .reasons import Reason, parse

# code -> the sentence release 0.1.0 stored, with its {fields}
LEGACY_SENTENCES = {
    "empty": "文件为空(0 字节),请重新上传完整文件",
    "truncated": "文件不完整(可能复制中断),请重新上传完整文件",
    "too_large_to_archive": "文件过大({size}),超过归档上限 {limit},未归档;请拆分后上传或联系管理员",
    "too_large_to_read": "文件过大({size}),已归档但未提取文字(上限 {limit})",
    "unreadable": "无法读取该文件(没有权限或文件被占用),请检查后重新上传",
    "symlink_outside": "这是指向收件箱以外位置的快捷方式/链接,出于安全原因未读取;请上传文件本身",
    "pdf_encrypted": "PDF 已加密,请上传未加密版本",
    "pdf_corrupt": "PDF 文件已损坏,无法打开;请重新扫描或重新导出后上传",
    "pdf_too_many_pages": "PDF 页数过多({pages} 页),只读取了前 {limit} 页的文字",
    "image_corrupt": "图片文件已损坏,无法打开;请重新拍摄或重新导出后上传",
    "image_truncated": "图片文件不完整(可能传输中断),请重新上传原图",
    "image_bomb": "图片尺寸异常({pixels} 像素,上限 {limit}),疑似恶意文件,已拒绝处理",
    "image_unsupported": "暂不支持读取此图片格式({fmt}),文件已归档",
    "docx_corrupt": "Word 文件已损坏,无法打开;请用 Word 或 WPS 重新保存后上传",
    "xlsx_corrupt": "Excel 文件已损坏,无法打开;请用 Excel 或 WPS 重新保存后上传",
    "office_encrypted": "Office 文件设有打开密码,请取消密码后重新上传",
    "office_bomb": "文件内部数据解压后过大,疑似恶意文件,已拒绝处理",
    "old_office": "旧版 Office 格式({fmt}),已归档但暂不能提取文字;建议另存为 .docx / .xlsx 后上传",
    "text_undecodable": "文本文件编码无法识别,已归档但未提取文字",
    "zip_corrupt": "压缩包已损坏,无法解压;请重新压缩后上传",
    "zip_empty": "压缩包是空的,里面没有文件;请检查后重新压缩上传",
    "zip_encrypted": "压缩包内文件设有密码,无法解压;请上传未加密的压缩包",
    "zip_bomb": "压缩包解压后过大({size},上限 {limit}),疑似压缩炸弹,未解压",
    "zip_too_many": "压缩包内文件过多({count} 个,上限 {limit}),未解压;请分批压缩上传",
    "zip_too_deep": "压缩包嵌套层数过多(超过 {limit} 层),内层未解压",
    "zip_unsafe_path": "压缩包内文件路径不安全(含 .. 或绝对路径:{name}),已按安全路径归档",
    "zip_member_bomb": "压缩包内此文件解压后远大于声明大小,疑似压缩炸弹,已拒绝",
    "ocr_failed": "第 {pages} 页的扫描图像无法识别(图像编码不支持或已损坏),这些页没有文字;可重新扫描为 JPEG 格式后上传",
    "extract_failed": "读取文件内容时出错({error}),文件已归档",
    "unknown_format": "无法识别的文件格式,已归档但未提取内容",
}


def _pattern(template: str) -> re.Pattern:
    rx, pos = "", 0
    for m in re.finditer(r"\{(\w+)\}", template):
        rx += re.escape(template[pos:m.start()]) + f"(?P<{m.group(1)}>.+?)"
        pos = m.end()
    return re.compile(rx + re.escape(template[pos:]) + r"\Z", re.S)


_PATTERNS = [(code, _pattern(t)) for code, t in LEGACY_SENTENCES.items()]


def reason_from_sentence(text: str | None) -> str | None:
    """The code and data a stored sentence stands for; a sentence no release wrote stays as it
    was, under the code `legacy`, so it is still shown word for word."""
    if not text:
        return text
    if text.startswith("{"):
        return str(parse(text))              # already a code
    for code, rx in _PATTERNS:
        m = rx.match(text)
        if m:
            data = m.groupdict()
            if code == "ocr_failed":
                data["pages"] = [int(p) for p in re.findall(r"\d+", data["pages"])]
            return str(Reason(code, **data))
    return str(Reason("legacy", text=text))


def reasons_to_codes(db: sqlite3.Connection) -> None:
    """Schema 3: every stored reason (objects, sources, and the `note` of objects' info)."""
    for table, key in (("objects", "sha"), ("sources", "id")):
        for row in db.execute(f"SELECT {key}, reason FROM {table} WHERE reason IS NOT NULL "
                              f"AND reason NOT LIKE '{{%'").fetchall():
            db.execute(f"UPDATE {table} SET reason = ? WHERE {key} = ?",
                       (reason_from_sentence(row[1]), row[0]))
    for sha, info in db.execute("SELECT sha, info FROM objects WHERE info LIKE '%\"note\"%'").fetchall():
        try:
            data = json.loads(info)
        except ValueError:
            continue
        note = data.get("note")
        if isinstance(note, str) and not note.startswith("{"):
            data["note"] = reason_from_sentence(note)
            db.execute("UPDATE objects SET info = ? WHERE sha = ?",
                       (json.dumps(data, ensure_ascii=False), sha))
