"""The OCR engine itself (archive/ocr_engine.py): the shipped int8 models and their hashes, the
orientation classifier asked about a sample of lines, the stages a page goes through; on real
rendered pages read by the real models."""
import shutil

import numpy as np
import pytest
from PIL import Image

from archive import ocr, ocr_engine
from archive.limits import Limits
from tests import factories as f

LINES = ["关于做好二〇二一年度拥军优属工作的通知", "各镇人民政府要高度重视优抚对象走访慰问",
         "捧乍镇烈士陵园修缮工程已经完工", "乌沙镇开展国防教育进校园活动",
         "为张国强等十二户优抚对象送去慰问金", "召开议军会议专题研究征兵工作",
         "建立军地联席会议制度", "双拥模范城创建工作扎实推进", "落实经费保障纳入财政预算"]

pytestmark = pytest.mark.slow          # the real models on rendered pages



def compact(s: str) -> str:
    return "".join(s.split())


@pytest.fixture(scope="module")
def engine():
    return ocr_engine.Engine()


def page(angle: int = 0) -> np.ndarray:
    img = f.page_image("\n".join(LINES)).convert("RGB")
    return np.asarray(img.rotate(angle) if angle else img)


class CountingClassifier:
    """The real orientation classifier, counting the lines it is asked about."""

    def __init__(self, cls):
        self.cls, self.asked = cls, 0
        self.cls_thresh = cls.cls_thresh

    def __call__(self, crops):
        self.asked += len(crops)
        return self.cls(crops)


def test_shipped_int8_models_are_the_ones_measured_and_are_loaded(engine):
    for kind in ("det", "rec"):
        path = ocr_engine.int8_model(kind)
        assert path is not None and path.parent == ocr_engine.MODELS
        assert engine.models[kind] == ocr_engine.INT8_MODELS[kind]["file"]


