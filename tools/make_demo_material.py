"""Regenerate the sample material that `yingjian demo` ships (yingjian/demo_material/).

Run from the repository root: python tools/make_demo_material.py
Needs reportlab (installed with yingjian) and a CJK font (fonts-wqy-microhei) to render the scans.
"""
import shutil
import sys
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import factories as f  # noqa: E402

OUT = ROOT / "yingjian" / "demo_material"
FORMATS = ROOT / "tests" / "fixtures" / "formats"   # made by real office software, phones, FFmpeg


def text_ofd(path: Path, lines: list[str], created: str) -> Path:
    """A one-page OFD (GB/T 33190) whose lines are TextCode elements, as 电子公文 systems write."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    objects = "".join(
        f'<ofd:TextObject ID="{i + 10}" Boundary="25 {30 + i * 10} 160 8" Font="1" Size="5">'
        f'<ofd:TextCode X="0" Y="5">{line}</ofd:TextCode></ofd:TextObject>'
        for i, line in enumerate(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} DocType="OFD" '
                   'Version="1.1"><ofd:DocBody><ofd:DocInfo><ofd:DocID>demo</ofd:DocID>'
                   f'<ofd:CreationDate>{created}</ofd:CreationDate></ofd:DocInfo>'
                   '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
                   '<ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>'
                   '</ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" '
                   'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/Pages/Page_0/Content.xml", f'<?xml version="1.0" encoding="UTF-8"?>'
                   f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="2">{objects}</ofd:Layer>'
                   '</ofd:Content></ofd:Page>')
    return path


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    f.text_pdf(OUT / "双拥办/1.3_关于调整双拥工作领导小组成员的通知.pdf", [
        "中共某某市委办公室 某某市人民政府办公室\n关于调整市双拥工作领导小组成员的通知\n\n"
        "各乡镇(街道),市直各单位:\n因人事变动,经研究,决定调整市双拥工作领导小组成员。\n"
        "组  长:王建国(市长)\n副组长:李明(人武部政委)\n领导小组办公室设在市退役军人事务局。\n\n"
        "2021年3月5日"], creation_date=datetime(2021, 3, 5, 9, 30))
    f.docx_file(OUT / "双拥办/2021年度双拥工作总结.docx", [
        "某某市2021年度双拥工作总结",
        "一年来,我市深入开展双拥模范城创建,走访慰问驻地部队和优抚对象 326 户。",
        "八一期间组织慰问驻地部队,协调解决随军家属就业 12 人、军人子女入学 31 人。",
        "某某市双拥工作领导小组办公室", "2021年12月28日"])
    f.scanned_pdf(OUT / "双拥办/扫描全能王 2022-07-28 10.32.pdf", [
        "关于开展八一建军节走访慰问活动的方案\n\n为庆祝中国人民解放军建军95周年,\n"
        "市双拥办组织走访慰问驻地部队、\n重点优抚对象和烈士遗属。\n\n某某市双拥工作领导小组办公室\n"
        "2022年7月28日"])
    f.text_pdf(OUT / "人武部/征兵工作/2022年征兵工作总结.pdf", [
        "某某市人民武装部\n2022年征兵工作总结\n\n今年我市圆满完成征兵任务,\n"
        "共输送新兵 186 名,其中大学生 121 名,征兵任务完成率 100%。\n\n2022年10月20日"])
    f.photo_jpeg(OUT / "人武部/IMG_20220801_093000.jpg", "八一慰问驻地部队",
                 exif_date="2022:08:01 09:30:00")
    f.xlsx_file(OUT / "退役军人事务局/2.1a_2021年优抚金发放台账.xlsx", [
        ["序号", "姓名", "类别", "乡镇(街道)", "发放金额(元)", "发放日期"],
        [1, "张国强", "伤残军人", "捧乍镇", 12600, datetime(2021, 3, 15)],
        [2, "刘秀英", "烈士遗属", "乌沙镇", 18300, datetime(2021, 3, 15)],
        [3, "陈卫东", "带病回乡退伍军人", "城关街道", 7200, datetime(2021, 3, 15)],
    ], title="2021年抚恤金发放")
    f.photo_jpeg(OUT / "退役军人事务局/微信图片_20230405101010.jpg", "清明祭扫烈士陵园",
                 exif_date="2023:04:05 10:10:10", sideways=True, size=(900, 640))
    edu = OUT / "_build"
    f.docx_file(edu / "课程.docx", ["2021年秋季学期国防教育课程记录",
                                     "第一周:国防知识讲座(主讲:人武部 李明)", "2021年9月10日"])
    f.photo_jpeg(edu / "照片.jpg", "国防教育进校园", exif_date="2021:09:10 14:00:00")
    f.zip_with_names(OUT / "教育局/国防教育资料.zip", {
        "6.1b 国防教育/2021年国防教育课程记录.docx": (edu / "课程.docx").read_bytes(),
        "6.1b 国防教育/国防教育进校园.jpg": (edu / "照片.jpg").read_bytes(),
    })
    shutil.rmtree(edu)
    f.scanned_pdf(OUT / "城关街道/军民共建协议.pdf", [
        "军民共建协议书\n\n甲方:城关街道办事处\n乙方:驻地某部三连\n双方本着优势互补、\n"
        "共建共享的原则,签订本协议。\n\n2020年5月12日"])
    good = f.text_pdf(OUT / "宣传部/2023年双拥宣传工作计划.pdf", [
        "某某市委宣传部\n2023年双拥宣传工作计划\n\n在市融媒体中心开设双拥专栏,\n"
        "在公共场所设置双拥宣传栏和双拥标识。\n\n2023年2月10日"])
    data = good.read_bytes()
    (OUT / "宣传部/双拥宣传报道(传输中断).pdf").write_bytes(data[: len(data) // 2])
    # the formats units really send besides PDF, JPEG and Office Open XML (small, real files)
    shutil.copyfile(FORMATS / "notice_wps.wps", OUT / "双拥办/元旦春节双拥工作通知.wps")
    shutil.copyfile(FORMATS / "ledger_wps.et", OUT / "退役军人事务局/2023年春节慰问金发放表.et")
    shutil.copyfile(FORMATS / "IMG_0423.HEIC", OUT / "退役军人事务局/IMG_0423.HEIC")
    shutil.copyfile(FORMATS / "visit.mp4", OUT / "人武部/八一慰问活动视频.mp4")
    text_ofd(OUT / "双拥办/关于表彰双拥模范单位和个人的决定.ofd", [
        "某某市人民政府", "关于表彰双拥模范单位和个人的决定",
        "为表彰先进,决定授予城关街道等10个单位“双拥模范单位”称号。",
        "某某市人民政府", "2022年9月26日"], created="2022-09-26")
    (OUT / "README.txt").write_text(
        "yingjian demo 使用的示例资料(虚构的单位、人名和数字)。\n"
        "每个文件夹是一个成员单位的收件文件夹。\n", encoding="utf-8")


if __name__ == "__main__":
    main()
