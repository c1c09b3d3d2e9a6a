"""Defaults and choices the CLI shows at start-up, kept where importing them costs nothing (no Pillow, no
onnxruntime): the modules that use them import them from here."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")  # --device
DEFAULT_MAX_PIXELS = 120_000_000  # --max-pixels: above any camera sold today (100 MP), far below a decompression bomb
# --batch-size on CUDA and on Ray: photos of one size share a model call. On the CPU a call of four paints no faster
# than four calls of one (README, Benchmarks: 50 photos at 512 px, batch 1 and 4), and a batch's photos wait until
# it gathers: there the default is 1.
BATCH_ON_GPU = 4
