"""onnxruntime vs torch eager on the same translator network, side by side, at 256 and 512 px.

    python bench/runtime.py CHECKPOINT [--sizes 256,512] [--batch 1] [--repeats 10] [--threads N]

CHECKPOINT is a training run (folder or checkpoint.pt) of any translator recipe, e.g. the run that produced
the shipped `oil-portrait`. Both runtimes get the very network of the checkpoint: it is exported to a
temporary ONNX file here (exactly as `python -m trainer export` does) and run with the converter's own
session settings, while torch runs the module in eval mode under `torch.inference_mode()`. Both use the same
number of threads. Each figure is the median of --repeats timed calls after two warm-up calls.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from portraitize.session import choose_providers, open_session
from trainer.export import export_checkpoint, load_for_inference


def median_seconds(call, repeats: int) -> float:
    for _ in range(2):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    options = parser.parse_args()
    torch.set_num_threads(options.threads)

    recipe, state = load_for_inference(options.checkpoint)
    spec = next(iter(recipe.export_specs().values()))
    if spec.kind != "translator":
        raise SystemExit(f"{options.checkpoint}: a {spec.kind}, not a translator")
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "model.onnx"
        export_checkpoint(options.checkpoint, model)
        session = open_session(model, choose_providers("cpu"), threads=options.threads)
        input_name = session.get_inputs()[0].name
        parameters = sum(p.numel() for p in spec.module.parameters())
        print(
            f"{state['recipe']} translator, {parameters / 1e6:.2f} M parameters; CPU, {options.threads} threads, "
            f"batch {options.batch}; median of {options.repeats}"
        )
        print(f"{'size':>6} {'onnxruntime ms':>15} {'torch eager ms':>15} {'torch / ort':>12}")
        for size in (int(value) for value in options.sizes.split(",")):
            images = torch.rand(options.batch, 3, size, size) * 2 - 1
            array = images.numpy()
            ort_seconds = median_seconds(lambda array=array: session.run(None, {input_name: array}), options.repeats)
            with torch.inference_mode():
                torch_seconds = median_seconds(lambda images=images: spec.module(images), options.repeats)
                difference = float(
                    np.abs(session.run(None, {input_name: array})[0] - spec.module(images).numpy()).max()
                )
            print(
                f"{size:>6} {ort_seconds * 1000:>15.1f} {torch_seconds * 1000:>15.1f} {torch_seconds / ort_seconds:>12.2f}"
                f"   (max |difference| {difference:.1e})"
            )


if __name__ == "__main__":
    main()
