"""The OCR engine of one process: RapidOCR's PP-OCR models (detection, orientation, recognition)
run stage by stage, so that each stage costs what a page needs and no more, and so that the
bench can see where a page's time goes (`Engine.read(img, times)`).

What makes a page cheap here, each measured by bench/ocr_stages.py and bench/ocr_bench.py:
- the models are int8 (archive/models/, made by tools/quantize_ocr_models.py from the models in
  RapidOCR's wheel, and loaded only when their SHA-256 is the one measured; otherwise the
  wheel's float models are used, as before), streamlined after quantisation: each GELU one
  kernel, the recogniser's last MatMul int8 per character with its logits in float and no
  Softmax (the engine takes the softmax of the characters it keeps), the recogniser's sequence
  part (after its AveragePool) in float, where quantised it tied close characters;
- scanned documents and photos alike are detected by the int8 detector (it read as well as the
  float one over 48 rendered A4 pages, at about half the time), a scan on the part of the page
  that is printed (its blank margins are not given to the detector, at the same scale);
- text lines are found on the page scaled to DET_SIDE pixels on its long side;
- the orientation classifier (is a line upside down?) is asked about a sample of lines: only if
  one of them is upside down is it asked about every line;
- recognition reads lines of about the same width together, each batch as wide as its widest
  line (RapidOCR padded every line to 320 pixels); the int8 recogniser is given each line
  scaled to INT8_HEIGHT = 36 pixels high instead of the 48 it was trained on (its input height
  is left free): about 0.7 of the time a line, and the same text on the bench's scans and photos
  and on lines of digits and Latin (bench/ocr_stages.py, variant rec48); a line the int8
  recogniser is unsure of (a character other than a space under DOUBT) is read again by it
  48 high and, if it is still unsure, by the float one (`read_again`);
- one onnxruntime thread per process: the pool has one process per core (with more threads,
  `[ocr] threads`, idle threads sleep instead of spinning: `session`).
Nothing is downloaded: every model is in a wheel or in this package.
"""
from __future__ import annotations

import hashlib
import logging
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MODELS = Path(__file__).resolve().parent / "models"

# The shipped int8 models, and the float model each was made from (tools/quantize_ocr_models.py)
INT8_MODELS = {
    "det": {"file": "PP-OCRv6_det_small.int8.onnx",
            "sha256": "2a15afcc4599044a4c4f3d4ddc079bfeec8b7b56ccf71f5e6f6784096ca72a7d",
            "source": "PP-OCRv6_det_small.onnx",
            "source_sha256": "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"},
    "rec": {"file": "PP-OCRv6_rec_small.int8.onnx",
            "sha256": "162f38e912e4f278b38da74bb1f8fceb890bd8f4cdc84bd496526763e4a6cb50",
            "source": "PP-OCRv6_rec_small.onnx",
            "source_sha256": "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"},
}

# text lines are found on the page scaled to 736 pixels on its long side, and read from the
# page at up to 2000: on A4 scans at 200 and 300 dpi the same error down to 9-point text as the
# RapidOCR default (the short side scaled *up* to 736), at a third of the detection time
DET_SIDE = 736
MAX_SIDE = 2000
MIN_SIDE = 30
REC_HEIGHT = 48         # the recogniser's input height (as trained); the width is the line's own
INT8_HEIGHT = 36        # ... the int8 one's: the line scaled to 3/4 (about 0.7 of the time a line)
DOUBT = 0.8             # a character the int8 recogniser gives less: the line is read in float
REC_BATCH = 4           # lines a run: 4-6% less time a line than one at a time
REC_PAD = 1.1           # ... of widths within 10% of each other: little padding
REC_MIN_WIDTH = 16      # RapidOCR pads every line to 320 pixels: a short line costs no more than it is
CLS_SAMPLE = 6          # lines asked first; the rest only if one of them is upside down
TEXT_SCORE = 0.5        # lines read with less confidence are dropped (RapidOCR's default)

STAGES = ("resize", "detection", "cropping", "orientation", "recognition")
DOCUMENT_FORMATS = {"pdf", "ofd", "tiff"}      # scanned pages: read with the float detector


@dataclass
class Staged:
    """A page between the stages: what detection was given and found, and the line images."""
    det_input: object = None
    boxes: list = field(default_factory=list)
    crops: list = field(default_factory=list)


