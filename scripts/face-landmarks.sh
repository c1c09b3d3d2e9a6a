#!/usr/bin/env bash
# exported/face-landmarks.onnx: written by the same run as person-mask.onnx.
exec "$(dirname "$0")/person-mask.sh"
