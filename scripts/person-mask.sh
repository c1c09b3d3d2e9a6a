#!/usr/bin/env bash
# exported/person-mask.onnx and exported/face-landmarks.onnx (one run writes both): MediaPipe's selfie
# segmentation and Face Mesh landmark models, pretrained by Google (Apache-2.0), rebuilt in torch from the
# .tflite files of the mediapipe 0.10.14 wheel and exported; written only if they match the TFLite interpreter
# (ai-edge-litert) on 64 photos of photos/train.
set -euo pipefail
cd "$(dirname "$0")/.."
pip download mediapipe==0.10.14 --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_17_x86_64 -d /tmp/mp
pip install ai-edge-litert
python -m trainer export-mediapipe \
    --wheel /tmp/mp/mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl \
    --photos ../shared/data/photos/train --max-photos 64
python bench/report.py render
