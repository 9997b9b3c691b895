"""Every sentence a clerk reads, in one place: problem reasons, errors with their hints, the
mistakes of a standard file, and one table of labels. The core packages (archive, indexer,
checklist) raise errors and store reasons as codes with data; the command line (once, in
`main`), the web app (one error handler), the reports and the watcher's log all come here to
turn a code into words. Improve a sentence here and every old row shows the new one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from archive.reasons import parse as parse_reason

# -- labels: one table for every output (command line, web app, reports) ---------------------

KIND_LABELS = {"document": "文档", "photo": "照片", "ledger": "台账", "video": "视频",
               "other": "其他", "any": "不限"}
# what a clerk may type for a kind, in Chinese or English
KIND_NAMES = {**{v: k for k, v in KIND_LABELS.items() if k != "any"},
              **{k: k for k in KIND_LABELS if k != "any"}, "文件": "document", "文本": "document"}
FILE_STATUS_LABELS = {"ok": "正常", "problem": "有问题", "pending": "待读取", "withdrawn": "已撤回",
                      "refused": "未归档", "warning": "有提示", "unread": "内容未读取"}
READINESS_LABELS = {"complete": "齐全", "unconfirmed": "待确认", "partial": "不全", "missing": "缺失"}
READINESS_MARKS = {"complete": "✓", "unconfirmed": "?", "partial": "△", "missing": "✗"}
DATE_SOURCE_LABELS = {"content": "落款", "exif": "拍摄时间", "filename": "文件名", "pdf": "PDF属性",
                      "metadata": "文件属性", "mtime": "文件时间", "vouched": "人工认定"}
HOW_LABELS = {"declared": "按编号归档", "suggested": "按内容建议", "decided": "人工决定"}
ACTION_LABELS = {"confirm": "确认", "reject": "排除", "assign": "指定", "unassign": "撤销"}
OUTCOME_LABELS = {"ingested": "已归档", "duplicate": "已归档(内容与已有文件相同)",
                  "refused": "未归档", "pending": "等待复制完成", "unchanged": "未变化"}
LEVEL_LABELS = {"error": "错误", "warning": "提醒"}
# the web app's file list: its status filter, sort orders, mapped-or-not filter
FILE_LIST_STATUS_LABELS = {"ok": "正常", "problem": "问题", "pending": "待识别", "withdrawn": "已撤回"}
SORT_LABELS = {"unit": "单位", "date": "日期", "name": "文件名", "size": "大小"}
MAPPED_LABELS = {"yes": "已对应材料", "no": "未对应任何材料"}


@dataclass(frozen=True)
class Message:
    """What a person reads: one sentence, and what to do about it (may be empty)."""
    text: str
    hint: str = ""


# -- problem reasons (archive/reasons.py) -----------------------------------------------------

REASONS = {
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
    # no longer given since every such format has a reader; kept for the rows that carry them
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
    "doc_corrupt": "Word 97 / WPS 文档已损坏,无法读取文字;请用 Word 或 WPS 打开后另存为 .docx 再上传",
    "doc_too_old": "Word 95 或更早版本的文档,暂不能提取文字;请用 Word 或 WPS 另存为 .docx 后上传",
    "xls_corrupt": "Excel 97 / WPS 表格文件已损坏,无法读取;请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
    "ppt_corrupt": "PowerPoint 97 / WPS 演示文件已损坏,无法读取文字;请另存为 .pptx 后上传",
    "rtf_corrupt": "RTF 文档无法读取,请用 Word 或 WPS 另存为 .docx 后上传",
    "ofd_corrupt": "OFD 文件已损坏,无法读取;请从原系统重新导出后上传",
    "ofd_no_text": "OFD 文件中没有文字,也没有可识别的页面图像",
    "heic_corrupt": "HEIC 照片已损坏,无法打开;请在手机上导出为 JPEG 后上传",
    "video_corrupt": "视频文件已损坏或不完整,无法读取;请重新导出后上传",
    "sevenzip_corrupt": "7z 压缩包已损坏,无法解压;请重新压缩(建议用 zip 格式)后上传",
    "sevenzip_encrypted": "7z 压缩包设有密码,无法解压;请上传未加密的压缩包",
    "rar_unsupported": "RAR 压缩包无法在本机解压,请解压后以 zip 上传",
    "no_reader": "暂不能读取此格式({fmt})的内容,文件已归档;请另存为常用格式后上传",
    "pages_capped": "{fmt} 文件页数过多({pages} 页),只读取了前 {limit} 页",
    "read_crashed": "读取 {fmt} 文件时程序异常退出,文件可能已损坏或是恶意文件;已归档但未读取内容,"
                    "请用原软件打开后另存再上传",
    "read_out_of_memory": "读取 {fmt} 文件超出内存限制({limit}),文件可能已损坏或是恶意文件;"
                          "已归档但未读取内容",
    "read_timeout": "{fmt} 文件读取超时(超过 {seconds} 秒),文件可能已损坏或过于复杂;"
                    "已归档但未读取内容",
    "read_result_too_large": "{fmt} 文件读出的内容过大({size},上限 {limit}),已归档但未保存内容",
    "object_mismatch": "共享存储上这个文件的归档副本与登记的内容不一致(校验值应为登记值,实际为 {found}),"
                       "可能在网络共享上损坏或被改动,未读取;请检查共享存储后运行 yingjian retry 重新读取",
    "read_gave_up": "读取 {fmt} 文件已中断 {attempts} 次,不再自动重试;"
                    "如需再试,请运行 yingjian retry 文件编号",
    "sevenzip_not_extracted": "同一 7z 压缩包中有疑似压缩炸弹的文件,此文件未能解压;"
                              "请解压后以 zip 重新上传",
    "unknown_unit_folder": "不是已知单位的文件夹:{folder};是否应为 {closest}?"
                           "改正文件夹名称后即可归档,或由双拥办运行 yingjian unit add {folder} 新建单位",
    "unknown_unit_folder_no_match": "不是已知单位的文件夹:{folder};请改为本单位的名称,"
                                    "或由双拥办运行 yingjian unit add {folder} 新建单位",
    "outside_unit_folder": "文件直接放在收件箱中,不属于任何单位,未归档;请移到本单位的文件夹中",
    "nested_workspace": "这个文件夹是另一个 yingjian 工作区,其中的文件不会归档;请把它移出收件箱",
    "legacy": "{text}",
}
_DATA_WORDS = {"over_limit": "超过上限", "video": "视频"}


def _fill(template: str, data: dict) -> str:
    def word(key, v):
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (list, tuple)):
            return "、".join(str(x) for x in v)
        if isinstance(v, str):
            return _DATA_WORDS.get(v, v)
        return f"{v:g}" if isinstance(v, float) else v
    try:
        return template.format(**{k: word(k, v) for k, v in data.items()})
    except (KeyError, IndexError, ValueError):
        return template


def reason(stored) -> str:
    """The sentence for a stored reason (a code with data), or "" for none."""
    r = parse_reason(stored)
    if r is None:
        return ""
    template = REASONS.get(r.code)
    if template is None:
        return f"文件有问题(代码 {r.code})"
    return _fill(template, r.data)


def reason_code(stored) -> str | None:
    r = parse_reason(stored)
    return r.code if r else None


# -- errors: code -> (sentence, hint) ---------------------------------------------------------

ERRORS: dict[str, tuple[str, str]] = {
    # the archive
    "catalog_busy": ("资料目录库正被另一个程序占用(已等待 {waited:.0f} 秒)",
                     "稍后再试,或关闭正在运行的另一个 yingjian"),
    "database_unavailable": ("无法连接数据库 {path}(已等待 {waited:.0f} 秒)",
                             "检查 PostgreSQL 服务是否在运行、网络是否连通;恢复后重新运行即可,已归档的内容不会丢失"),
    "province_needs_database": ("{root} 没有在 yingjian.toml 的 [cluster] 中设置 database,不能作为省级部署",
                                "省级部署的各城市共用一个 PostgreSQL 数据库:yingjian province init 文件夹 --database postgresql://…"),
    "not_a_province": ("{root} 不是省级部署的文件夹(yingjian.toml 中没有 [province] name)",
                       "用 -w 指向省级文件夹,或先运行 yingjian province init"),
    "province_exists": ("{root} 已经是工作区,未新建省级部署", "换一个空文件夹"),
    "city_unknown": ("没有名为“{city}”的城市{suggest}", "yingjian city list 列出全部城市"),
    "city_exists": ("已有名为“{city}”的城市,未添加", "yingjian city list 列出全部城市"),
    "city_name_invalid": ("城市名“{city}”不可用:不能为空,不能含 / \\ 等字符", "例如:兴义市"),
    "city_schema_invalid": ("城市的数据库模式名 {schema} 不可用", ""),
    "city_inbox_missing": ("城市的上传文件夹 {path} 不存在", "先建好(可以是网络共享)再添加城市"),
    "city_not_exported": ("{path} 不是一个可导入的工作区(缺少 yingjian.toml 或 archive/catalog.sqlite)",
                          "用 yingjian city export 导出,或指向单机版的工作区文件夹"),
    "city_export_exists": ("导出文件夹 {path} 已存在且不为空,未导出", "换一个新的文件夹"),
    "province_not_granted": ("{city}没有授权{province}代为审核,省级账号不能替该市作决定",
                             "由{city}双拥办在本市“待审核”页面授权,或运行 yingjian province grant --city {city}"),
    "grant_needs_city": ("{root} 不是省级部署中的城市,没有可授权的省级部署",
                         "用 --city 城市名 指定城市,或在城市的文件夹中运行"),
    "province_user_unknown": ("{province}没有名为“{user}”的省级账号", "yingjian user add 名字 --province 新建省级账号"),
    "province_action_invalid": ("省级账号只能确认、排除或指定(不能“{action}”)", ""),
    "province_user_needs_province": ("--province 账号只能加在省级部署的文件夹中({root} 不是)",
                                     "用 -w 指向省级文件夹"),
    "db_copy_no_source": ("工作区没有 SQLite 资料目录库 {path},没有可复制的内容", ""),
    "db_copy_target_not_empty": ("目标数据库 {target} 中已有记录(表 {tables}),未复制",
                                 "确认要覆盖其中的内容时加 --replace;或换一个空的数据库"),
    "db_copy_table_missing": ("目标数据库缺少表 {table},未复制", "请用同一版本的 yingjian 复制"),
    "db_copy_column_missing": ("目标数据库的表 {table} 缺少列 {column},未复制",
                               "请用同一版本的 yingjian 复制"),
    "db_copy_different": ("复制后两边不一致:表 {tables} 的行数或内容散列不同",
                          "PostgreSQL 中的这份复制不要使用;工作区仍在使用原来的 SQLite 文件,"
                          "检查后加 --replace 重新复制"),
    "catalog_damaged": ("资料目录库 {path} 已损坏,无法读取",
                        "请从备份恢复 catalog.sqlite;归档的文件本身(archive/objects)不受影响"),
    "store_too_new": ("资料目录库 {path} 由更新版本的 yingjian 写入,本版本无法使用",
                      "请升级 yingjian 后再打开这个工作区"),
    "store_full": ("归档所在的磁盘空间不足({path}),本次未完成的文件没有留下任何残缺记录",
                   "清理磁盘或把归档移到更大的磁盘后,重新运行即可继续"),
    "inbox_unavailable": ("无法访问收件箱 {path}",
                          "检查网络共享是否已连接,或 yingjian.toml 中的 inbox 路径"),
    "archive_error": ("归档出错:{detail}", ""),
    # the workspace
    "not_a_workspace": ("{root} 不是 yingjian 工作区(缺少 {config})", "先运行 yingjian init {given}"),
    "no_workspace": ("当前文件夹不在任何 yingjian 工作区中",
                     "先运行 yingjian init 文件夹,或用 --workspace 指定工作区"),
    "config_unreadable": ("无法读取 {path}:{error}", ""),
    "config_syntax": ("{path} 格式有误:{error}", "检查该文件的引号和方括号"),
    "web_option_invalid": ("{path} 中 [web] {key} 应为正整数,现为 {value}", ""),
    "learning_invalid": ("{path} 中 [learning] 设置有误:enabled 应为 true 或 false,off 应为材料编号的列表"
                         "(如 [\"2.4b\"]),min_similarity 应为 0 到 1 之间的数", ""),
    "cluster_option_unknown": ("{path} 中 [cluster] 没有 {key} 这一项", "可用的项:{known}"),
    "cluster_option_invalid": ("{path} 中 [cluster] {key} 的写法不对,现为 {value}",
                               "应写成 {form} 的形式"),
    "cluster_no_broker": ("{path} 中没有设置 [cluster] broker,这台电脑自己读取文件,不需要工作进程或重新排队",
                          "多台机器分工时,在 [cluster] 中写 broker = \"redis://主机:6379/0\"(见 README 的“多台机器”)"),
    "broker_unavailable": ("无法连接任务队列 {broker}:{detail}",
                           "检查 Redis 是否在运行、地址和端口是否正确;待处理的工作都记在资料目录库中,不会丢失"),
    "queue_unknown": ("没有名为 {queue} 的队列", "可选:{known}"),
    "ocr_workers_invalid": ("{path} 中 [ocr] workers 应为 \"auto\" 或不小于 0 的整数,现为 {value}", ""),
    "already_workspace": ("{root} 已经是 yingjian 工作区", "直接使用即可,或换一个文件夹"),
    "standard_file_missing": ("找不到考评标准文件 {path}", ""),
    "demo_dir_taken": ("{root} 已存在且不是演示工作区,为免误删,未做任何改动",
                       "换一个文件夹,例如 yingjian demo 演示工作区"),
    "no_accounts": ("还没有任何账号,网页版无法登录",
                    "先运行 yingjian -w {root} user add 用户名 --office"),
    "period_invalid": ("无法识别考评周期 {value}", "写成 2020-2023 的形式"),
    "date_invalid": ("无法识别日期“{value}”",
                     "可写成 2022-01-01、2022/1/1、2022.1.1、2022年1月1日 或 20220101;"
                     "整年写 2022,整月写 2022-03"),
    "date_range_reversed": ("起始日期 {start} 晚于截止日期 {end}", "检查 --from 和 --to 是否写反"),
    "year_invalid": ("无法识别年份“{value}”", "写成四位数字,如 2022"),
    "unit_not_in_standard": ("考评标准中没有责任单位“{unit}”", "可选:{choices}"),
    "init_inside_inbox": ("{root} 位于工作区 {other} 的收件箱中,不能在这里新建工作区"
                          "(那个工作区会把这里的文件当作单位上传的资料归档)",
                          "换一个不在其他工作区收件箱或归档中的文件夹"),
    "init_inside_archive": ("{root} 位于工作区 {other} 的归档文件夹中,不能在这里新建工作区",
                            "换一个不在其他工作区收件箱或归档中的文件夹"),
    # units
    "units_empty": ("没有给出任何单位名称", "例如:--units 双拥办,人武部,教育局"),
    "unit_duplicate": ("单位“{unit}”重复出现", "每个单位只写一次"),
    "unit_name_invalid": ("单位名称“{unit}”不能含 / \\ : * ? \" < > | 等字符,也不能只是点或空格",
                          "每个单位一个文件夹,只有一层;单位之间用逗号、顿号或空格分开"),
    "inspection_date_invalid": ("{path} 中的迎检日期 inspection_date 无法识别:{value}",
                                "写成 inspection_date = 2026-12-28"),
    "due_needs_date": ("没有给出截止日期", "例如:yingjian due --unit 人武部 2026-12-15;"
                       "取消用 --clear"),
    "notice_template_unreadable": ("无法打开督办通知模板 {path}:{detail}",
                                   "模板应为 .docx 文件;用 yingjian notice --template-out 模板.docx "
                                   "导出默认模板后修改"),
    "notice_template_not_docx": ("督办通知模板 {path} 不是 Word 的 .docx 文件",
                                 "旧版 .doc 或 WPS 文件请在 Word / WPS 中另存为 .docx;或用 yingjian "
                                 "notice --template-out 模板.docx 导出默认模板后修改"),
    "notice_template_invalid": ("督办通知模板 {path} 中的字段有误:{detail}",
                                "检查模板中 {{{{ }}}} 和 {{% %}} 是否成对;README 列出了可用的字段"),
    "notice_nothing_open": ("{units} 没有未齐全的材料,未生成督办通知",
                            "要为所有单位生成(包括已齐全的),加 --all"),
    "unit_exists": ("工作区中已有单位“{unit}”", "它的文件夹是 {folder}"),
    "unit_unknown": ("工作区中没有单位“{unit}”{suggest}",
                     "可选:{units};要新建单位,运行 yingjian unit add {unit}"),
    "item_unknown": ("考评标准中没有考评项目或材料“{item}”{suggest}",
                     "用 yingjian check 查看考评项目和材料编号"),
    "item_has_many_materials": ("考评项目 {item} 有多项材料,请指定其中一项:{materials}", ""),
    "kind_unknown": ("没有文件类型“{kind}”{suggest}", "可选:文档、照片、台账、视频、其他"),
    # the web app
    "port_in_use": ("端口 {port} 已被占用(可能已有一个 yingjian serve 在运行);"
                    "请用 --port 换一个端口,例如 yingjian serve --port {other}", ""),
    # decisions
    "unknown_action": ("未知的操作 {action}", ""),
    "unknown_material": ("考评标准中没有材料 {material}{suggest}",
                         "用 yingjian check 查看材料编号(如 1.1a)"),
    "material_is_item": ("{material} 是考评项目,不是材料;请指定它的一项材料:{materials}", ""),
    "file_id_too_short": ("文件编号“{ref}”太短:至少输入 6 位", "用 yingjian files 查看文件编号(第一列)"),
    "confirm_not_suggested": ("{path} 没有被建议为 {material} 的佐证,无法“确认”",
                              "要直接把它指定为佐证,请用 yingjian assign {ref} {material}"),
    "decision_already": ("{path} 已经是 {material} 的佐证,无需再次{verb}", ""),
    "reject_already": ("{path} 已经被排除,不是 {material} 的佐证,无需再次排除", ""),
    "reject_not_evidence": ("{path} 本来就不是 {material} 的佐证(既没有被建议,也没有被指定),无需排除", ""),
    "unassign_nothing": ("{path} 与 {material} 之间没有任何决定,无需撤销", ""),
    "file_not_archived": ("{ref} 没有归档,不能作为佐证", "用 yingjian problems 查看原因"),
    "file_id_ambiguous": ("编号 {ref} 对应多个文件,请多输入几位", ""),
    "file_not_found": ("找不到文件 {ref}", "用 yingjian files 查看文件编号或路径"),
    "decision_needs_material": ("没有给出考评标准中的材料编号:{given}",
                                "写成 yingjian confirm 材料 文件 [文件 …],如 yingjian confirm 10.1a 3f9a1c8b 8be2d0aa"),
    "unknown_item": ("考评标准中没有项目 {item}", "用 yingjian check 查看项目编号"),
    # accounts
    "user_name_invalid": ("用户名不能为空,不超过 {max} 个字,且不能含控制字符", ""),
    "user_role_required": ("请指定双拥办账号或某个单位的账号", "命令行中用 --office 或 --unit 单位"),
    "unknown_unit": ("工作区中没有单位“{unit}”", "可选:{units}"),
    "password_too_short": ("密码至少 {min} 位", "请使用字母、数字和符号混合的密码。"),
    "password_blank": ("密码不能为空或只有空格", "请使用字母、数字和符号混合的密码。"),
    "password_repeated": ("密码不能由同一个字符重复组成", "请使用字母、数字和符号混合的密码。"),
    "password_common": ("这个密码太常见,很容易被猜到", "请换一个不常见的密码,例如几个词加数字。"),
    "password_is_name": ("密码不能与账号名相同", "请换一个别人猜不到的密码。"),
    "user_exists": ("用户 {name} 已存在", "要重设密码,用 yingjian user passwd {name}"),
    "user_not_found": ("没有用户 {name}", "用 yingjian user list 查看全部账号"),
    "login_failed": ("用户名或密码不正确", ""),
    "account_locked": ("登录失败次数过多,账号已暂时锁定,请 {minutes} 分钟后再试",
                       "如果忘记了密码,请联系双拥办重设(yingjian user passwd 用户名)"),
    "client_locked": ("这台电脑登录失败次数过多,已暂时禁止登录,请 {minutes} 分钟后再试",
                      "如果忘记了密码,请联系双拥办重设(yingjian user passwd 用户名)"),
    "password_mismatch": ("两次输入的密码不一致", "请重新运行命令"),
    # the web server
    "tls_files_required": ("--certfile 和 --keyfile 需要同时给出", "例如:yingjian serve "
                           "--host 0.0.0.0 --certfile 证书.pem --keyfile 私钥.pem"),
    "tls_files_invalid": ("无法使用证书 {certfile} 和私钥 {keyfile}:{error}",
                          "检查文件路径,以及私钥是否与证书配对(PEM 格式,私钥不能设密码)"),
    # search
    "query_empty": ("请输入要搜索的内容", "例如:yingjian search 烈士陵园"),
    "query_too_long": ("搜索内容过长(超过 {max} 字),请缩短后再试", ""),
    "query_too_many_terms": ("搜索词过多(超过 {max} 个),请减少后再试", ""),
    "query_nothing_to_find": ("搜索内容中没有可以查找的文字", "例如:yingjian search 烈士陵园"),
    "query_only_negative": ("只有排除条件(NOT / -),请至少输入一个要查找的词",
                            "例如:yingjian search 八一 -草稿"),
    "index_rebuilding": ("搜索索引正在按新版本重建(已完成 {done}/{total} 个文件),请稍后再搜索", ""),
    "index_busy": ("搜索索引正由另一个程序更新(已等待 {waited:.0f} 秒)",
                   "稍后再试,或等正在运行的另一个 yingjian(如 watch 的首次建立索引)完成"),
    "index_building": ("搜索索引正在建立(已完成 {done}/{total} 个文件),请稍后再搜索", ""),
    "index_rebuilding_unknown": ("搜索索引正在按新版本重建,请稍后再搜索",
                                 "下次 yingjian ingest 或 watch 会完成重建"),
    # the standard (the problems themselves are listed below)
    "standard_invalid": ("考评标准 {source} 有 {count} 处错误:\n{problems}",
                         "修改考评标准文件后再试;yingjian standard check 可以单独检查它"),
    # the command line's own usage (click's message, in Chinese)
    "usage": ("{text}", "运行 {command} --help 查看用法和示例"),
    # anything else
    "unexpected": ("发生了意外的程序错误", "请带上错误编号联系维护人员"),
}

# -- mistakes in a standard file (checklist/standard.py, checklist/xlsx.py) ------------------

STANDARD_PROBLEMS = {
    "file_unreadable": "无法读取文件:{error}",
    "yaml_syntax": "YAML 格式错误:这一行附近的缩进、引号或括号不对(同一层的内容要对齐,冒号后要有空格)",
    "yaml_fullwidth_colon": "YAML 格式错误:用了中文冒号“\uff1a”,请改为英文冒号“:”并在后面加一个空格",
    "yaml_tab": "YAML 格式错误:含有制表符(Tab 键),请改为空格缩进",
    "yaml_no_space_after_colon": "YAML 格式错误:冒号后缺少空格,应写成“{key}: {value}”",
    "not_three_parts": "文件内容应为 title / period / items 三部分",
    "title_missing": "缺少标准名称 title",
    "items_missing": "缺少考评项目 items(应为列表)",
    "material_id_is_item_code": "材料编号 {id} 与考评项目编号重复",
    "period_missing": "缺少考评周期 period,例如 period: {{start: 2020-01-01, end: 2023-12-31}}",
    "period_start_invalid": "考评周期的开始日期无法识别:{value}(应为 2020-01-01 或 2020)",
    "period_end_invalid": "考评周期的结束日期无法识别:{value}(应为 2023-12-31 或 2023)",
    "period_end_before_start": "考评周期的结束日期 {end} 早于开始日期 {start}",
    "item_not_mapping": "{parent} 下有一项不是 code/title 形式:{value}",
    "item_code_missing": "考评项目缺少编号 code",
    "item_code_invalid": "考评项目 {code} 的编号只能由数字、字母和点组成,如 1.2 或 3.1a",
    "item_code_duplicate": "考评项目 {code} 的编号重复(第 {first_line} 行已有)",
    "item_title_missing": "考评项目 {code} 缺少名称 title",
    "item_points_invalid": "考评项目 {code} 的分值 points 应为不小于 0 的数字,现为 {value}",
    "item_units_invalid": "考评项目 {code} 的责任单位 units 应为单位名称列表,如 [双拥办, 人武部]",
    "item_flag_invalid": "考评项目 {code} 的 {key} 应为 true 或 false,现为 {value}",
    "item_children_invalid": "考评项目 {code} 的 children 应为列表",
    "item_points_mismatch": "考评项目 {code} 的分值 {points} 与其下各项分值之和 {total} 不一致"
                            "(上级项目的分值由下级相加得出,可不填)",
    "item_empty": "考评项目 {code} 既没有下级项目 children,也没有佐证材料 materials",
    "item_unit_duplicate": "考评项目 {code} 的责任单位 {unit} 重复",
    "material_not_mapping": "考评项目 {item} 的一项材料格式不对:{value}",
    "material_id_missing": "考评项目 {item} 的一项材料缺少编号 id(如 {item}a)",
    "material_id_invalid": "材料 {id} 的编号只能由数字、字母和点组成",
    "material_id_duplicate": "材料 {id} 的编号与其他材料或考评项目重复",
    "material_title_missing": "材料 {id} 缺少名称 title",
    "material_kind_invalid": "材料 {id} 的类型 kind 应为 {kinds} 之一,现为 {value}",
    "material_count_invalid": "材料 {id} 的数量 count 应为不小于 1 的整数,现为 {value}",
    "material_per_year_invalid": "材料 {id} 的 per_year 应为 true 或 false,现为 {value}",
    "material_query_invalid": "材料 {id} 的检索条件 query 无法使用:{error}",
    "xlsx_unreadable": "无法打开 Excel 文件({error}),请确认是 .xlsx 格式",
    "xlsx_no_header": "找不到表头:需要包含 {columns} 这几列",
    "xlsx_no_period": "无法从标题中识别考评周期(如 2020—2023年),请在导入时用 --period 2020-2023 指定",
    "xlsx_row_no_item": "Excel 第 {row} 行没有“考评项目”(一级项目)",
    "xlsx_points_not_number": "Excel 第 {row} 行的分值“{value}”不是数字",
}

# -- why a file does not count as evidence (checklist/check.py) -------------------------------

WHY_NOT = {
    "unusable": "文件无法打开,不能作为佐证",
    "unread": "无法读取内容,日期未知;请人工核对后指定日期(yingjian assign 文件 材料 --date 日期)",
    "no_date": "没有日期",
    "out_of_period": "日期不在考评周期内",
}

# -- why a file waits for the office instead of counting by itself (checklist/trust.py) -------

WAITS = {
    "not_responsible_unit": "由{unit}上传,非该项责任单位",
    "kind_mismatch": "类型不符:需要{need},收到{got}",
    "unread": "无法读取内容,日期未知",
    "date_not_inside": "日期不是从文件内容中读出的(来自{source}),需人工核对",
    "found_by_content": "按内容自动找到,待确认",
    "ambiguous_item": "放在项目 {code} 下,该项有多项同类材料,需确认是哪一项",
    "veto_needs_review": "一票否决项的材料,须经双拥办确认后才计入",
    "similar_to_confirmed": "与已确认的 {n} 个文件相似(最相似:{names}),待确认",
}
SIMILAR_BRIEF = "与已确认的 {n} 个文件相似,待确认"
# what was received, as the kind-mismatch sentence says it (need: KIND_LABELS)
KIND_RECEIVED = {"document": "文本文件", "photo": "照片", "ledger": "台账", "video": "视频",
                 "other": "其他文件"}
# what a file is for its own unit: taken as evidence, waiting for the office, or a problem
STANDING_LABELS = {"accepted": "已采用为佐证", "waiting": "待审核", "problem": "有问题",
                   "reading": "识别中",
                   "none": "未对应材料"}
# the office's two ways of saying no on the review page, kept as the decision's note
REJECT_NOTES = {"not_evidence": "不能作为佐证", "wrong_material": "不是这一项"}

# -- the bound PDF volumes (yingjian/report/volumes.py): headings and why a file is left out ----

VOLUME = {
    "title": "迎检资料汇编",
    "whole": "全部考评项目",
    "standard": "考评标准:{title}",
    "period": "考评周期:{start} 至 {end}",
    "made": "整理日期:{date:%Y年%m月%d日}",
    "count": "本册收入佐证 {files} 份,共 {pages} 页",
    "contents": "目  录",
    "none": "(暂无已确认的佐证)",
    "left_out": "(未能收入,见第 {page} 页)",
    "no_date": "日期不详",
    "file_line": "{name} · {unit} · {date}",
    "continued": "{material} · {name}(续)",
    "frame": "第 {n} / {total} 页",
    "video": "视频:{title}",
    "video_length": "时长 {length}",
    "video_no_frame": "(无法取得视频画面)",
    "not_included": "此文件未能收入本册",
    "reason": "原因:{reason}",
    "see_archive": "原件保存在迎检资料库中,可在电脑上查阅。",
    "written": "PDF 汇编",
}
VOLUME_REASONS = {
    "object_missing": "资料库中找不到这份文件的存档",
    "pdf_unreadable": "PDF 文件无法读取",
    "pdf_encrypted": "PDF 文件有密码保护",
    "pdf_empty": "PDF 文件没有页面",
    "image_unreadable": "图片无法打开",
    "no_text": "没有读出可排版的文字",
    "broke_midway": "文件在收入时读取出错,以下页未能收入",
}

# -- the watcher's log (archive/watch.py) ------------------------------------------------------

WATCH_EVENTS = {
    "inbox_unavailable": "收件箱暂时无法访问:{path},稍后重试",
    "store_full": "归档所在的磁盘空间不足({path}),请尽快清理;一分钟后重试",
    "archive_error": "归档出错:{detail},稍后重试",
    "database_unavailable": "暂时无法连接数据库 {path}(已等待 {waited:.0f} 秒),稍后重试;已收到的文件不会丢失",
    "unexpected": "处理时发生意外错误({detail}),继续监视",
    "no_events": "无法监听文件夹事件({detail}),改为定期扫描",
    "file_failed": "处理 {path} 时出错({detail}),已跳过",
    "learning_failed": "根据已确认文件学习建议时出错({detail}),稍后重试",
    "broker_unavailable": "无法连接任务队列(Redis):{detail};文件已归档,待读取的工作记在资料目录库中,"
                          "队列恢复后自动重新排队(也可运行 yingjian requeue)",
}

# -- a worker's log (yingjian/workers.py) --------------------------------------------------------

WORKER_LINES = {
    "started": "工作进程 {name} 已启动:队列 {queues},并发 {concurrency},任务队列 {broker},归档文件 {objects}",
    "ready": "已连接任务队列,读取进程已就绪,开始接收任务",
    "extracted": "已读取 {sha}({name}){pages}{problem}",
    "ocr_page": "已识别 {sha} 第 {page} 页,用时 {seconds:.1f} 秒{error}",
    "ocr_done": "{sha} 的文字识别已全部完成({pages} 页),文字已合并",
    "previews": "已生成 {sha} 的缩略图和前 {pages} 页预览图(存于共享存储,各台网页服务器直接使用)",
    "object_missing": "在 {objects} 中找不到归档文件 {sha}(共享存储是否已挂载?);这项工作仍记为待处理,"
                      "挂载后运行 yingjian requeue 重新排队",
    "object_bad": "共享存储上的归档文件 {sha} 校验不符(实际为 {found}),不读取;请检查共享存储",
    "task_failed": "处理 {sha} 时出错({detail}),该工作仍记为待处理,可运行 yingjian requeue 重新排队",
}


QUEUE_NAMES = {"extract": "读取文件", "ocr": "文字识别", "previews": "预览图"}
TASK_NAMES = {"extract": "读取", "ocr": "识别页", "ocr_merge": "合并识别结果", "previews": "预览图"}


def status_lines(st: dict, hours: float) -> list[str]:
    """`yingjian status` in Chinese: the archive's backlog, the queues, the workers."""
    out = [f"归档:{st['files']:,} 个文件(内容 {st['objects']:,} 份),有问题 {st['problems']:,} 份",
           f"待读取:{st['extract']:,} 份;待文字识别:{st['ocr_files']:,} 份,共 {st['ocr_pages']:,} 页"
           + (f";预览图未完成:{st['previews']:,} 份" if st["previews"] else "")]
    if not st["broker"]:
        out.append("单机模式:读取和文字识别在本机进行(yingjian watch / ingest)")
        return out
    if st["queues"] is None:
        out.append(f"无法连接任务队列 {st['broker']}({st['broker_error']});待处理的工作记在资料目录库中,"
                   "队列恢复后运行 yingjian requeue")
    else:
        waiting = ",".join(f"{QUEUE_NAMES.get(q, q)} {n:,}" for q, n in st["queues"].items())
        out.append(f"任务队列 {st['broker']}:排队 {waiting};处理中 {st['unacked']:,}")
        if not any(st["queues"].values()) and not st["unacked"] and (st["extract"] or st["ocr_pages"]):
            out.append("队列已空而仍有待处理的工作:运行 yingjian requeue 重新排队")
    span = f"{hours:g} 小时"
    if not st["workers"]:
        out.append(f"最近 {span}没有工作进程完成工作")
    for w in st["workers"]:
        done = ",".join(f"{TASK_NAMES.get(t, t)} {n:,}" for t, n in sorted(w["done"].items())) or "无"
        line = f"工作进程 {w['worker']}:最近 {span}完成 {done}"
        if w["last"]:
            line += f",最后一次 {w['last'][11:19]}"
        if w["in_hand"]:
            line += ",未完成 " + ",".join(f"{TASK_NAMES.get(t, t)} {n}" for t, n in sorted(w["in_hand"].items()))
        out.append(line)
    return out


