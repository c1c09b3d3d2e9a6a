#!/usr/bin/env bash
# exported/oil-portrait.onnx (int8) and exported/float/oil-portrait.onnx: the U-Net generator (ImageNet MobileNetV2 encoder) of oil-portrait version 2,
# trained in three stages on this project's 2-core CPU (no GPU). Run from anywhere; paths as in the card.
#
# History of the shipped file, for the record (see CHANGELOG.md):
# - version 2 = stages 1-3 below (stage 1 and 2 were stopped by hand, at steps 2,148 and 884: the --steps
#   here give the same lengths; stage 3 ran out its --time-budget 22 at step 2,044).
# - version 3 (2026-11-30) appended a fixed brushwork stage to version 2's generator: its checkpoint was a
#   0-step `train unet ... --brush-radius 0 --brush-relief 0.2 --brush-stroke 6 --steps 0 --init-from
#   runs/oil-v2-shipped.pt --out runs/oil-v3l` (version 2's generator read back from its ONNX file, since its
#   own checkpoint had been overwritten by a later resume), exported with `export --native-size 256
#   --face-size 99`.
# - 2026-12-04 (commit f8941f8): the converter's stroke painter lays the paint, so the shipped file is version
#   3 cut back to its generator: `python -m trainer cut-to-generator OLD.onnx exported/oil-portrait.onnx
#   --description "..."` (trainer/generator_only.py; checked to give exactly the generator's output). That is
#   version 2's generator; `export` now leaves any brushwork stage out, so exporting stage 3 writes the same
#   network.
# - 2026-12-07: shipped as its int8 copy (`quantize`, below); the float export stays in exported/float/, out of the
#   wheel (bench/report.py measure oil-portrait-int8 compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."

LICENCE="photos/train: 'Human Faces' web collection (terms not stated, images not redistributed); paintings/train (1,549 painted portraits): Met open access CC0, Smithsonian NPG CC0, Hermitage CC0, Rijksmuseum public domain, Best Artworks public domain by age, People-Art v2.1 non-commercial research only: non-commercial use"
DESCRIPTION="Photo -> oil portrait: the palette and the modelling of an old master (warm, muted, varnished colour, softened skin, darker modelling), the sitter kept; the U-Net generator only, without its former brushwork stage: the converter's stroke painter lays the paint (U-Net on an ImageNet MobileNetV2 encoder, PatchNCE content, PatchGAN critics)"
COMMON=(--photos ../shared/data/photos/train --paintings ../shared/data/paintings/train
        --faces ../shared/data/paintings/faces.csv --size 128 --batch-size 4 --critic-scales 2
        --critic-norm spectral --diffaugment color,translation --content nce --content-weight 1
        --identity-weight 0 --photo-negative-weight 1 --texture-weight 1 --data-licence "$LICENCE")

# stage 1: from the ImageNet encoder, Huber chroma loss (2,148 steps)
python -m trainer train unet "${COMMON[@]}" --chroma-weight 2 --steps 2148 --out runs/oil-v2
# stage 2: + the light loss (884 steps)
python -m trainer train unet "${COMMON[@]}" --chroma-weight 2 --light-weight 1 --steps 884 \
    --init-from runs/oil-v2 --out runs/oil-v2c
# stage 3: chroma as L1, weight 1 (ran 22 minutes: 2,044 steps)
python -m trainer train unet "${COMMON[@]}" --chroma-weight 1 --light-weight 1 --steps 2044 \
    --init-from runs/oil-v2c --out runs/oil-v2d
python -m trainer export runs/oil-v2d exported/float/oil-portrait.onnx --native-size 256 --face-size 99 \
    --description "$DESCRIPTION" --data-licence "$LICENCE"
# the shipped file: its int8 copy, calibrated on photos/train prepared as convert prepares them
python -m trainer quantize exported/float/oil-portrait.onnx exported/oil-portrait.onnx --min-psnr 40
# the quality line comes from bench/results.json (measure first: python bench/report.py measure oil-portrait)
python bench/report.py render
