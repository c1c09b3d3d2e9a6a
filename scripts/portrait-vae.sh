#!/usr/bin/env bash
# exported/portrait-vae.onnx: the decoder of a colour VAE on 64 px face crops of paintings/train (12 minutes
# on this project's CPU, 1 thread).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m trainer train vae --images ../shared/data/paintings/train --faces ../shared/data/paintings/faces.csv \
    --size 64 --width 32 --batch-size 32 --time-budget 12 --out runs/vae64 \
    --data-licence "paintings/train (1,549 painted portraits): Met open access CC0, Smithsonian NPG CC0, Hermitage CC0, Rijksmuseum public domain, Best Artworks public domain by age (collection terms not stated), People-Art v2.1 non-commercial research only"
python -m trainer export runs/vae64 exported/portrait-vae.onnx \
    --description "Colour VAE decoder: paints a soft new portrait (64 px) from a random latent vector."
python bench/report.py render   # the quality line, from bench/results.json