def worker_line(code: str, data: dict) -> str:
    """A worker's line for its log: what it did, in Chinese."""
    data = dict(data)
    if code == "extracted":
        data["problem"] = f";有问题:{reason(data['problem'])}" if data.get("problem") else ""
        pages = f":{data['pages']} 页" if data.get("pages") else ""
        data["pages"] = pages + (f",{data['ocr']} 页待文字识别" if data.get("ocr") else "")
    if code == "ocr_page":
        data["error"] = f"(失败:{data['error']})" if data.get("error") else ""
    return _safe_format(WORKER_LINES.get(code, code), data)

# -- the web app: error pages and its own sentences ----------------------------------------

WEB = {
    # per status: (title, hint)
    400: ("请求无效", "请返回上一页重试。"),
    401: ("请先登录", "请用双拥办分配的账号登录。"),
    403: ("没有权限", "此页面仅供双拥办使用;如需查看,请联系双拥办。"),
    404: ("找不到页面", "地址可能有误,或文件已不存在;请从首页重新进入。"),
    405: ("不支持的操作", "请从页面上的按钮操作,不要直接输入地址。"),
    413: ("文件太大", "单次上传不超过 {max_mb} MB;请分批上传,或压缩后上传。"),
    429: ("尝试次数过多", "请稍后再试。"),
    500: ("服务器出错了", "请稍后重试;如果一直出错,请把下面的参考编号告诉管理员。"),
    "other": ("出错了", "请返回上一页重试。"),
    # named errors the views raise: (title, hint)
    "csrf": ("页面已过期或请求无效", "请刷新页面后重试。"),
    "form_too_large": ("提交的内容过大", "请返回上一页重试;上传文件请使用“上传”页面。"),
    "busy": ("服务器正忙", "正在同时接收的上传过多,请稍后重试。"),
    "file_too_large": ("文件太大,本批文件都没有上传", "单个文件不超过 {max_file_mb} MB;"
                       "请拆分或压缩后重新上传。"),
    "office_only": ("此页面仅供双拥办使用", "单位账号只能查看本单位的文件和任务。"),
    "no_file": ("找不到这个文件", "文件编号可能有误,或文件不属于本单位。"),
    "no_unit": ("找不到这个单位", "请从“单位”页面进入。"),
    "no_item": ("考评标准中没有这个项目", "请从“考评项目”页面进入。"),
    "no_page": ("找不到这一页", "文件没有这一页;请从文件页面进入。"),
    "bad_action": ("无效的操作", "请从页面上的按钮操作。"),
    "pick_unit": ("请选择单位", "上传前请在列表中选择单位。"),
    "no_material": ("考评标准中没有这项材料", "请从任务清单中的“上传”进入。"),
    "bad_note": ("无效的标记", "请选择“已通知”或“忽略”;忽略时请写明原因。"),
    "bad_header": ("请求无效", "请求中含有不允许的控制字符;请直接用浏览器打开本站。"),
    "names_too_long": ("文件名过长,本批文件都没有上传", "请把文件名缩短到 {max_chars} 个汉字"
                       "(或 {max_bytes} 个英文字母)以内,再重新上传。"),
    "bad_due": ("无法识别截止日期", "请用日期选择框选择,或写成 2026-12-15。"),
    "no_notice": ("找不到这份督办通知", "请从本单位的页面进入。"),
    "province_not_granted": ("该市没有授权省级账号代为审核", "省级账号只能查看;如需代为审核,请该市双拥办在本市"
                             "“待审核”页面授权。"),
    "nothing_open": ("没有未齐全的材料,未生成督办通知", "该单位的材料已齐全;如仍要生成,请勾选“已齐全也生成”。"),
    # sentences in pages
    "login_failed": "用户名或密码不正确",
    "password_wrong": "当前密码不正确",
    "password_mismatch": "两次输入的新密码不一致",
    "no_files_chosen": "请选择要上传的文件",
    "too_many_files": "一次最多上传 {max_files} 个文件",
    "body_too_large": "提交的内容超过本站允许的大小(单次上传不超过 {max_mb} MB)",
    "server_busy": "服务器正忙:正在同时接收的上传过多,请稍后重试",
    "ocr_running": "识别中",
    "name_too_long": "{name}({bytes} 字节)",
    "names_too_long_list": "以下文件名过长(每个文件名不超过 {max_bytes} 字节,约 {max_chars} 个汉字),"
                           "本批文件都没有上传;请缩短文件名后重新上传:{names}",
}

