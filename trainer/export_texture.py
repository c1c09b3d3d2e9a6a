"""Brush texture at the photo's own resolution -> a `texture` model (`impasto.onnx`), the converter's `--texture`.

An enlargement cannot paint: when `convert` brings a painting made at the scale of the faces the translator
learned on up to a phone photo's size (often 4-16x), the upscaler keeps the edges and adds a grain, but the
marks a brush leaves at that size are missing, and the result reads as a soft enlargement at 100%. This model is
the translator's own brushwork stage (models/brushwork.py) without its Kuwahara flattening, run once more at the
output's size: fine bristle streaks along the contours, lit as a relief from the top left. It has no weights:
its settings are the model, and nothing is trained.

The file is written (atomically) only when onnxruntime gives torch's result within the tolerance, on tiles with
several origins and sizes, so that tiles painted separately join as the whole image would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from portraitize.contract import TEXTURE_ORIGIN, ModelInfo
from portraitize.files import write_atomically
from portraitize.texture import MARGIN

from .export import ExportError, onnx_from_torch
from .models.brush_texture import LookupBrushwork
from .models.brushwork import TILE
from .texture_settings import TextureSettings

DESCRIPTION = (
    "Brush texture for paintings enlarged to a photo's size: fine bristle streaks along the contours with a "
    "relief lit from the top left, painted at the output's own resolution."
)


class TextureStage(nn.Module):
    def __init__(self, settings: TextureSettings):
        super().__init__()
        self.brushwork = LookupBrushwork(
            stroke=settings.stroke,
            relief=settings.relief,
            seed=settings.seed,
            flow_sigma=settings.flow_sigma,
            lit_floor=settings.lit_floor,
        )

    def forward(self, image: torch.Tensor, origin: torch.Tensor) -> torch.Tensor:
        return self.brushwork(image, origin)


def texture_info(name: str, settings: TextureSettings, quality: str = "") -> ModelInfo:
    return ModelInfo(
        kind="texture",
        name=name,
        description=DESCRIPTION,
        family="brushwork",
        native_size=TILE,
        training_summary=f"not trained: a fixed painting stage ({settings.summary()})",
        data_licence="none: made from no data",
        quality=quality,
    )


def to_onnx(module: TextureStage, info: ModelInfo) -> onnx.ModelProto:
    example = (torch.zeros(1, 3, 64, 96), torch.zeros(2, dtype=torch.int64))
    shapes = (
        {
            0: torch.export.Dim("batch", min=1, max=1024),
            2: torch.export.Dim("height", min=2, max=16384),
            3: torch.export.Dim("width", min=2, max=16384),
        },
        None,
    )
    return onnx_from_torch(module.eval(), example, [info.input_name, TEXTURE_ORIGIN], shapes, info)


def parity_error(model: bytes, module: TextureStage, info: ModelInfo) -> float:
    """Largest |onnxruntime - torch| on real-looking sizes and origins, including ones past the pattern's side."""
    import onnxruntime as ort

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for (height, width), origin in (((96, 80), (0, 0)), ((70, 130), (300, 1000)), ((256, 256), (17, 5))):
        # Smooth random images: flow to follow, as a painting has (white noise would have none).
        small = rng.uniform(-1, 1, (2, 3, height // 8 + 1, width // 8 + 1)).astype(np.float32)
        image = torch.nn.functional.interpolate(torch.from_numpy(small), size=(height, width), mode="bilinear")
        position = torch.tensor(origin, dtype=torch.int64)
        with torch.no_grad():
            expected = module(image, position).numpy()
        (actual,) = session.run([info.output_name], {info.input_name: image.numpy(), TEXTURE_ORIGIN: position.numpy()})
        worst = max(worst, float(np.abs(actual - expected).max()))
    return worst


def export_texture(out: Path, settings: TextureSettings, quality: str = "", tolerance: float = 1e-4) -> float:
    """Write `out` if onnxruntime matches torch within `tolerance`; returns the largest difference."""
    module = TextureStage(settings)
    # What a pixel's texture depends on: the flow smoothed over the Gaussian's radius, then two Sobel filters.
    reach = module.brushwork.blur.numel() // 2 + 2
    if reach >= MARGIN:
        raise ExportError(
            f"a flow smoothed over {settings.flow_sigma:g} px reaches {reach} px, past the converter's tile margin "
            f"of {MARGIN} px: tiles would show seams; {out} not written"
        )
    info = texture_info(out.stem, settings, quality)
    model = to_onnx(module, info).SerializeToString()
    worst = parity_error(model, module, info)
    if worst > tolerance:
        raise ExportError(f"onnxruntime differs from torch by {worst:.2g} (> {tolerance:g}); {out} not written")
    write_atomically(out, lambda file: file.write(model))
    return worst
