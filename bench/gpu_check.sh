#!/usr/bin/env bash
# The GPU check: everything portraitize does on CUDA in one call of under 5 minutes, ending in one table
# (bench/gpu_check.py says what each row checks). Run it from anywhere in a checkout, with the installs of
# README "GPU check" done. Exit 0: every check passed; 1: a FAIL row; 2: no CUDA device on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# Device nodes exist wherever a GPU is usable, containers included; nvidia-smi covers hosts that name them otherwise.
if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1 && ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    echo "gpu_check: no CUDA device present (no /dev/nvidia0, nvidia-smi lists no GPU); run it on a machine with an NVIDIA GPU" >&2
    exit 2
fi
exec python bench/gpu_check.py