# -- chasing the units: due dates, 督办通知, readiness over time ---------------------------

OVERDUE_LABEL = "逾期"
# a task's status as a 督办通知 says it; `rejected`: the office sent the unit's file back
NOTICE_STATUS = {"missing": "缺失", "partial": "不全", "unconfirmed": "待审核", "rejected": "已退回"}
NOTICE_WORDS = {
    "title": "关于报送双拥模范城创建迎检资料的督办通知",
    "doc_no": "{office}督〔{year}〕{serial}号",
    "veto": "是",
    "again": "※",
    "overdue": "(逾期)",
    "none": "—",
    "file": "督办通知_{unit}_{stamp}.docx",
    "zip": "督办通知_{stamp}.zip",
}
DAY_FORMATS = {"long": "{y}年{m}月{d}日", "short": "{m}月{d}日", "spaced": "{m} 月 {d} 日",
               "spaced_year": "{y} 年 {m} 月 {d} 日"}
CHASE = {
    "never": "尚未督办",
    "chased": "已督办 {count} 次,上次 {day}",
    "since": ";此后补交 {handed_in} 项,仍缺 {still_open} 项",
}
PROJECTION = {
    "complete": "全部材料已齐全",
    "no_history": "历史记录不足,暂无法预测齐全日期(每天检查一次后即可按进度预测)",
    "no_progress": "近两周没有进展(未齐全材料 {open} 项),按此进度无法齐全",
    "projected": "按近两周进度,预计 {day}齐全",
    "late": ",晚于迎检日期 {days} 天",
    "early": ",早于迎检日期 {days} 天",
    "on_time": ",正好在迎检日期",
    "countdown": "距迎检日期还有 {days} 天",
    "past": "迎检日期已过 {days} 天",
}
HISTORY_CHART = {"title": "迎检准备进度", "open": "未齐全材料(项)", "score": "预计得分",
                 "projection": "按近两周进度预测", "inspection": "迎检日期",
                 "units_title": "各单位未齐全材料"}


