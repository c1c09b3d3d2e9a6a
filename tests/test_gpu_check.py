"""bench/gpu_check.sh: it runs only where a GPU is, so here: it says so, and it still fits the code it calls."""

import glob
import importlib.util
import subprocess

import pytest
from conftest import REPO


def test_the_gpu_check_imports_the_converter_names_it_uses():
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "bench" / "gpu_check.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # fails when a name it imports moved


@pytest.mark.skipif(bool(glob.glob("/dev/nvidia[0-9]*")), reason="a GPU is here: the check would run for minutes")
def test_without_a_cuda_device_the_gpu_check_says_so_and_exits_2():
    done = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "no CUDA device present" in done.stderr
