"""Every reason a clerk may read about a file, in one place so wording stays consistent and tests
can pin it. Each is a full sentence that says what is wrong and what to do.
"""

EMPTY = "文件为空(0 字节),请重新上传完整文件"
TRUNCATED = "文件不完整(可能复制中断),请重新上传完整文件"
TOO_LARGE_TO_ARCHIVE = "文件过大({size}),超过归档上限 {limit},未归档;请拆分后上传或联系管理员"
TOO_LARGE_TO_READ = "文件过大({size}),已归档但未提取文字(上限 {limit})"
UNREADABLE = "无法读取该文件(没有权限或文件被占用),请检查后重新上传"
SYMLINK_OUTSIDE = "这是指向收件箱以外位置的快捷方式/链接,出于安全原因未读取;请上传文件本身"

PDF_ENCRYPTED = "PDF 已加密,请上传未加密版本"
PDF_CORRUPT = "PDF 文件已损坏,无法打开;请重新扫描或重新导出后上传"
PDF_TOO_MANY_PAGES = "PDF 页数过多({pages} 页),只读取了前 {limit} 页的文字"

IMAGE_CORRUPT = "图片文件已损坏,无法打开;请重新拍摄或重新导出后上传"
IMAGE_TRUNCATED = "图片文件不完整(可能传输中断),请重新上传原图"
IMAGE_BOMB = "图片尺寸异常({pixels} 像素,上限 {limit}),疑似恶意文件,已拒绝处理"
IMAGE_UNSUPPORTED = "暂不支持读取此图片格式({fmt}),文件已归档"

DOCX_CORRUPT = "Word 文件已损坏,无法打开;请用 Word 或 WPS 重新保存后上传"
XLSX_CORRUPT = "Excel 文件已损坏,无法打开;请用 Excel 或 WPS 重新保存后上传"
OFFICE_ENCRYPTED = "Office 文件设有打开密码,请取消密码后重新上传"
OFFICE_BOMB = "文件内部数据解压后过大,疑似恶意文件,已拒绝处理"
OLD_OFFICE = "旧版 Office 格式({fmt}),已归档但暂不能提取文字;建议另存为 .docx / .xlsx 后上传"
TEXT_UNDECODABLE = "文本文件编码无法识别,已归档但未提取文字"

ZIP_CORRUPT = "压缩包已损坏,无法解压;请重新压缩后上传"
ZIP_EMPTY = "压缩包是空的,里面没有文件;请检查后重新压缩上传"
ZIP_ENCRYPTED = "压缩包内文件设有密码,无法解压;请上传未加密的压缩包"
ZIP_BOMB = "压缩包解压后过大({size},上限 {limit}),疑似压缩炸弹,未解压"
ZIP_TOO_MANY = "压缩包内文件过多({count} 个,上限 {limit}),未解压;请分批压缩上传"
ZIP_TOO_DEEP = "压缩包嵌套层数过多(超过 {limit} 层),内层未解压"
ZIP_UNSAFE_PATH = "压缩包内文件路径不安全(含 .. 或绝对路径:{name}),已按安全路径归档"
ZIP_MEMBER_BOMB = "压缩包内此文件解压后远大于声明大小,疑似压缩炸弹,已拒绝"

OCR_FAILED = "第 {pages} 页的扫描图像无法识别(图像编码不支持或已损坏),这些页没有文字;可重新扫描为 JPEG 格式后上传"
EXTRACT_FAILED = "读取文件内容时出错({error}),文件已归档"
UNKNOWN_FORMAT = "无法识别的文件格式,已归档但未提取内容"

DOC_CORRUPT = "Word 97 / WPS 文档已损坏,无法读取文字;请用 Word 或 WPS 打开后另存为 .docx 再上传"
DOC_TOO_OLD = "Word 95 或更早版本的文档,暂不能提取文字;请用 Word 或 WPS 另存为 .docx 后上传"
XLS_CORRUPT = "Excel 97 / WPS 表格文件已损坏,无法读取;请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
PPT_CORRUPT = "PowerPoint 97 / WPS 演示文件已损坏,无法读取文字;请另存为 .pptx 后上传"
RTF_CORRUPT = "RTF 文档无法读取,请用 Word 或 WPS 另存为 .docx 后上传"
OFD_CORRUPT = "OFD 文件已损坏,无法读取;请从原系统重新导出后上传"
OFD_NO_TEXT = "OFD 文件中没有文字,也没有可识别的页面图像"
HEIC_CORRUPT = "HEIC 照片已损坏,无法打开;请在手机上导出为 JPEG 后上传"
VIDEO_CORRUPT = "视频文件已损坏或不完整,无法读取;请重新导出后上传"
SEVENZIP_CORRUPT = "7z 压缩包已损坏,无法解压;请重新压缩(建议用 zip 格式)后上传"
SEVENZIP_ENCRYPTED = "7z 压缩包设有密码,无法解压;请上传未加密的压缩包"
RAR_UNSUPPORTED = "RAR 压缩包无法在本机解压,请解压后以 zip 上传"
NO_READER = "暂不能读取此格式({fmt})的内容,文件已归档;请另存为常用格式后上传"


def human_size(n: int) -> str:
    """Size the way Windows Explorer shows it, so a clerk recognises it."""
    step = 1024.0
    for unit in ("B", "KB", "MB", "GB"):
        if n < step or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= step
    return f"{n:.1f} TB"