def day_text(iso: str | None, form: str = "long", today=None) -> str:
    """A day as the office writes it: 2026年11月20日 (long), 11月20日 (short), or for the
    projection 1 月 8 日, with its year when it is not this year's or the next's."""
    if not iso:
        return ""
    y, m, d = (int(v) for v in iso[:10].split("-"))
    if form == "spaced" and today is not None and y not in (today.year, today.year + 1):
        form = "spaced_year"
    return DAY_FORMATS[form].format(y=y, m=m, d=d)


def chase_text(chase: dict | None) -> str:
    """"已督办 2 次,上次 11月20日;此后补交 3 项,仍缺 5 项" (or 尚未督办)."""
    if not chase or not chase.get("count"):
        return CHASE["never"]
    out = CHASE["chased"].format(count=chase["count"], day=day_text(chase["last_day"], "short"))
    return out + CHASE["since"].format(**chase)


def projection_text(p: dict, today=None) -> str:
    """"按近两周进度,预计 1 月 8 日齐全,晚于迎检日期 12 天", or why there is no projection."""
    code = p["code"]
    if code != "projected":
        return _safe_format(PROJECTION[code], p)
    out = PROJECTION["projected"].format(day=day_text(p["day"], "spaced", today))
    late = p.get("late_days")
    if late is None:
        return out
    if late > 0:
        return out + PROJECTION["late"].format(days=late)
    if late < 0:
        return out + PROJECTION["early"].format(days=-late)
    return out + PROJECTION["on_time"]


