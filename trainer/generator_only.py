"""A translator's ONNX file cut back to its generator: the fixed brushwork stage (models/brushwork.py) that
older exports appended after the generator's last Tanh is left out, since the converter's paint chain now
paints the strokes itself and a fixed filter inside the network blocks fp16 and int8 copies and shows seams
across tiles. The cut is checked: on random photos it gives exactly what the generator gave inside the whole
file, and the file is written only then.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from portraitize.contract import TRANSLATOR_INPUT, TRANSLATOR_OUTPUT, ModelInfo
from portraitize.files import write_atomically

from .export import ExportError, load_onnx

TOLERANCE = 1e-5


def generator_output(model: onnx.ModelProto) -> str:
    """The generator's own output: the first Tanh in the graph (the U-Net's head), if anything follows it."""
    tanhs = [node.output[0] for node in model.graph.node if node.op_type == "Tanh"]
    if not tanhs:
        raise ExportError("no Tanh in this translator: it has no generator head to cut at")
    if tanhs[0] == model.graph.output[0].name:
        raise ExportError("this translator is already its generator only")
    return tanhs[0]


def cut_to_generator(source: Path, out: Path, description: str | None = None) -> float:
    """Write `source` without what follows its generator to `out`; returns the parity error (max abs)."""
    model = load_onnx(source)
    info = ModelInfo.from_metadata({prop.key: prop.value for prop in model.metadata_props})
    if info.kind != "translator":
        raise ExportError(f"{source} is a {info.kind}, not a translator")
    head = generator_output(model)
    cut = onnx.utils.Extractor(model).extract_model([TRANSLATOR_INPUT], [head])
    for node in cut.graph.node:  # the contract's output name
        node.output[:] = [TRANSLATOR_OUTPUT if name == head else name for name in node.output]
    cut.graph.output[0].name = TRANSLATOR_OUTPUT
    props = {prop.key: prop.value for prop in model.metadata_props}
    if description:
        props["description"] = description
    onnx.helper.set_model_props(cut, props)
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            cut.opset_import[0].version = opset.version
    onnx.checker.check_model(cut)
    error = _parity(model, cut, head, info.size_multiple)
    if error > TOLERANCE:
        raise ExportError(f"the cut differs from the generator inside {source} by {error:.2e}; {out} not written")
    data = cut.SerializeToString()
    write_atomically(out, lambda handle: handle.write(data))
    return error


def _parity(whole: onnx.ModelProto, cut: onnx.ModelProto, head: str, multiple: int) -> float:
    """Max |cut - the generator's output inside the whole file| on random inputs, one of them not square."""
    probe = onnx.ModelProto()
    probe.CopyFrom(whole)
    probe.graph.output.append(onnx.helper.make_tensor_value_info(head, onnx.TensorProto.FLOAT, None))
    whole_session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    cut_session = ort.InferenceSession(cut.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for height, width in ((2 * multiple, 3 * multiple), (4 * multiple, 4 * multiple)):
        image = rng.uniform(-1, 1, (1, 3, height, width)).astype(np.float32)
        inside = whole_session.run([head], {TRANSLATOR_INPUT: image})[0]
        alone = cut_session.run([TRANSLATOR_OUTPUT], {TRANSLATOR_INPUT: image})[0]
        worst = max(worst, float(np.abs(inside - alone).max()))
    return worst
