"""Defaults and choices the CLI shows at start-up, kept where importing them costs nothing (no Pillow, no
onnxruntime): the modules that use them import them from here."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")  # --device
DEFAULT_MAX_PIXELS = 120_000_000  # --max-pixels: above any camera sold today (100 MP), far below a decompression bomb