def countdown_text(days: int | None) -> str:
    if days is None:
        return ""
    return PROJECTION["countdown" if days >= 0 else "past"].format(days=abs(days))


# -- the audit trail (yingjian/audit.py, yingjian log) ----------------------------------------

AUDIT_LABELS = {"login": "登录", "login_failed": "登录失败", "login_refused": "登录被拒绝",
                "logout": "退出登录", "upload": "上传", "decide": "决定", "user_add": "新建账号",
                "user_passwd": "修改密码", "user_remove": "删除账号", "notice": "督办通知",
                "due": "设定截止日期", "province_grant": "授权省级审核",
                "province_revoke": "收回省级审核授权"}
AUDIT_NO_CLIENT = "本机命令行"
ROLE_LABELS = {"office": "双拥办"}
UNKNOWN_SYSTEM_USER = "未知"          # who ran a command, when the system cannot say


PROVINCE_DECIDER = "{user}({province})"       # who decided, when a province account did for a city


def province_decider(user: str, province: str | None) -> str:
    return PROVINCE_DECIDER.format(user=user, province=province or "省级")


def audit_detail(entry: dict) -> str:
    """What one audit entry was about, in words (its action's label is shown beside it)."""
    d, action = entry.get("data") or {}, entry.get("action")
    if action == "decide":
        out = f"{ACTION_LABELS.get(d.get('decision'), d.get('decision'))} " \
              f"{d.get('path') or (d.get('sha') or '')[:12]} → {d.get('material')}"
        return out + (f"(认定日期 {d['date']})" if d.get("date") else "")
    if action == "upload":
        names = d.get("files") or []
        shown = "、".join(names[:5]) + (f" 等 {len(names)} 个文件" if len(names) > 5 else "")
        return f"{d.get('unit')}:{shown}" + ("(被拒绝:文件名过长)" if d.get("refused") else "")
    if action == "login_refused":
        return error(d.get("reason") or "", minutes=d.get("minutes", "?")).text
    if action == "notice":
        return f"{d.get('unit')} 第 {d.get('number')} 次督办,{len(d.get('materials') or [])} 项" \
               + (f",截止 {d['due']}" if d.get("due") else "")
    if action in ("province_grant", "province_revoke"):
        verb = "允许" if action == "province_grant" else "不再允许"
        return f"{verb}{d.get('province') or '省级部署'}的省级账号代本市审核"
    if action == "due":
        return f"{d.get('target')}:{d.get('due') or '取消截止日期'}"
    if action in ("user_add", "user_passwd", "user_remove"):
        role = ROLE_LABELS.get(d.get("role"), d.get("unit")) if action == "user_add" else None
        return f"账号 {d.get('name')}" + (f"({role})" if role else "") + \
            ("(已存在,重设)" if d.get("replaced") else "")
    return ""


