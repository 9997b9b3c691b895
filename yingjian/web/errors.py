"""The web app's sentences and its one error handler. Every HTTP status (500 included: a
broken standard.yaml, any exception) renders the same Chinese page with what happened and
what to do; an unexpected error is logged with a short reference number shown on the page, so
a clerk can quote it and the office find the traceback.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, abort

# Every sentence the web app itself shows (titles and hints). Kept together so that they can
# move into yingjian/messages.py with the rest of the application's sentences.
TEXT = {
    # per status: (title, hint)
    400: ("请求无效", "请返回上一页重试。"),
    401: ("请先登录", "请用双拥办分配的账号登录。"),
    403: ("没有权限", "此页面仅供双拥办使用;如需查看,请联系双拥办。"),
    404: ("找不到页面", "地址可能有误,或文件已不存在;请从首页重新进入。"),
    405: ("不支持的操作", "请从页面上的按钮操作,不要直接输入地址。"),
    413: ("文件太大", "单次上传不超过 {max_mb} MB;请分批上传,或压缩后上传。"),
    500: ("服务器出错了", "请稍后重试;如果一直出错,请把下面的参考编号告诉管理员。"),
    "other": ("出错了", "请返回上一页重试。"),
    # named errors the views raise: (title, hint)
    "csrf": ("页面已过期或请求无效", "请刷新页面后重试。"),
    "office_only": ("此页面仅供双拥办使用", "单位账号只能查看本单位的文件和任务。"),
    "no_file": ("找不到这个文件", "文件编号可能有误,或文件不属于本单位。"),
    "no_unit": ("找不到这个单位", "请从“单位”页面进入。"),
    "no_item": ("考评标准中没有这个项目", "请从“考评项目”页面进入。"),
    "no_page": ("找不到这一页", "文件没有这一页;请从文件页面进入。"),
    "bad_action": ("无效的操作", "请从页面上的按钮操作。"),
    "pick_unit": ("请选择单位", "上传前请在列表中选择单位。"),
    "bad_note": ("无效的标记", "请选择“已通知”或“忽略”;忽略时请写明原因。"),
    # sentences in pages
    "login_failed": "用户名或密码不正确",
    "no_files_chosen": "请选择要上传的文件",
    "too_many_files": "一次最多上传 {max_files} 个文件",
}

log = logging.getLogger("yingjian.web")


class Named(HTTPException):
    """An HTTP error whose page says one of the named sentences above (`key`), plus details."""

    def __init__(self, code: int, key: str, detail: str | None = None):
        super().__init__(description=detail)
        self.code = code
        self.key = key


def fail(code: int, key: str, detail: str | None = None):
    """Stop the request with status `code` and the page for `key` (a name in TEXT)."""
    raise Named(code, key, detail)


def register(app: Flask, *, max_upload_mb: int) -> None:
    """One handler for every status and every exception."""

    @app.errorhandler(Exception)
    def error_page(e: Exception):
        from .. import messages as msg
        ref, detail = None, None
        if isinstance(e, Named):
            code, (title, hint), detail = e.code, TEXT[e.key], e.description
        elif isinstance(e, HTTPException) and e.code is not None and e.code < 500:
            code = e.code
            title, hint = TEXT.get(code, TEXT["other"])
            # a view's own sentence (say a MappingError's) is shown; Werkzeug's English is not
            if isinstance(e.description, str) and e.description != type(e).description:
                detail = e.description
        else:
            code, ref = 500, secrets.token_hex(3).upper()
            log.error("网页出错 [%s]", ref, exc_info=e)
            if isinstance(getattr(e, "code", None), str):    # a core error: its own words
                m = msg.describe(e)
                title, _, detail = m.text.partition("\n")
                hint = (m.hint or TEXT[500][1]).replace("{", "{{").replace("}", "}}")
            else:
                title, hint = TEXT[500]
        return render_template("error.html", code=code, message=title, detail=detail or None,
                               hint=hint.format(max_mb=max_upload_mb), ref=ref), code


__all__ = ["TEXT", "abort", "fail", "register"]