def test_a_model_that_does_not_match_its_hash_is_never_loaded(tmp_path, monkeypatch, caplog):
    models = tmp_path / "models"
    shutil.copytree(ocr_engine.MODELS, models)
    rec = models / ocr_engine.INT8_MODELS["rec"]["file"]
    data = bytearray(rec.read_bytes())
    data[len(data) // 2] ^= 0xFF                       # one byte damaged on the way
    rec.write_bytes(bytes(data))
    monkeypatch.setattr(ocr_engine, "MODELS", models)
    assert ocr_engine.int8_model("rec") is None and ocr_engine.int8_model("det") is not None
    eng = ocr_engine.Engine()
    assert eng.models["rec"] == ocr_engine.INT8_MODELS["rec"]["source"]   # the wheel's float one
    assert "does not match its hash" in caplog.text
    lines, scores, _ = eng.read(page())
    assert compact(LINES[2]) in compact("".join(lines))


def test_upright_page_asks_the_classifier_about_a_sample_of_lines_only(engine, monkeypatch):
    spy = CountingClassifier(engine.cls)
    monkeypatch.setattr(engine, "cls", spy)
    lines, _, _ = engine.read(page())
    assert len(lines) == len(LINES) > ocr_engine.CLS_SAMPLE
    assert spy.asked == ocr_engine.CLS_SAMPLE
    assert [compact(x) for x in lines] == [compact(x) for x in LINES]


def test_upside_down_page_is_turned_line_by_line_and_read(engine, monkeypatch):
    spy = CountingClassifier(engine.cls)
    monkeypatch.setattr(engine, "cls", spy)
    lines, _, _ = engine.read(page(180))
    assert spy.asked == len(LINES)                    # the sample found it: every line asked
    got = compact("".join(lines))
    for line in LINES:
        assert compact(line) in got


def test_every_stage_of_a_page_is_timed(engine):
    times = {}
    text, conf = ocr.recognize(Image.fromarray(page()), times)
    assert set(times) == set(ocr_engine.STAGES) and all(t > 0 for t in times.values())
    assert compact(LINES[0]) in compact(text) and conf > 0.8


def test_large_scans_are_shrunk_to_the_size_ocr_reads(tmp_path):
    for size in [(4960, 7016), (2480, 3508), (1654, 2339)]:      # A4 at 600, 300, 200 dpi
        img = ocr._shrink(Image.new("RGB", size, "white"))
        assert max(img.size) == ocr.MAX_SIDE
        assert abs(img.width / img.height - size[0] / size[1]) < 0.01


def test_scanned_pages_and_photos_are_detected_by_the_int8_model(engine, monkeypatch):
    assert engine.det_document is engine.det           # one detector: the int8 one, shipped
    assert engine.models["det"] == ocr_engine.INT8_MODELS["det"]["file"]
    used = []
    run = engine.det.session
    monkeypatch.setattr(engine.det, "session", lambda x: used.append("det") or run(x))
    monkeypatch.setattr(ocr, "_ENGINE", engine)
    img = Image.fromarray(page())
    for fmt in ("pdf", "tiff", "jpeg", "heic"):
        used.clear()
        text, _ = ocr.recognize(img, fmt=fmt)
        assert used == ["det"] and compact(LINES[3]) in compact(text)


def test_scanned_pages_can_still_be_detected_by_the_float_model(monkeypatch):
    eng = ocr_engine.Engine(float_documents=True)       # what bench/ocr_stages.py compares
    assert eng.det_document is not eng.det
    used = []
    for name in ("det", "det_document"):
        run = getattr(eng, name).session
        monkeypatch.setattr(getattr(eng, name), "session",
                            lambda x, run=run, name=name: used.append(name) or run(x))
    for document, detector in [(True, "det_document"), (False, "det")]:
        used.clear()
        lines, _, _ = eng.read(page(), document=document)
        assert used == [detector] and compact(LINES[3]) in compact("".join(lines))


def test_a_line_the_int8_recogniser_is_unsure_of_is_read_again_in_float(engine, tmp_path):
    """情况 drawn and scanned: the int8 recogniser given lines 48 pixels high ties 况 with 況
    on it (12 of 40 crops of the line shifted by up to 3 pixels read 況); the float one, asked
    about the unsure lines, never. At 36 pixels high (the engine's own) all 40 are read right."""
    from rapidocr.utils.process_img import get_rotate_crop_image
    pdf = f.scanned_pdf(tmp_path / "scan.pdf", ["捧乍镇烈士陵园修缮情况\n完成祭扫道路硬化三百米"])
    img = np.asarray(ocr.page_images(pdf, "pdf", 0, Limits())[0])
    box = np.array(engine.stages(img, document=True).boxes[0], dtype=np.float32)
    rnd = np.random.default_rng(0)
    crops = [get_rotate_crop_image(img, box + rnd.uniform(-3, 3, box.shape).astype(np.float32))
             for _ in range(40)]
    tall = ocr_engine.Engine(rec_height=ocr_engine.REC_HEIGHT)
    read = tall.recognize(crops)
    assert [compact(text) for text, _ in read] == ["捧乍镇烈士陵园修缮情况"] * 40
    assert 0 < tall.reread < 40 and all(0.5 < conf <= 1 for _, conf in read)
    read = engine.recognize(crops)
    assert [compact(text) for text, _ in read] == ["捧乍镇烈士陵园修缮情况"] * 40


class SpySession:
    """An onnxruntime session, noting the height of every input it is given."""

    def __init__(self, session):
        self.session, self.heights = session, []

    def run(self, names, feed):
        self.heights += [x.shape[2] for x in feed.values()]
        return self.session.run(names, feed)


def test_int8_recogniser_is_given_lines_36_high_and_the_float_one_48(engine, monkeypatch):
    """The int8 recogniser reads lines scaled to INT8_HEIGHT (its input height is free: about 0.7
    of the time of a line 48 high, the same text on bench/ocr_bench.py's pages); a line it is
    unsure of is read again by the float one at the height it was trained on."""
    assert ocr_engine.INT8_HEIGHT == 36 and engine.rec_height == 36
    int8, flt = SpySession(engine.rec_session), SpySession(engine.float_rec())
    monkeypatch.setattr(engine, "rec_session", int8)
    monkeypatch.setattr(engine, "_float_rec", flt)
    monkeypatch.setattr(engine, "doubt", 1.01)              # every line unsure: all read again
    lines, _, _ = engine.read(page(), document=True)
    assert [compact(x) for x in lines] == [compact(x) for x in LINES]
    assert set(int8.heights) == {36, 48} and int8.heights.count(48) == len(LINES)   # unsure: again
    assert flt.heights == [48] * len(LINES)                          # still unsure: in float
    float_engine = ocr_engine.Engine(int8=())                # the float model alone: 48 high
    spy = SpySession(float_engine.rec_session)
    monkeypatch.setattr(float_engine, "rec_session", spy)
    assert [compact(x) for x in float_engine.read(page())[0]] == [compact(x) for x in LINES]
    assert set(spy.heights) == {48}


def test_a_sure_page_is_read_by_the_int8_recogniser_alone(engine):
    before = engine.reread
    lines, scores, _ = engine.read(page(), document=True)
    assert [compact(x) for x in lines] == [compact(x) for x in LINES]
    assert engine.reread - before <= 1 and min(scores) > 0.8


def test_the_blank_margins_of_a_scan_are_not_given_to_the_detector(engine):
    """Text in the middle of the page and a page number alone in a corner: the detector is
    given the part between them, not the page, and both are read where they are."""
    from PIL import ImageDraw
    img = Image.new("L", (1240, 1754), 255)
    d = ImageDraw.Draw(img)
    font = f._font(40)
    d.text((500, 900), LINES[2], fill=0, font=font)
    d.text((500, 1000), LINES[3], fill=0, font=font)
    d.text((1100, 1650), "第3页", fill=0, font=font)
    arr = np.asarray(img.convert("RGB"))
    staged = engine.stages(arr, document=True)
    _, _, dh, dw = staged.det_input.shape
    whole = engine.det_side / 1754
    assert dw * dh < 0.5 * (1240 * whole) * (1754 * whole)    # less than half the page
    lines, _, boxes = engine.read(arr, document=True)
    got = {compact(t): b for t, b in zip(lines, boxes)}
    assert set(got) == {compact(LINES[2]), compact(LINES[3]), "第3页"}
    x0, y0 = np.min(got["第3页"], axis=0)
    assert 1050 < x0 < 1110 and 1620 < y0 < 1660                # in the page's own pixels
    assert 480 < np.min(got[compact(LINES[2])], axis=0)[0] < 510
    photo = engine.stages(arr)                                  # a photo is detected whole
    assert photo.det_input.shape[2:] == (round(1754 * whole / 32) * 32,
                                         round(1240 * whole / 32) * 32)


def test_a_blank_scan_is_given_to_the_detector_whole(engine):
    blank = np.full((1754, 1240, 3), 250, dtype=np.uint8)
    staged = engine.stages(blank, document=True)
    assert staged.det_input.shape[2:] == (736, 512) and staged.crops == []



def test_with_two_threads_every_session_sleeps_instead_of_spinning():
    """`[ocr] threads = 2`: each model's idle threads sleep (the same clock, a fifth less
    processor time than RapidOCR's spinning ones) and the page reads the same."""
    eng = ocr_engine.Engine(threads=2)
    sessions = [eng.det.session.session, eng.cls.session.session, eng.rec_session, eng.float_rec()]
    assert eng.rec_session is eng.rec.session.session
    for s in sessions:
        opts = s.get_session_options()
        assert opts.intra_op_num_threads == 2
        assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    lines, _, _ = eng.read(page(), document=True)
    assert [compact(x) for x in lines] == [compact(x) for x in LINES]


def test_a_line_unsure_only_of_a_space_is_not_read_again():
    """The int8 recogniser is least sure of the space between a number and a word (GB/T 9704):
    that alone does not send a line to the float recogniser; any other character does."""
    sure, doubt = 0.99, ocr_engine.DOUBT - 0.2
    text = "依据GB/T 9704-2012"
    probs = np.full(len(text), sure)
    assert not ocr_engine.unsure(text, probs)
    probs[text.index(" ")] = doubt
    assert not ocr_engine.unsure(text, probs)
    probs[text.index("T")] = doubt
    assert ocr_engine.unsure(text, probs)
    assert ocr_engine.unsure("况", np.array([doubt])) and not ocr_engine.unsure("", np.array([]))


def test_a_page_of_digits_and_latin_letters_is_read_right_by_the_int8_recogniser_alone(engine):
    """Dates, phone numbers, codes and a web address, 36 pixels high: read right, and no line
    read again for the spaces the int8 recogniser is unsure of (two lines were, counting them)."""
    mixed = ["2021年12月31日前报送市双拥办", "联系电话0573-85012345转8021", "依据GB/T 9704-2012党政机关公文格式",
             "No.3 Tel: 13905731234 Fax: 85012346", "第1项 经费1,250,000.00元(含税)",
             "附件3: 2022年度优抚对象名册.xlsx", "www.jiaxing.gov.cn 邮编314000",
             "共计126名 占比95.2% 同比增长11.8%", "ISBN 978-7-5097-1234-5 第2版"]
    before = engine.reread
    lines, _, _ = engine.read(np.asarray(f.page_image("\n".join(mixed)).convert("RGB")), document=True)
    assert [compact(x) for x in lines] == [compact(x) for x in mixed]
    assert engine.reread == before


def test_an_unsure_line_is_read_by_the_int8_recogniser_48_high_before_the_float_one(engine, monkeypatch):
    """A line the int8 recogniser is unsure of at 36 pixels is read by it again at 48 (what it
    read before lines were 36 high, 15 ms a line); only if still unsure, in float (37 ms)."""
    staged = engine.stages(page(), document=True)
    crop = staged.crops[0]
    line = engine.rec_line(crop, ocr_engine.INT8_HEIGHT)
    flt = SpySession(engine.float_rec())
    monkeypatch.setattr(engine, "_float_rec", flt)
    monkeypatch.setattr(engine, "doubt", 0.0)                    # sure of anything at 48
    text, _ = engine.read_again(crop, line, ocr_engine.INT8_HEIGHT)
    assert compact(text) == compact(LINES[0]) and flt.heights == []
    monkeypatch.setattr(engine, "doubt", 1.01)                   # sure of nothing
    before = engine.reread_float
    text, _ = engine.read_again(crop, line, ocr_engine.INT8_HEIGHT)
    assert compact(text) == compact(LINES[0]) and flt.heights == [48]
    assert engine.reread_float == before + 1


def test_a_worker_is_ready_for_its_first_pdf_page_when_it_starts():
    """The worker initializer loads the models and pypdf, so a new worker's first scanned page
    costs what the others do (bench/ocr_bench.py's first run: 0.40 s a page against 0.37)."""
    import subprocess
    import sys
    code = ("import sys; from archive import ocr; assert 'pypdf' not in sys.modules; "
            "ocr._worker_start(1); print('pypdf' in sys.modules, ocr._ENGINE is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(ocr_engine.MODELS.parents[1]))
    assert out.stdout.split() == ["True", "True"], out.stderr