def error(code: str, **data) -> Message:
    """The sentence and hint for an error code with its data. `closest` (the valid names
    nearest to what was typed) becomes "是否应为 X?" in `{suggest}`."""
    closest = data.get("closest")
    data.setdefault("suggest", f";是否应为 {'、'.join(closest)}?" if closest else "")
    if code == "standard_invalid":
        problems = data.get("problems", [])
        data = {**data, "count": len(problems), "problems": standard_problems(problems)}
    text, hint = ERRORS.get(code, (f"出错了(代码 {code})", ""))
    data = {k: ("、".join(map(str, v)) if isinstance(v, (list, tuple)) and k != "problems" else v)
            for k, v in data.items()}
    return Message(_safe_format(text, data), _safe_format(hint, data))


def _safe_format(template: str, data: dict) -> str:
    try:
        return template.format(**data)
    except (KeyError, IndexError, ValueError):
        return template


def describe(exc: BaseException) -> Message:
    """Any error of the core packages or of this application, in words. An error with neither
    a code nor a known type is unexpected: the caller shows a reference, not a traceback."""
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        data = getattr(exc, "data", {}) or {}
        if code == "read_error":
            return Message(reason(data.get("reason")))
        if code in ERRORS:
            return error(code, **data)
    return error("unexpected")


