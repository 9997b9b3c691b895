"""The evidence date: every written form of the 落款 date, file names from phones, scanners and
WeChat, EXIF and PDF metadata, and the order in which they are trusted."""
import pytest

from archive import dates


@pytest.mark.parametrize("text, expected", [
    ("特此通知。\n城关镇人民政府\n2018年12月24日", "2018-12-24"),
    ("2018 年 12 月 24 日", "2018-12-24"),                    # OCR puts spaces in
    ("落款:2018.12.24", "2018-12-24"),
    ("日期 2018-12-24", "2018-12-24"),
    ("2018/12/24", "2018-12-24"),
    ("二〇一八年十二月二十四日", "2018-12-24"),
    ("二〇二一年八月一日", "2021-08-01"),
    ("二○一九年十月十日", "2019-10-10"),                      # the circle OCR reads for 〇
    ("2018年12月", "2018-12"),                                 # month only
    ("２０２２年３月１日", "2022-03-01"),                      # a full-width input mode
    ("落款:２０２２．３．１", "2022-03-01"),
    ("２０２２／１２／２４", "2022-12-24"),
    ("２０２２－０３－０１", "2022-03-01"),
    ("２０２２　年　３　月", "2022-03"),                       # full-width spaces
])
def test_content_date_forms(text, expected):
    assert dates.content_date([text]) == expected


def test_full_width_dates_in_names_metadata_and_exif():
    assert dates.filename_date("扫描全能王 ２０１８－１２－２４.pdf") == "2018-12-24"
    assert dates.filename_date("２０２２年３月双拥简报.docx") == "2022-03"
    assert dates.exif_date("２０２１:０４:０５ 10:32:00") == "2021-04-05"
    assert dates.pdf_date("D:２０１８１２２４") == "2018-12-24"


def test_the_last_date_on_the_last_page_is_the_signing_date():
    pages = ["2019年3月1日召开会议,部署2019年工作", "落款\n2019年3月5日", ""]
    assert dates.content_date(pages) == "2019-03-05"


@pytest.mark.parametrize("text", ["2018年13月1日", "2018年2月30日", "1800年1月1日", "20181224"])
def test_impossible_or_bare_numbers_are_not_dates(text):
    assert dates.content_date([text]) is None


@pytest.mark.parametrize("name, expected", [
    ("IMG_20210405_103200.jpg", "2021-04-05"),
    ("微信图片_20230801142501.jpg", "2023-08-01"),
    ("扫描全能王 2018-12-24 10.32.pdf", "2018-12-24"),
    ("2022年3月双拥简报.docx", "2022-03"),
    ("慰问照片.jpg", None),
    ("VID_20211301_000000.mp4", None),                        # month 13: not a date
])
def test_filename_dates(name, expected):
    assert dates.filename_date(name) == expected


def test_exif_and_pdf_dates():
    assert dates.exif_date("2021:04:05 10:32:00") == "2021-04-05"
    assert dates.exif_date("0000:00:00 00:00:00") is None     # a camera with no clock
    assert dates.pdf_date("D:20181224103200+08'00'") == "2018-12-24"


def test_sources_are_trusted_in_order():
    common = dict(exif="2021:04:05 10:00:00", name="IMG_20200101_000000.jpg",
                  pdf="D:20190101000000", mtime_ns=1_600_000_000 * 10**9)
    assert dates.evidence_date(pages=["2022年1月2日"], **common) == ("2022-01-02", "content")
    assert dates.evidence_date(pages=[""], **common) == ("2021-04-05", "exif")
    assert dates.evidence_date(pages=[""], **{**common, "exif": None}) == ("2020-01-01", "filename")
    assert dates.evidence_date(pages=[""], **{**common, "exif": None, "name": "a.pdf"}) == \
        ("2019-01-01", "pdf")
    got = dates.evidence_date(pages=[""], exif=None, name="a.pdf", pdf=None,
                              mtime_ns=1_600_000_000 * 10**9)
    assert got[1] == "mtime" and got[0].startswith("2020-09-1")
