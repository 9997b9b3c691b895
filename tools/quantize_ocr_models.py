"""Make the int8 OCR models that yingjian ships (archive/models/): RapidOCR's PP-OCRv6 small
detection and recognition models, quantised by onnxruntime (static, QDQ, int8 weights per
channel, uint8 activations) with ranges calibrated on rendered scans and photos, then rewritten
where the quantised graph costs more than it needs (`streamline`):
- each GELU (x/sqrt2 → Erf → +1 → ×x → ×0.5, with a quantise/dequantise pair after every step)
  becomes onnxruntime's one Gelu kernel, between the pairs that quantise its input and output;
- the recogniser's last MatMul (120 features → 18,710 characters, a fifth of a line's time in
  float) becomes DynamicQuantizeMatMul: int8 weights per character, the features quantised per
  run, the logits left in float with no quantise/dequantise pair to tie close characters;
- the recogniser's Softmax goes: its output is the logits, and the engine takes the probability
  of only the characters it keeps (archive/ocr_engine.py);
- the recogniser's input height is left free, so the engine can give it lines 36 pixels high
  instead of 48 (about 0.7 of the time a line; its ranges were calibrated on lines 48 high).

Run from the repository root: python tools/quantize_ocr_models.py
(`--streamline-only`: apply the rewriting alone to the models already in archive/models/, as the
shipped ones were: the quantisation itself may differ in its last bits with another onnx.)
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
    """The nodes left in float: in the recogniser everything from its AveragePool on (the
    sequence part: three convolutions, two transformer blocks and the last MatMul over the
    characters), which runs on one row of features and costs 2% of a line in float; quantised,
    close characters tied (况 and 況 by 0.4 in the logits, against 2.8 in float: one pixel of
    difference flipped them). Leaving the first convolution in float too was slower and no more
    accurate. (`streamline` makes the last MatMul int8 again, with its logits in float.)"""
    import onnx
    nodes = onnx.load(str(model)).graph.node
    if kind != "rec":
        return []
    start = next(i for i, n in enumerate(nodes) if n.op_type == "AveragePool")
    return [n.name for n in nodes[start:]]


# -- the rewriting of the quantised graphs ---------------------------------------------------

def _producers(g) -> dict:
    return {o: n for n in g.node for o in n.output}


def _consumers(g) -> dict:
    c: dict = {}
    for n in g.node:
        for i in n.input:
            c.setdefault(i, []).append(n)
    return c


def fuse_gelu(g) -> tuple[set, list]:
    """Each GELU of the quantised graph as one Gelu node: (names of the nodes it replaces,
    the new nodes)."""
    from onnx import helper
    prod, cons = _producers(g), _consumers(g)
    drop, add = set(), []
    for erf in [n for n in g.node if n.op_type == "Erf"]:
        div = prod[erf.input[0]]
        x, chain = div.input[0], [div, erf]

        def step(tensor, op):
            """The next node after `tensor`, past one quantise/dequantise pair, if it is `op`."""
            nxt = cons.get(tensor, [])
            if len(nxt) == 1 and nxt[0].op_type == "QuantizeLinear":
                dq = cons.get(nxt[0].output[0], [])
                if len(dq) != 1:
                    return None
                chain.extend([nxt[0], dq[0]])
                nxt = cons.get(dq[0].output[0], [])
            if len(nxt) != 1 or nxt[0].op_type != op:
                return None
            chain.append(nxt[0])
            return nxt[0]

        plus1 = step(erf.output[0], "Add")
        times_x = plus1 and step(plus1.output[0], "Mul")
        half = times_x and step(times_x.output[0], "Mul")
        if div.op_type != "Div" or not half or x not in times_x.input:
            raise ValueError(f"not a GELU at {erf.name}")
        drop.update(n.name for n in chain)
        add.append(helper.make_node("Gelu", [x], half.output, name=erf.name + "_gelu",
                                    domain="com.microsoft"))
    return drop, add


def int8_head(g) -> tuple[set, list]:
    """The recogniser's last MatMul + bias (+ Softmax) as one DynamicQuantizeMatMul giving the
    logits, under the graph's output name."""
    import numpy as np
    from onnx import helper, numpy_helper
    prod = _producers(g)
    out = g.output[0].name
    last = prod[out]
    if last.op_type == "DynamicQuantizeMatMul":
        return set(), []
    drop = set()
    if last.op_type == "Softmax":
        drop.add(last.name)
        tensor = last.input[0]
    else:
        raise ValueError(f"the recogniser ends in {last.op_type}")

    def before_qdq(tensor):
        """The tensor before a quantise/dequantise pair ending in `tensor`, and the pair."""
        dq = prod.get(tensor)
        q = prod.get(dq.input[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
        if q is None or q.op_type != "QuantizeLinear":
            return tensor, set()
        return q.input[0], {dq.name, q.name}

    tensor, pair = before_qdq(tensor)
    drop |= pair
    add = prod[tensor]
    for i, other in ((0, 1), (1, 0)):
        t, pair = before_qdq(add.input[i])
        if t in prod and prod[t].op_type == "MatMul":
            matmul, bias = prod[t], add.input[other]
            drop |= pair
            break
    else:
        raise ValueError("no MatMul before the recogniser's last Add")
    drop.update((add.name, matmul.name))
    inits = {t.name: t for t in g.initializer}
    w = numpy_helper.to_array(inits[matmul.input[1]]).astype(np.float32)
    scale = (np.maximum(np.abs(w).max(axis=0), 1e-8) / 127).astype(np.float32)
    name = matmul.input[1] + "_int8"
    g.initializer.extend([
        numpy_helper.from_array(np.clip(np.round(w / scale), -127, 127).astype(np.int8), name),
        numpy_helper.from_array(scale, name + "_scale"),
        numpy_helper.from_array(np.zeros(w.shape[1], np.int8), name + "_zero_point")])
    node = helper.make_node("DynamicQuantizeMatMul",
                            [matmul.input[0], name, name + "_scale", name + "_zero_point", bias],
                            [out], name="head_int8", domain="com.microsoft")
    return drop, [node]


def any_height(g) -> None:
    """The recogniser's input height left free (the float model fixes it at 48): the engine
    gives the int8 one lines 36 pixels high (ocr_engine.INT8_HEIGHT); any height from 33 to 48
    ends its backbone 3 rows high, where its AveragePool takes them."""
    dim = g.input[0].type.tensor_type.shape.dim[2]
    if dim.HasField("dim_value"):
        dim.ClearField("dim_value")
        dim.dim_param = "height"


def streamline(src: Path, dst: Path, kind: str) -> None:
    """Rewrite the quantised model `src` into `dst` (the module docstring says how)."""
    import onnx
    from onnx import helper
    m = onnx.load(str(src))
    g = m.graph
    drop, add = fuse_gelu(g)
    if kind == "rec":
        d, a = int8_head(g)
        drop, add = drop | d, add + a
        any_height(g)
    nodes = [n for n in g.node if n.name not in drop] + add
    ready = {i.name for i in g.input} | {t.name for t in g.initializer} | {""}
    order = []
    while nodes:                           # in an order where every input is made first
        waiting = []
        for n in nodes:
            if all(i in ready for i in n.input):
                order.append(n)
                ready.update(n.output)
            else:
                waiting.append(n)
        if len(waiting) == len(nodes):
            raise ValueError(f"{waiting[0].name} has an input nothing makes")
        nodes = waiting
    del g.node[:]
    g.node.extend(order)
    used = {i for n in g.node for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.checker.check_model(m)
    onnx.save(m, str(dst))


def main():
    OUT.mkdir(exist_ok=True)
    if "--streamline-only" in sys.argv:
        for kind in ("det", "rec"):
            dst = OUT / ocr_engine.INT8_MODELS[kind]["file"]
            streamline(dst, dst, kind)
            print(f"{kind}: {dst.relative_to(ROOT)} sha256 {sha256(dst)}")
        return
    with tempfile.TemporaryDirectory() as d:
        det_in, rec_in = calibration_inputs(Path(d))
    print(f"calibration: {len(det_in)} pages, {len(rec_in)} text lines")
    for kind, inputs in (("det", det_in), ("rec", rec_in)):
        src = ocr_engine.bundled_model(kind)
        dst = OUT / ocr_engine.INT8_MODELS[kind]["file"]
        quantize(src, dst, inputs, kind)
        streamline(dst, dst, kind)
        print(f"{kind}: {dst.relative_to(ROOT)} sha256 {sha256(dst)} "
              f"from {src.name} sha256 {sha256(src)}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    main()
