#!/usr/bin/env bash
# exported/impasto.onnx: the brush texture, version 2 (lit floor 0.35): no training, no data; the defaults of
# export-texture are the shipped settings. Written only if onnxruntime matches torch.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer export-texture exported/impasto.onnx
python bench/report.py render   # the quality line, from bench/results.json
