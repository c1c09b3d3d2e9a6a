"""One onnxruntime session per run, on the device the user asked for, never silently on another."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from .contract import ContractError, ModelInfo

DEVICES = ("auto", "cpu", "cuda")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
GPU_INSTALL_HINT = (
    "install the GPU build of onnxruntime: pip uninstall -y onnxruntime && "
    "pip install 'portraitize[gpu]' (needs an NVIDIA driver and CUDA 12 libraries)"
)


def first_line(error: BaseException) -> str:
    """A one-line reason from an exception (libraries often raise multi-line or empty messages)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ModelError(Exception):
    """A model file that cannot be used; the message is one line for the user."""


class DeviceError(Exception):
    """The requested device cannot be used; the message says how to fix it."""


def open_session(source: Path | bytes, providers: list[str] | None = None, threads: int = 0) -> ort.InferenceSession:
    """Load an ONNX file (or its bytes), turning onnxruntime's errors into one-line ModelErrors."""
    path = "model" if isinstance(source, bytes) else source
    if not isinstance(source, bytes) and not source.is_file():
        raise ModelError(f"{path}: model file not found")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3  # onnxruntime's warnings are for its developers, not ours
    try:
        model = source if isinstance(source, bytes) else str(source)
        return ort.InferenceSession(model, sess_options=options, providers=providers or [CPU])
    except Exception as error:  # onnxruntime raises several unrelated exception types for bad files
        raise ModelError(f"{path}: not a loadable ONNX model ({first_line(error)})") from None


def read_info(session: ort.InferenceSession, path: Path) -> ModelInfo:
    """The contract metadata of a loaded model."""
    try:
        return ModelInfo.from_metadata(session.get_modelmeta().custom_metadata_map)
    except ContractError as error:
        raise ModelError(f"{path}: {error}") from None


def choose_providers(device: str) -> list[str]:
    """Providers for a --device value; raises DeviceError when CUDA is asked for but not installed."""
    if device not in DEVICES:
        raise DeviceError(f"--device must be one of {', '.join(DEVICES)}, not {device!r}")
    available = ort.get_available_providers()
    if device == "cuda" and CUDA not in available:
        raise DeviceError(
            f"--device cuda: this onnxruntime ({ort.__version__}) has no CUDA provider "
            f"(it offers {', '.join(available)}); {GPU_INSTALL_HINT}"
        )
    if device != "cpu" and CUDA in available:
        return [CUDA, CPU]
    return [CPU]


class Engine:
    """A loaded model and the session that runs it on one device."""

    def __init__(self, path: Path, info: ModelInfo, session: ort.InferenceSession, requested_device: str):
        self.path = path
        self.info = info
        self.session = session
        self.provider = session.get_providers()[0]
        # onnxruntime falls back to CPU when CUDA libraries fail to load; never let that pass silently.
        if requested_device == "cuda" and self.provider != CUDA:
            raise DeviceError(
                f"--device cuda: onnxruntime could not start its CUDA provider and fell back to "
                f"{self.provider} (check the NVIDIA driver and CUDA 12 / cuDNN 9 libraries); {GPU_INSTALL_HINT}"
            )
        inputs = {node.name for node in session.get_inputs()}
        outputs = {node.name for node in session.get_outputs()}
        if info.input_name not in inputs or info.output_name not in outputs:
            raise ModelError(
                f"{path}: a {info.kind} must take {info.input_name!r} and give {info.output_name!r}, "
                f"this model takes {sorted(inputs)} and gives {sorted(outputs)}"
            )

    @property
    def device_name(self) -> str:
        return "CUDA" if self.provider == CUDA else "CPU"

    def run(self, batch: np.ndarray) -> np.ndarray:
        (output,) = self.session.run([self.info.output_name], {self.info.input_name: batch})
        return output


def load_engine(path: Path, device: str = "auto", threads: int = 0, kind: str | None = None) -> Engine:
    """Open `path` on `device`, check its contract and (if given) that it is a model of `kind`."""
    providers = choose_providers(device)
    session = open_session(path, providers, threads)
    info = read_info(session, path)
    if kind is not None and info.kind != kind:
        verb = "convert" if kind == "translator" else "sample"
        other = "sample" if info.kind == "sampler" else "convert"
        raise ModelError(
            f"{path}: {info.name!r} is a {info.kind}, but `{verb}` needs a {kind} (use it with `portraitize {other}`)"
        )
    return Engine(path, info, session, device)
