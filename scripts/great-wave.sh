#!/usr/bin/env bash
# exported/great-wave.onnx: fast style transfer after Katsushika Hokusai, The Great Wave off Kanagawa (c. 1831) (2,000 steps x batch 4, 160 px crops,
# style weight 15,000, on this project's 2-core CPU with 1 thread).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer train style --photos ../shared/data/photos/train/humans \
    --style-image ../shared/data/styles/hokusai_great_wave.jpg --size 160 --width 16 --style-weight 15000 --steps 2000 \
    --batch-size 4 --out runs/great-wave \
    --data-licence "content photos: 'Human Faces' web collection (terms not stated, images not redistributed); style: Katsushika Hokusai, The Great Wave off Kanagawa (c. 1831), public domain"
python -m trainer export runs/great-wave exported/great-wave.onnx --native-size 512 \
    --description "Fast style transfer after Katsushika Hokusai's The Great Wave off Kanagawa (c. 1831): Prussian-blue woodblock lines and flat cream paper."
python bench/report.py render   # the quality line, from bench/results.json