def bundled_model(kind: str) -> Path:
    """The float model of `kind` ("det", "rec") inside RapidOCR's wheel."""
    import rapidocr
    return Path(rapidocr.__file__).resolve().parent / "models" / INT8_MODELS[kind]["source"]


def int8_model(kind: str) -> Path | None:
    """The shipped int8 model of `kind`, if it is there and is the one that was measured."""
    spec = INT8_MODELS[kind]
    path = MODELS / spec["file"]
    if not spec["sha256"] or not path.is_file():
        return None
    if _sha256(path) != spec["sha256"]:
        logging.getLogger("yingjian").warning("OCR model %s does not match its hash: the "
                                              "float model is used", path.name)
        return None
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def unsure(text: str, prob, doubt: float = DOUBT) -> bool:
    """Whether a line read by the int8 recogniser is to be read again (`Engine.read_again`): a
    character of it other than a space has a probability under `doubt`. A space between a number and a word
    is what it is least sure of on lines of digits and Latin letters (61 of the 100 unsure
    characters of 208 lines on 8 rendered pages: 77 lines unsure, 31 without the spaces), and
    the float one reads those lines the same, spaces aside; spaces count neither in the
    character error rate nor in search."""
    if len(prob) != len(text):
        return len(prob) > 0 and float(prob.min()) < doubt
    return any(p < doubt for c, p in zip(text, prob) if c != " ")


