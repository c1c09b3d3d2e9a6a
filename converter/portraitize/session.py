"""One onnxruntime session per run, on the device the user asked for, never silently on another."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .choices import DEVICES
from .contract import TEXTURE_ORIGIN, VALUE_RANGES, ContractError, ModelInfo, round_up
from .text import first_line

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROBE_LIMIT = 1024  # a translator that fails on every square input up to this side is broken
PROBE_SIDE = 24  # then an oblong probe at least this high shows that the output keeps the input's size
GPU_INSTALL_HINT = (
    "install the GPU build of onnxruntime in place of the CPU one: pip uninstall -y onnxruntime && "
    "pip install --force-reinstall --no-deps onnxruntime-gpu (needs an NVIDIA driver and CUDA 12 libraries)"
)


class ModelError(Exception):
    """A model file that cannot be used; the message is one line for the user."""


def no_model_file(path: Path) -> ModelError:
    """The error for a model path that is no file: a folder given by mistake, or nothing there."""
    return ModelError(f"{path}: {'a folder, not an .onnx file' if path.is_dir() else 'model file not found'}")


class DeviceError(Exception):
    """The requested device cannot be used; the message says how to fix it."""


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. a container's share), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def open_session(source: Path | bytes, providers: list[str] | None = None, threads: int = 0) -> ort.InferenceSession:
    """Load an ONNX file (or its bytes), turning onnxruntime's errors into one-line ModelErrors. `threads` is
    capped at the usable CPUs: onnxruntime starts every thread asked for, and threads beyond the cores only wait
    on each other (1024 of them did not paint one 512 px photo in 280 s on two cores).

    The session's threads sleep between calls instead of spinning for the next one (onnxruntime's default is to
    spin): every session here takes turns with other work, and spinning threads take the cores from it. On two
    cores, spinning made `sample`'s sampler 1.4x and its face mesh 1.8x slower, and `convert` of 20 photos at
    512 px 1.1x (the stroke painter's Python waited on them) and 1.16x with `--painter none`."""
    path = "model" if isinstance(source, bytes) else source
    if not isinstance(source, bytes) and not source.is_file():
        raise no_model_file(source)
    options = ort.SessionOptions()
    options.intra_op_num_threads = min(threads, usable_cpus())
    # Only fatal messages: onnxruntime's warnings are for its developers, and its error lines would repeat,
    # over several lines, what we report in one.
    options.log_severity_level = 4
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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


# Pixels a model call paints at most on the CPU (translate.paint_photos): four 256 px photos share a call,
# larger paintings go one by one; the workspace grows with a call's pixels, the speed on CPU does not. A
# translator call above it gives its memory back when it ends: onnxruntime keeps a run's memory for the next
# (an arena), a translator paints each photo at its own size, up to 0.8 MP, and the arena kept for every size
# grew to 1.8 GB over four 12 MP photos (0.9 GB given back after each; 256 px photos keep the arena's speed).
CPU_CALL_PIXELS = 512 * 512
# The most pixels one translator call may paint, whatever the options (--max-size, --full-res): the pixels of the
# largest face-scaled painting at the default --max-size (4:3, 1024 x 768), which the README's memory figures
# cover; a larger painting is to be painted in tiles of at most this many pixels. Issue 31 (case 6) found one
# 12.6 MP call (--max-size 1024, a small face) ending in std::bad_alloc. Enforced by the translate stage.
MAX_CALL_PIXELS = 1024 * 768


class ModelSession:
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
        wanted = [info.input_name, TEXTURE_ORIGIN] if info.kind == "texture" else [info.input_name]
        if not set(wanted) <= inputs or not set(info.output_names) <= outputs:
            raise ModelError(
                f"{path}: a {info.kind} must take {' and '.join(map(repr, wanted))} and give "
                f"{' and '.join(map(repr, info.output_names))}, this model takes {sorted(inputs)} and gives "
                f"{sorted(outputs)}"
            )
        # Smallest square side the model runs on: thinner inputs are padded to it (reflection pads in a
        # network need a few pixels per axis). Probing also proves, before any photo, that the model keeps
        # the contract's shapes and gives numbers.
        self.min_side = 1  # image models: the smallest square side the model runs on, found by the probe
        if info.kind in ("translator", "upscaler", "texture"):
            self.min_side = self._probe_image_model()
        elif info.kind == "sampler":
            self._probe_sampler()
        elif info.kind in ("person_mask", "face_landmarks"):
            self._probe_fixed_size()
        else:
            raise ModelError(f"{path}: a {info.kind} is not run as a painting model")

    @property
    def device_name(self) -> str:
        return "CUDA" if self.provider == CUDA else "CPU"

    def run(self, batch: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The model's output for `batch`; `extra`: its other inputs (a texture model's tile origin)."""
        return self._infer(batch, extra)

    def run_outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output the contract names for the model's kind (`ModelInfo.output_names`), for `batch`."""
        return self.session.run(self.info.output_names, {self.info.input_name: batch})

    def _infer(self, batch: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> np.ndarray:
        options = None
        if self.info.kind == "translator" and self.provider != CUDA and batch[:, 0].size > CPU_CALL_PIXELS:
            options = ort.RunOptions()
            options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        (output,) = self.session.run(
            [self.info.output_name], {self.info.input_name: batch, **(extra or {})}, run_options=options
        )
        return output

    def _probe_image_model(self) -> int:
        """The smallest square side an image model runs on; its output must be its input's size (translators,
        textures) or `factor` times it (upscalers)."""
        low, high = VALUE_RANGES[self.info.value_range]
        side = self.info.size_multiple
        probe_extra = {TEXTURE_ORIGIN: np.zeros(2, np.int64)} if self.info.kind == "texture" else None
        while True:
            image = np.random.default_rng(0).uniform(low, high, (1, 3, side, side)).astype(np.float32)
            try:
                output = self._infer(image, probe_extra)
                break
            except Exception as error:  # onnxruntime raises several unrelated types
                if side * 2 > PROBE_LIMIT:
                    reason = first_line(error)
                    raise ModelError(f"{self.path}: fails on every input up to {side}x{side} ({reason})") from None
                side *= 2
        factor = self.info.factor if self.info.kind == "upscaler" else 1
        expected = "a [N, 3, H, W] image of its input's size" if factor == 1 else f"[N, 3, {factor}H, {factor}W]"
        self._check_output(output, (1, 3, side * factor, side * factor), expected)
        # A small square hides a scale (a model that halves its input gives 1x1 for 1x1) or swapped axes: probe
        # once more on an oblong image of a few tiles of the size multiple.
        height = max(side, round_up(PROBE_SIDE, self.info.size_multiple))
        width = height + self.info.size_multiple
        image = np.random.default_rng(1).uniform(low, high, (1, 3, height, width)).astype(np.float32)
        try:
            output = self._infer(image, probe_extra)
        except Exception as error:
            raise ModelError(f"{self.path}: fails on a {width}x{height} input ({first_line(error)})") from None
        self._check_output(output, (1, 3, height * factor, width * factor), expected)
        return side

    def _probe_sampler(self) -> None:
        latent = np.zeros((1, self.info.latent_size), np.float32)
        try:
            output = self._infer(latent)
        except Exception as error:
            raise ModelError(
                f"{self.path}: does not run on a latent of {self.info.latent_size} values, the size its metadata "
                f"gives ({first_line(error)})"
            ) from None
        size = self.info.native_size
        self._check_output(output, (1, 3, size, size), f"[N, 3, {size}, {size}] images (its native_size)")

    def _probe_fixed_size(self) -> None:
        """A mask or landmark model runs on native_size x native_size images only: one of them, two of them."""
        size = self.info.native_size
        for count in (1, 2):
            image = np.full((count, 3, size, size), 0.5, np.float32)
            try:
                outputs = self.run_outputs(image)
            except Exception as error:  # onnxruntime raises several unrelated types
                raise ModelError(
                    f"{self.path}: does not run on a batch of {count} {size}x{size} images, the size its metadata "
                    f"gives ({first_line(error)})"
                ) from None
            if self.info.kind == "person_mask":
                self._check_output(outputs[0], (count, 1, size, size), f"[N, 1, {size}, {size}] masks")
            else:
                landmarks, presence = outputs
                if landmarks.ndim != 3 or landmarks.shape[0] != count or landmarks.shape[2] not in (2, 3):
                    raise ModelError(
                        f"{self.path}: gives landmarks of shape {list(landmarks.shape)} where a face_landmarks model "
                        "must give [N, points, 2 or 3]"
                    )
                self._check_output(presence, (count,), "[N] presence scores")
                self._check_output(landmarks, landmarks.shape, "")

    def _check_output(self, output: np.ndarray, shape: tuple[int, ...], expected: str) -> None:
        if output.shape != shape:
            raise ModelError(
                f"{self.path}: gives an output of shape {list(output.shape)} where a {self.info.kind} must give "
                f"{expected}"
            )
        if not np.isfinite(output).all():
            raise ModelError(f"{self.path}: gives NaN or infinite values")


# Per kind: who needs it, and what to use a model of that kind with (the words of a wrong-kind error).
ROLES = {
    "translator": ("`convert`", "portraitize convert"),
    "sampler": ("`sample`", "portraitize sample"),
    "upscaler": ("--upscaler", "--upscaler"),
    "face_detector": ("the face finder", "nothing: convert uses it by itself"),
    "texture": ("--texture", "--texture"),
    "person_mask": ("the person mask", "nothing: the paint chain uses it by itself"),
    "face_landmarks": ("the face landmarks", "nothing: the paint chain uses it by itself"),
}


def check_kind(path: Path, info: ModelInfo, kind: str) -> None:
    if info.kind != kind:
        raise ModelError(
            f"{path}: {info.name!r} is {_article(info.kind)} {info.kind}, but {ROLES[kind][0]} needs "
            f"{_article(kind)} {kind} "
            f"(use it with {ROLES[info.kind][1]})"
        )


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def load_model(path: Path | bytes, device: str = "auto", threads: int = 0, kind: str | None = None) -> ModelSession:
    """Open a model file (or its bytes) on `device`, check its contract and (if given) that it is of `kind`."""
    name = path if isinstance(path, Path) else Path("model")
    session = open_session(path, choose_providers(device), threads)
    info = read_info(session, name)
    if kind is not None:
        check_kind(name, info, kind)
    return ModelSession(name, info, session, device)
