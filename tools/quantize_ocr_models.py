"""Make the int8 OCR models that yingjian ships (archive/models/): RapidOCR's PP-OCRv6 small
detection and recognition models, quantised by onnxruntime (static, QDQ, int8 weights per
channel, uint8 activations) with ranges calibrated on rendered scans and photos.

Run from the repository root: python tools/quantize_ocr_models.py
Needs `onnx` (pip install onnx) and a CJK font (fonts-wqy-microhei). It prints the SHA-256 of
each model made: copy them into archive/ocr_engine.py (INT8_MODELS) with the source models'
hashes, so a model that does not match what was measured is never loaded.

The calibration material is drawn with another seed than bench/ocr_bench.py's, and with
smaller type (down to 9 point at 200 dpi), so the bench does not measure the pages the ranges
were taken from.
"""
import hashlib
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import ocr, ocr_engine  # noqa: E402
from archive.limits import Limits  # noqa: E402
from bench.ocr_bench import render_photo, render_scan  # noqa: E402

OUT = ROOT / "archive" / "models"


def calibration_inputs(tmp: Path) -> tuple[list, list]:
    """The detection model's inputs (whole pages as the engine resizes them) and the
    recognition model's (text lines), from rendered scans and photos."""
    import numpy as np
    rnd = random.Random(1949)
    eng = ocr_engine.Engine(int8=())
    det_in, rec_in = [], []
    pages = []
    for i in range(6):
        p = tmp / f"scan{i}.pdf"
        render_scan(rnd, p, font_size=(38, 30, 26)[i % 3])
        pages.append((p, "pdf"))
        p = tmp / f"photo{i}.jpg"
        render_photo(rnd, p, sideways=False)
        pages.append((p, "jpeg"))
    for path, fmt in pages:
        for img in ocr.page_images(path, fmt, 0, Limits()):
            arr = np.asarray(img)
            staged = eng.stages(arr)
            det_in.append(staged.det_input)
            for crop in staged.crops[:12]:
                rec_in.append(eng.rec_input(crop))
    return det_in, rec_in


def quantize(src: Path, dst: Path, inputs: list, kind: str) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(inputs)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {"x": x}

    with tempfile.TemporaryDirectory() as d:
        # per-channel scales need DequantizeLinear's axis: opset 13
        opset13 = Path(d) / "opset13.onnx"
        onnx.save(version_converter.convert_version(onnx.load(str(src)), 13), str(opset13))
        pre = Path(d) / "pre.onnx"
        quant_pre_process(str(opset13), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, nodes_to_exclude=float_nodes(pre, kind))


def float_nodes(model: Path, kind: str) -> list[str]:
    """The nodes left in float: in the recogniser the last MatMul and Softmax, which give each
    character's probability (quantised, close characters tie, and a softmax over the whole
    character set is slower in int8 than in float). Leaving the first convolution in float
    too was slower and no more accurate."""
    import onnx
    last = {n.op_type: n.name for n in onnx.load(str(model)).graph.node}
    return [last["MatMul"], last["Softmax"]] if kind == "rec" else []


def main():
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        det_in, rec_in = calibration_inputs(Path(d))
    print(f"calibration: {len(det_in)} pages, {len(rec_in)} text lines")
    for kind, inputs in (("det", det_in), ("rec", rec_in)):
        src = ocr_engine.bundled_model(kind)
        dst = OUT / ocr_engine.INT8_MODELS[kind]["file"]
        quantize(src, dst, inputs, kind)
        print(f"{kind}: {dst.relative_to(ROOT)} sha256 {sha256(dst)} "
              f"from {src.name} sha256 {sha256(src)}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    main()