def standard_problem(p) -> str:
    """One mistake of a standard file, with its line."""
    text = _safe_format(STANDARD_PROBLEMS.get(p.code, p.code), _standard_data(p))
    return f"第 {p.line} 行:{text}" if p.line else text


def _standard_data(p) -> dict:
    d = dict(p.data)
    if p.code == "material_query_invalid":
        d["error"] = error(d.get("error_code") or "", **(d.get("error") or {})).text \
            if d.get("error_code") in ERRORS else d.get("detail", "")
    if p.code == "item_not_mapping" and not d.get("parent"):
        d["parent"] = "顶层"
    for k in ("points", "total"):
        if isinstance(d.get(k), float):
            d[k] = f"{d[k]:g}"
    for k in ("kinds", "columns"):
        if isinstance(d.get(k), list):
            d[k] = "、".join(d[k])
    return d


def standard_problems(problems, limit: int = 30) -> str:
    lines = [f"  {standard_problem(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  …… 另有 {len(problems) - limit} 处")
    return "\n".join(lines)


def why_not(code: str | None) -> str | None:
    return WHY_NOT.get(code, code) if code else None


def waits(code: str, data: dict | None = None) -> str:
    """Why a file waits for the office (a code of checklist/trust.py with its data), in words."""
    data = dict(data or {})
    if code == "kind_mismatch":
        data["need"] = KIND_LABELS.get(data.get("need"), data.get("need"))
        data["got"] = KIND_RECEIVED.get(data.get("got"), data.get("got"))
    elif code == "similar_to_confirmed":
        if not data.get("similar"):               # e.g. told to a unit: no other unit's names
            return _safe_format(SIMILAR_BRIEF, data)
        data["names"] = "、".join(s["path"].rsplit("/", 1)[-1] for s in data["similar"])
    elif code == "date_not_inside":
        data["source"] = DATE_SOURCE_LABELS.get(data.get("source"), "无日期")
    return _safe_format(WAITS.get(code, code), data)


