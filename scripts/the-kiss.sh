#!/usr/bin/env bash
# exported/the-kiss.onnx: fast style transfer after Gustav Klimt, The Kiss (1907-08) (2,000 steps x batch 4, 160 px crops,
# style weight 15,000, on this project's 2-core CPU with 1 thread).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer train style --photos ../shared/data/photos/train/humans \
    --style-image ../shared/data/styles/klimt_the_kiss.jpg --size 160 --width 16 --style-weight 15000 --steps 2000 \
    --batch-size 4 --out runs/the-kiss \
    --data-licence "content photos: 'Human Faces' web collection (terms not stated, images not redistributed); style: Gustav Klimt, The Kiss (1907-08), public domain"
python -m trainer export runs/the-kiss exported/the-kiss.onnx --native-size 512 \
    --description "Fast style transfer after Gustav Klimt's The Kiss (1907-08): gold leaf and mosaic flecks."
python bench/report.py render   # the quality line, from bench/results.json
