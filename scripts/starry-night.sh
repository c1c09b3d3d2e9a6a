#!/usr/bin/env bash
# exported/starry-night.onnx: fast style transfer after Van Gogh's The Starry Night (4,000 steps x batch 4,
# 192 px crops, on this project's 2-core CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer train style --photos ../shared/data/photos/train/humans \
    --style-image ../shared/data/styles/vangogh_starry_night.jpg --size 192 --width 16 --steps 4000 \
    --batch-size 4 --out runs/starry-night \
    --data-licence "content photos: 'Human Faces' web collection (terms not stated, images not redistributed); style: Vincent van Gogh, The Starry Night (1889), public domain"
python -m trainer export runs/starry-night exported/starry-night.onnx --native-size 512 \
    --description "Fast style transfer after Vincent van Gogh's The Starry Night (1889)."
python bench/report.py render   # the quality line, from bench/results.json
