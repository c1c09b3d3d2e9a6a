#!/usr/bin/env bash
# exported/painting-x4.onnx: the x4 painting upscaler, version 3, as its int8 copy for the CPU.
# (1) version 1: 20 minutes from scratch on degraded reductions (blur, JPEG) of paintings cached at 448 px;
# (3) version 3: from (1), 30 minutes on clean reductions at 256 px, no critic; then the float export and its
# int8 copy, written only if it stays within 38 dB PSNR of the float model's output.
set -euo pipefail
cd "$(dirname "$0")/.."
LICENCE="paintings/train (1,549 painted portraits): Met open access CC0, Smithsonian NPG CC0, Hermitage CC0, Rijksmuseum public domain, Best Artworks public domain by age (collection terms not stated), People-Art v2.1 non-commercial research only"
python -m trainer train upscale --paintings ../shared/data/paintings/train --factor 4 --size 96 --batch-size 16 \
    --time-budget 20 --out runs/painting-x4 --data-licence "$LICENCE"
python -m trainer train upscale --paintings ../shared/data/paintings/train --factor 4 --size 96 --source-size 256 \
    --blur 0 --jpeg-quality 100 --critic-weight 0 --lr 2e-4 --batch-size 16 --init-from runs/painting-x4 \
    --time-budget 30 --out runs/painting-x4-psnr --data-licence "$LICENCE"
python -m trainer export runs/painting-x4-psnr runs/painting-x4-psnr/painting-x4-float.onnx \
    --description "Painting upscaler x4: enlarges a painted portrait faithfully, keeping its strokes and edges (ESPCN/EDSR-style, L1 + perceptual, trained on paintings); the brush texture at the photo's size is impasto's job. int8 for the CPU."
python -m trainer quantize runs/painting-x4-psnr/painting-x4-float.onnx exported/painting-x4.onnx
python bench/report.py render   # the quality line, from bench/results.json