def session(path, threads: int = 1):
    """An onnxruntime session of the model at `path` on the CPU with `threads` intra-op threads,
    all graph optimisations, and threads that sleep when idle instead of spinning: with two
    threads a scan page took the same time by the clock and a fifth less processor time
    (a recogniser's lines: 453 ms against 578; one thread has no pool to spin)."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@contextmanager
def _timed(times: dict | None, stage: str):
    start = time.process_time()     # processor time: what a loaded machine disturbs least
    try:
        yield
    finally:
        if times is not None:
            times[stage] = times.get(stage, 0.0) + time.process_time() - start


def _content_box(small, block: int = 8, ink: int = 10, margin: int = 32) -> tuple:
    """Top, bottom, left and right of what is printed on a scanned page (`small`: the page at
    the detector's scale, sides multiples of 32), with `margin` pixels around it, in multiples
    of 32: blocks of `block` pixels darker by `ink` levels than the paper (their median) are
    printed; a speck of dust darkens its block by a few levels. A page with nothing printed
    is given whole, as before."""
    import cv2
    import numpy as np
    h, w = small.shape[:2]
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    blocks = cv2.resize(gray, (w // block, h // block), interpolation=cv2.INTER_AREA)
    printed = blocks < int(np.median(blocks)) - ink
    rows, cols = np.flatnonzero(printed.any(axis=1)), np.flatnonzero(printed.any(axis=0))
    if not len(rows):
        return 0, h, 0, w

    def span(first, last, size):
        lo = max(0, (first * block - margin) // 32 * 32)
        hi = min(size, -(-((last + 1) * block + margin) // 32) * 32)
        return lo, hi
    return (*span(rows[0], rows[-1], h), *span(cols[0], cols[-1], w))


class Engine:
    """RapidOCR's three models, loaded now (not at the first page), run stage by stage."""

    def __init__(self, threads: int = 1, int8=("det", "rec"), det_side: int = DET_SIDE,
                 float_documents: bool = False, skip_margins: bool = True, doubt: float = DOUBT,
                 cls_sample: int | None = CLS_SAMPLE, rec_height: int = INT8_HEIGHT):
        for name in ("RapidOCR", "rapidocr"):
            logging.getLogger(name).setLevel(logging.ERROR)
        params = {
            "Global.log_level": "error",
            "Global.max_side_len": MAX_SIDE,
            "Global.min_side_len": MIN_SIDE,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
            "Det.limit_side_len": det_side,
            "Det.limit_type": "max",
        }
        self.models = {}
        for kind, key in (("det", "Det"), ("rec", "Rec")):
            path = int8_model(kind) if kind in (int8 or ()) else None
            if path is not None:
                params[f"{key}.model_path"] = str(path)
            self.models[kind] = (path or bundled_model(kind)).name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from rapidocr import RapidOCR
            self.ocr = RapidOCR(params=params)
            self.det = self.ocr._load_det_model()
            self.det_document = self.det
            if float_documents and self.models["det"] != bundled_model("det").name:
                import copy
                from rapidocr.ch_ppocr_det import TextDetector
                cfg = copy.deepcopy(self.ocr.cfg.Det)
                cfg.model_path = str(bundled_model("det"))
                self.det_document = TextDetector(cfg)
            self.cls = self.ocr._load_cls_model()
            self.rec = self.ocr._load_rec_model()
        if threads > 1:      # RapidOCR's sessions spin their idle threads: made again, sleeping
            for stage in {id(s): s for s in (self.det, self.det_document, self.cls, self.rec)}.values():
                stage.session.session = session(stage.session.session._model_path, threads)
        self.rec_session = self.rec.session.session
        self.rec_feed = self.rec_session.get_inputs()[0].name
        self.rec_logits = self.models["rec"] == INT8_MODELS["rec"]["file"]
        self.chars = self.rec.postprocess_op.character
        self.threads = threads
        self._float_rec = None
        self.reread = 0             # lines the int8 recogniser was unsure of (read_again)
        self.reread_float = 0       # ... of which read again by the float recogniser
        if self.rec_logits:
            self.float_rec()        # loaded now, as the others: a worker is ready before a page
        self.det_side = det_side
        self.skip_margins = skip_margins
        self.doubt = doubt
        self.cls_sample = cls_sample
        self.rec_height = rec_height

    def read(self, img, times: dict | None = None,
             document: bool = False) -> tuple[list[str], list[float], list]:
        """The lines of text on `img` (an RGB array; `document`: a scanned page), their
        confidences and their boxes, in the order detection found them; `times` adds the
        processor seconds spent in each of STAGES."""
        staged = self.stages(img, times, document)
        if not staged.crops:
            return [], [], []
        with _timed(times, "orientation"):
            crops = self.upright(staged.crops)
        with _timed(times, "recognition"):
            res = self.recognize(crops)
        lines, scores, boxes = [], [], []
        for (txt, score), box in zip(res, staged.boxes):
            if txt.strip() and score >= TEXT_SCORE:
                lines.append(txt)
                scores.append(float(score))
                boxes.append(box)
        return lines, scores, boxes

    def stages(self, img, times: dict | None = None, document: bool = False) -> Staged:
        """Resize, detect and crop: the page up to the line images."""
        import cv2
        import numpy as np
        from rapidocr.utils.process_img import apply_vertical_padding, resize_image_within_bounds
        out = Staged()
        with _timed(times, "resize"):
            img, _, _ = resize_image_within_bounds(img, MIN_SIDE, MAX_SIDE)
            img, _ = apply_vertical_padding(img, {}, 8, MIN_SIDE)   # a strip: room to find lines
            h, w = img.shape[:2]
            scale = min(1.0, self.det_side / max(h, w))
            dh, dw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
            small = cv2.resize(img, (dw, dh))
            top, left = (0, 0)
            if document and self.skip_margins:    # a scan's blank margins: not detected
                top, bottom, left, right = _content_box(small)
                small = small[top:bottom, left:right]
            # (x / 255 - 0.5) / 0.5 in float32: RapidOCR's own step computes it in float64
            x = small.astype(np.float32)
            x *= 2 / 255
            x -= 1
            out.det_input = x.transpose(2, 0, 1)[None]
        with _timed(times, "detection"):
            det = self.det_document if document else self.det
            preds = det.session(out.det_input)
            ry, rx = h / dh, w / dw               # the page's pixels per detector pixel
            boxes, _ = det.postprocess_op(preds, (round(small.shape[0] * ry),
                                                  round(small.shape[1] * rx)))
            if len(boxes):
                boxes = np.asarray(boxes, dtype=np.float32)
                boxes += (left * rx, top * ry)
                boxes = det.sorted_boxes(boxes)
        if not len(boxes):
            return out
        with _timed(times, "cropping"):
            from rapidocr.utils.process_img import get_rotate_crop_image
            out.boxes = list(boxes)
            out.crops = [get_rotate_crop_image(img, np.array(b, dtype=np.float32))
                         for b in boxes]
        return out

    def upright(self, crops: list) -> list:
        """The line images, those the classifier finds upside down turned: it is asked about
        the first CLS_SAMPLE lines, and about the others only if one of those was turned."""
        if self.cls_sample is None or len(crops) <= self.cls_sample:
            return self.cls(crops).img_list
        head = self.cls(crops[:self.cls_sample])
        if not any(label == "180" and score > self.cls.cls_thresh
                   for label, score in head.cls_res):
            return head.img_list + crops[self.cls_sample:]
        return head.img_list + self.cls(crops[self.cls_sample:]).img_list

    def recognize(self, crops: list) -> list[tuple[str, float]]:
        """Each line's text and confidence (the mean probability of the characters read): lines
        of about the same width (REC_PAD) read REC_BATCH at a time, each batch as wide as its
        widest line (RapidOCR padded every line to 320 pixels), INT8_HEIGHT pixels high for
        the int8 recogniser. A line it is `unsure` of is read again, alone (`read_again`)."""
        import numpy as np
        height = self.rec_height if self.rec_logits else REC_HEIGHT
        lines = [self.rec_line(crop, height) for crop in crops]
        out: list = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[2])
        while order:
            batch = [order.pop(0)]
            while order and len(batch) < REC_BATCH and \
                    lines[order[0]].shape[2] <= lines[batch[0]].shape[2] * REC_PAD:
                batch.append(order.pop(0))
            x = np.zeros((len(batch), 3, height, lines[batch[-1]].shape[2]), np.float32)
            for row, i in zip(x, batch):
                row[:, :, :lines[i].shape[2]] = lines[i]
            y = self.rec_session.run(None, {self.rec_feed: x})[0]
            for i, yi in zip(batch, y):
                text, prob = self.ctc(yi, self.rec_logits)
                if self.rec_logits and unsure(text, prob, self.doubt):
                    self.reread += 1
                    text, prob = self.read_again(crops[i], lines[i], height)
                out[i] = (text, float(prob.mean()) if len(prob) else 0.0)
        return out

    def read_again(self, crop, line, height: int) -> tuple[str, object]:
        """A line the int8 recogniser was unsure of at `height`: read by it again 48 pixels
        high (what it read before lines were 36 high), and, if it is still unsure, by the float
        recogniser (about 15 ms a line against 37)."""
        x = line if height == REC_HEIGHT else self.rec_line(crop, REC_HEIGHT)
        if height != REC_HEIGHT:
            text, prob = self.ctc(self.rec_session.run(None, {self.rec_feed: x[None]})[0][0], True)
            if not unsure(text, prob, self.doubt):
                return text, prob
        self.reread_float += 1
        return self.ctc(self.float_rec().run(None, {self.rec_feed: x[None]})[0][0], False)

    @staticmethod
    def rec_line(crop, height: int):
        """One line image as the recogniser takes it: `height` pixels high, its width in
        proportion (at least REC_MIN_WIDTH), channels first, in [-1, 1]."""
        import cv2
        import numpy as np
        h, w = crop.shape[:2]
        x = cv2.resize(crop, (max(REC_MIN_WIDTH, int(height * w / h)), height))
        x = x.astype(np.float32)
        x *= 2 / 255
        x -= 1
        return x.transpose(2, 0, 1)

    def float_rec(self):
        """The float recogniser in RapidOCR's wheel, for the lines the int8 one is unsure of."""
        if self._float_rec is None:
            self._float_rec = session(bundled_model("rec"), self.threads)
        return self._float_rec

    def ctc(self, y, logits: bool) -> tuple[str, object]:
        """The text of one line from the recogniser's output (time steps × characters) and the
        probability of each of its characters: the best character of each step, repeats and
        blanks (0) dropped, as RapidOCR decodes it. The int8 recogniser gives logits
        (tools/quantize_ocr_models.py): the softmax is taken of the kept steps only."""
        import numpy as np
        idx = y.argmax(axis=1)
        keep = idx != 0
        keep[1:] &= idx[1:] != idx[:-1]
        steps = np.flatnonzero(keep)
        if logits and len(steps):
            rows = y[steps]
            rows -= y[steps, idx[steps]][:, None]           # each row's best is its max
            prob = 1.0 / np.exp(rows, out=rows).sum(axis=1)
        else:
            prob = y[steps, idx[steps]]
        return "".join(self.chars[i] for i in idx[steps]), prob

    def rec_input(self, crop):
        """The recognition model's input for one line (for calibrating the int8 model)."""
        import numpy as np
        _, h, w = self.rec.rec_image_shape
        ratio = max(w / h, crop.shape[1] / crop.shape[0])
        return self.rec.resize_norm_img(crop, ratio)[None].astype(np.float32)