def watch_event(code: str, **data) -> str:
    return _safe_format(WATCH_EVENTS.get(code, code), data)


# -- click's own words (help pages and usage errors), by click's English message id ----------

CLICK_TEXT = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看用法。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项:{name}",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要写 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多出了参数({args})",
    "Got unexpected extra arguments ({args})": "多出了参数({args})",
    "Did you mean {possibility}?": "是否应为 {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(是否应为其中之一:{possibilities}?)",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Invalid value: {message}": "值无效:{message}",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是以下之一:{choices}。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹,应为文件。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件,应为文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值,只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值,给了 {len} 个。",
    "default: {default}": "默认:{default}",
    "env var: {var}": "环境变量:{var}",
    "required": "必填",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "integer": "整数",
    "float": "数字",
    "integer range": "整数",
    "float range": "数字",
    "Aborted!": "已取消",
    "Password": "密码",
    "Repeat for confirmation": "再输入一次",
    "Error: The two entered values do not match.": "错误:两次输入不一致。",
    "Error: invalid input": "错误:输入无效",
    "Do you want to continue?": "是否继续?",
    "Press any key to continue...": "按任意键继续……",
    "deprecated": "已停用",
    "Choose from:\n\t{choices}": "可选:\n\t{choices}",
}


def click_text(message: str) -> str:
    """click's own message in Chinese (the English one when we have no translation)."""
    return CLICK_TEXT.get(message, message)


_FIELD = re.compile(r"\{(\w+)(?:!r)?\}|%\((\w+)\)s")


def _click_pattern(msgid: str) -> re.Pattern:
    """A click message id as a pattern that reads its fields back out of the formatted text."""
    out, pos, seen = [], 0, set()
    for m in _FIELD.finditer(msgid):
        out.append(re.escape(msgid[pos:m.start()]))
        name = m.group(1) or m.group(2)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        pos = m.end()
    out.append(re.escape(msgid[pos:]))
    return re.compile("".join(out), re.S)


# the longest message ids first, so that "Missing parameter: {param_name}" wins over
# "Missing parameter"
_CLICK_PATTERNS = sorted(((_click_pattern(k), k) for k in CLICK_TEXT),
                         key=lambda p: -len(_FIELD.sub("", p[1])))


# the message ids with no field, longest first: a message may begin with one
_CLICK_WORDS = sorted((k for k in CLICK_TEXT if not _FIELD.search(k)), key=len, reverse=True)


def click_translate(text: str, _depth: int = 0) -> str:
    """A message click has already formatted in English, in Chinese: matched against click's
    message ids, its fields (a nested message, a type name) translated in turn; a message
    made of two (\"No such option: --lmit Did you mean --limit?\") is translated by parts. Text
    that matches no message id is returned as it is."""
    if not text or _depth > 4:
        return text
    if text in CLICK_TEXT:
        return CLICK_TEXT[text]
    if text.lower() in CLICK_TEXT:                       # File, as click titles its type name
        return CLICK_TEXT[text.lower()]
    for msgid in _CLICK_WORDS:                          # "Missing argument 'NAME'."
        if text.startswith(msgid) and not text[len(msgid)].isalnum():
            return CLICK_TEXT[msgid] + click_translate(text[len(msgid):], _depth + 1)
    found = _click_whole(text, _depth)
    if found is not None:
        return found
    for i, c in enumerate(text):
        if c == " " and 0 < i < len(text) - 1:
            left, right = _click_whole(text[:i], _depth), _click_whole(text[i + 1:], _depth)
            if left is not None and right is not None:
                return f"{left}{right}" if _cjk_end(left) else f"{left} {right}"
    return text


def _cjk_end(s: str) -> bool:
    return bool(s) and ord(s[-1]) > 0x2E80


def _click_whole(text: str, depth: int) -> str | None:
    for rx, msgid in _CLICK_PATTERNS:
        m = rx.fullmatch(text)
        if m:
            values = {k: click_translate(v, depth + 1) for k, v in m.groupdict().items()}
            target = CLICK_TEXT[msgid]
            return _FIELD.sub(lambda f: values.get(f.group(1) or f.group(2), f.group(0)), target)
    return None


# -- db copy ----------------------------------------------------------------------------------

DB_COPY_TABLE = "  {table}:{rows} 行,{verdict}"
DB_COPY_SAME, DB_COPY_DIFFERENT = "一致", "不一致"
DB_COPY_DONE = ("已把 {source} 复制到 {target}:{tables} 张表,共 {rows} 行;"
                "两边每张表的行数和内容散列都一致,没有丢失。")
DB_COPY_SWITCH = ("工作区仍在使用 SQLite。要改用 PostgreSQL,把下面两行加入 yingjian.toml"
                  "(已有 [cluster] 时只加 database 一行),然后重新启动 watch 和 serve:")
