"""A run's TensorBoard events in RUN/tensorboard/: the losses log.jsonl gets, and every sample grid.

Written only when the tensorboard package is installed (the train extra has it); without it every method does
nothing, and log.jsonl (drawn by `python -m trainer plot`) stays the run's record.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image


class TensorBoardLog:
    def __init__(self, folder: Path, first_step: int):
        self.folder, self.first_step = folder, first_step
        self.available = importlib.util.find_spec("tensorboard") is not None
        self.writer = None  # opened by the first write: a Trainer that never trains leaves no event file

    def _open(self):
        if self.writer is None and self.available:
            from torch.utils.tensorboard import SummaryWriter

            # A resumed run logs the steps after its checkpoint again; purge_step tells TensorBoard to drop the
            # interrupted run's events from first_step on, so that no step is drawn twice.
            self.writer = SummaryWriter(str(self.folder), purge_step=self.first_step)
        return self.writer

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if writer := self._open():
            for name, value in values.items():
                writer.add_scalar(name, value, step)
            writer.flush()  # a killed run keeps what its log.jsonl has

    def image(self, step: int, png: Path) -> None:
        """The sample grid as written to `png` (read back: the PNG is the one rendering of a grid)."""
        if writer := self._open():
            with Image.open(png) as grid:
                writer.add_image("samples", np.asarray(grid.convert("RGB")), step, dataformats="HWC")
            writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
