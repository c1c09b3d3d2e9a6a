"""Everything portraitize does on CUDA, checked in one run of a few minutes; the last thing printed is one table.

    bash bench/gpu_check.sh          # README "GPU check" says what to install first

Rows: the CUDA stack; the converter on onnxruntime's CUDA provider (100 generated photos, img/s against the
CPU in the same run; the translator's paintings without strokes, on its float export, equal to the CPU's within
rounding), the brush texture on CUDA against the CPU,
`--device cuda` and what a user sees when CUDA cannot start; 50 steps of every trainer recipe on CUDA (the loop's bf16 autocast); each family's ONNX
export, with its fp32 and fp16 files on the CUDA provider against the CPU; a 2-process torchrun when there
are 2 GPUs. A check that fails is a FAIL row with its reason, and the rest still run; exit 1 if any failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from portraitize.contract import VALUE_RANGES, images_to_tensor
from portraitize.session import first_line, load_model

REPO = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 290  # the whole check stays under 5 minutes: checks still waiting then are FAIL rows
PHOTOS, PHOTO_SIZE = 100, (512, 384)
STEPS = 50
ROUNDING_LEVELS = 1  # the translator's 8-bit paintings on CUDA may differ from the CPU's by rounding only
EQUAL_PHOTOS = 8  # of PHOTOS, painted again on both devices for that comparison
FP32_LEVELS, FP16_LEVELS = 1.0, 4.0  # exported models on CUDA vs CPU, in 8-bit levels of their output range

# Tiny settings of every recipe (the loop adds bf16 autocast on CUDA by itself); unet twice: its defaults and
# the options the shipped oil-portrait was trained with.
TRAIN_RUNS = {  # split into arguments before {images} and {painting} are filled in, so paths may hold spaces
    "style": "style --photos {images} --style-image {painting} --size 64 --width 8",
    "unet": "unet --photos {images} --paintings {images} --size 64",
    "unet (shipped options)": "unet --photos {images} --paintings {images} --size 64 --critic-scales 2 "
    "--critic-norm spectral --diffaugment color,translation --content nce --identity-weight 0 --chroma-weight 2 "
    "--photo-negative-weight 1 --texture-weight 1 --texture-source-size 72 --texture-crop 32",
    "cyclegan": "cyclegan --photos {images} --paintings {images} --size 64 --residual-blocks 2",
    "dcgan": "dcgan --images {images} --size 64 --diffaugment color,translation",
    "dcgan (projected critic)": "dcgan --images {images} --size 64 --critic features --loss hinge",
    "fastgan": "fastgan --images {images} --size 64 --width 64",
    "vae": "vae --images {images} --size 64",
    "upscale": "upscale --paintings {images} --factor 4 --size 48 --source-size 96",
}
EXPORTS = [
    "style",
    "unet",
    "cyclegan",
    "dcgan",
    "fastgan",
    "vae",
    "upscale",
]  # one per family: the runs above that export a model


class Failed(Exception):
    """A check that did not pass; the message is its table figure."""


class Skipped(Exception):
    """A check that cannot run on this machine; the message says why."""


class GpuCheck:
    def __init__(self, work: Path):
        self.work, self.start, self.rows = work, time.monotonic(), []

    def remaining(self) -> float:
        return BUDGET_SECONDS - (time.monotonic() - self.start)

    def check(self, name: str, function, *args) -> bool:
        """Run one check: its figure goes in the table as PASS, FAIL or SKIP; nothing it raises stops the run."""
        began = time.monotonic()
        try:
            if self.remaining() <= 0:
                raise Failed(f"not run: the {BUDGET_SECONDS} s budget was spent")
            result, figure = "PASS", function(*args)
        except Skipped as reason:
            result, figure = "SKIP", str(reason)
        except Exception as error:  # any failure is a row, never the end of the run
            result, figure = "FAIL", first_line(error)
        self.rows.append((name, result, figure))
        print(f"{result:4}  {name}  ({time.monotonic() - began:.0f} s)  {figure}", flush=True)
        return result == "PASS"

    def run(self, command: list[str], timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
        """A subprocess from the repository root; Failed with its last error line if it fails or overruns."""
        try:
            done = subprocess.run(
                command,
                cwd=REPO,
                capture_output=True,
                text=True,
                env={**os.environ, **(env or {})},
                timeout=max(1.0, min(timeout, self.remaining())),
            )
        except subprocess.TimeoutExpired:
            raise Failed(f"timed out: {' '.join(command[:5])} ...") from None
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr, flush=True)  # the whole story, above the table
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr or done.stdout)}")
        return done

    def table(self) -> str:
        widths = [max(len(row[column]) for row in [("check", "result", "figure"), *self.rows]) for column in (0, 1)]
        lines = [f"{'check':{widths[0]}}  {'result':{widths[1]}}  figure", "-" * (widths[0] + widths[1] + 40)]
        lines += [f"{name:{widths[0]}}  {result:{widths[1]}}  {figure}" for name, result, figure in self.rows]
        failed = sum(row[1] == "FAIL" for row in self.rows)
        lines.append(
            f"{len(self.rows) - failed} of {len(self.rows)} checks without failure, {time.monotonic() - self.start:.0f} s"
        )
        return "\n".join(lines)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# -- the checks, each returning its figure -----------------------------------------------------------------
def cuda_stack() -> str:
    import onnxruntime as ort
    import torch

    if not torch.cuda.is_available():
        raise Failed(f"torch {torch.__version__} sees no CUDA (install a CUDA build of torch)")
    name = torch.cuda.get_device_name(0)
    bf16 = "bf16" if torch.cuda.is_bf16_supported() else "NO bf16"
    return (
        f"{torch.cuda.device_count()} x {name}, torch {torch.__version__} (CUDA {torch.version.cuda}, {bf16}), "
        f"onnxruntime {ort.__version__}"
    )


def cuda_provider() -> str:
    import onnxruntime as ort

    providers = ort.get_available_providers()
    if "CUDAExecutionProvider" not in providers:
        raise Failed(f"onnxruntime {ort.__version__} offers {', '.join(providers)}: install onnxruntime-gpu")
    return ", ".join(providers)


def make_photos(folder: Path, count: int) -> None:
    """`count` different photos from the two example portraits: random crops, mirrored or not, both orientations."""
    rng = np.random.default_rng(0)
    sources = [Image.open(path).convert("RGB") for path in sorted((REPO / "examples").glob("*.jpg"))]
    folder.mkdir(parents=True)
    for index in range(count):
        source = sources[index % len(sources)]
        width, height = PHOTO_SIZE if index % 2 else PHOTO_SIZE[::-1]
        scale = min(source.width / width, source.height / height) * rng.uniform(0.6, 1.0)
        crop = (round(width * scale), round(height * scale))
        left, top = (int(rng.integers(0, extent - side + 1)) for extent, side in zip(source.size, crop))
        photo = source.crop((left, top, left + crop[0], top + crop[1])).resize(
            (width, height), Image.Resampling.LANCZOS
        )
        if rng.random() < 0.5:
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        photo.save(folder / f"photo{index:03d}.png")  # PNG: outputs are PNG too, so no codec hides a difference


def convert(
    gpu: GpuCheck, photos: Path, out: Path, device: str, env: dict | None = None, options: tuple[str, ...] = ()
) -> tuple[float, str]:
    start = time.perf_counter()
    done = gpu.run(
        [sys.executable, "-m", "portraitize", "convert", str(photos), str(out), "--device", device, *options],
        timeout=150,
        env=env,
    )
    return time.perf_counter() - start, done.stdout + done.stderr


def device_cuda(gpu: GpuCheck, photo: Path) -> str:
    _, said = convert(gpu, photo, gpu.work / "device-cuda", "cuda")
    if "on CUDA" not in said:
        raise Failed(f"ran, but not on CUDA: {last_line(said)}")
    return "exit 0, 'on CUDA'"


def cuda_missing(gpu: GpuCheck, photo: Path) -> str:
    """With the GPU hidden, --device cuda must refuse with the fix and --device auto must say it uses the CPU."""
    hidden = {"CUDA_VISIBLE_DEVICES": ""}
    try:
        convert(gpu, photo, gpu.work / "hidden-cuda", "cuda", env=hidden)
    except Failed as refusal:
        if not str(refusal).startswith("exit 2:") or "--device cuda" not in str(refusal):
            raise Failed(f"--device cuda without a GPU: {refusal} (wanted exit 2 and the fix)") from None
        message = str(refusal).removeprefix("exit 2: ")
    else:
        raise Failed("--device cuda without a visible GPU ran anyway (a silent fall-back)")
    _, said = convert(gpu, photo, gpu.work / "hidden-auto", "auto", env=hidden)
    if "on CPU" not in said:
        raise Failed(f"--device auto without a GPU did not say it uses the CPU: {last_line(said)}")
    return f"cuda: exit 2 '{message[:70]}...'; auto: 'on CPU'"


def converter_speed(gpu: GpuCheck, photos: Path) -> str:
    cpu_seconds, _ = convert(gpu, photos, gpu.work / "out-cpu", "cpu")
    cuda_seconds, _ = convert(gpu, photos, gpu.work / "out-cuda", "cuda")
    cpu, cuda = PHOTOS / cpu_seconds, PHOTOS / cuda_seconds
    return f"CUDA {cuda:.1f} img/s, CPU {cpu:.1f} img/s ({cuda / cpu:.1f}x; whole processes, start-up included)"


def converter_equal(gpu: GpuCheck, photos: Path) -> str:
    """The translator's paintings on CUDA against the CPU's, through the chain without strokes or upscaler and on the
    float export: the stroke painter turns a level's difference into a stroke stacked in another order, and the int8
    files' CPU kernels (the shipped translator's, the upscaler's) round otherwise than CUDA's (their own rounding is
    the int8 comparisons' business)."""
    float_model = REPO / "exported" / "float" / "oil-portrait.onnx"
    model = str(float_model if float_model.exists() else "oil-portrait")
    options = ("--painter", "none", "--upscaler", "none", "--model", model)  # without strokes, the upscaler is on
    some = gpu.work / "equal-photos"
    some.mkdir(exist_ok=True)
    for path in sorted(photos.iterdir())[:EQUAL_PHOTOS]:
        (some / path.name).write_bytes(path.read_bytes())
    outputs = {device: gpu.work / f"equal-{device}" for device in ("cpu", "cuda")}
    for device, out in outputs.items():
        convert(gpu, some, out, device, options=options)
    worst, off, values, compared = 0, 0, 0, 0
    for cpu_path in sorted(outputs["cpu"].glob("[!.]*")):  # the paintings, not the run's record beside them
        cuda_path = outputs["cuda"] / cpu_path.name
        if not cuda_path.exists():
            raise Failed(f"{cpu_path.name}: no CUDA output")
        difference = np.abs(np.asarray(Image.open(cpu_path), np.int16) - np.asarray(Image.open(cuda_path), np.int16))
        worst, off, values = (
            max(worst, int(difference.max())),
            off + int((difference > 0).sum()),
            values + difference.size,
        )
        compared += 1
    if compared != EQUAL_PHOTOS:
        raise Failed(f"{compared} CPU outputs, not {EQUAL_PHOTOS}")
    figure = f"{compared} outputs: largest difference {worst} levels, {100 * off / values:.3f}% of values differ"
    if worst > ROUNDING_LEVELS:
        raise Failed(figure)
    return figure


def texture_equal(gpu: GpuCheck) -> str:
    """The bundled brush texture (int64 tile origins, gathers) on CUDA against the CPU, on a photo of several tiles."""
    from portraitize.catalogue import resolve_optional
    from portraitize.texture import apply_texture

    path = resolve_optional(None, "texture")
    if path is None:
        raise Failed("no brush texture installed (impasto)")
    rgb = np.asarray(Image.open(REPO / "examples" / "astronaut.jpg").convert("RGB").resize((1500, 1100)))
    cpu = apply_texture(rgb, load_model(path, "cpu", kind="texture")).astype(np.int16)
    cuda = apply_texture(rgb, load_model(path, "cuda", kind="texture")).astype(np.int16)
    worst = int(np.abs(cuda - cpu).max())
    figure = f"1500 x 1100 in 512 px tiles: largest difference {worst} levels"
    if worst > ROUNDING_LEVELS:
        raise Failed(figure)
    return figure


def make_training_images(folder: Path) -> Path:
    """32 varied pictures for every recipe's image folders, and one 'painting' for the style recipe."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    y, x = np.mgrid[0:80, 0:96] / 80.0
    for index in range(32):
        phase = rng.uniform(0, 6, 3)
        picture = 0.5 + 0.4 * np.sin(np.stack([x * 7 + phase[0], y * 5 + phase[1], (x + y) * 3 + phase[2]], axis=2))
        noise = rng.uniform(-0.1, 0.1, picture.shape)
        Image.fromarray(((picture + noise).clip(0, 1) * 255).astype(np.uint8)).save(folder / f"image{index:02d}.png")
    painting = folder.parent / "painting.png"
    Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(painting)
    return painting


def train(gpu: GpuCheck, name: str, images: Path, painting: Path) -> str:
    arguments = [part.format(images=images, painting=painting) for part in TRAIN_RUNS[name].split()]
    out = gpu.work / "runs" / re.sub(r"\W+", "-", name).strip("-")  # "unet (shipped options)" -> unet-shipped-options
    loop = f"--device cuda --steps {STEPS} --batch-size 8 --sample-every 25 --log-every 10 --out".split()
    gpu.run([sys.executable, "-m", "trainer", "train", *arguments, *loop, str(out)], timeout=120)
    last = json.loads((out / "log.jsonl").read_text().splitlines()[-1])
    losses = [f"{key} {value:.3g}" for key, value in last.items() if key not in {"step", "images", "seconds"}]
    return f"{last['step']} steps, {last['step'] / last['seconds']:.1f} steps/s; {', '.join(losses[:3])}"


def export_parity(gpu: GpuCheck, name: str) -> str:
    """The trainer's export (its own parity check: onnxruntime CPU vs torch), then both files on CUDA vs CPU."""
    model = gpu.work / "exported" / f"{name}.onnx"
    run = gpu.work / "runs" / name
    if not (run / "checkpoint.pt").exists():
        raise Failed(f"no checkpoint: training {name} failed")
    # a wide console: the trainer's log line with the parity figure must not be wrapped
    done = gpu.run(
        [sys.executable, "-m", "trainer", "export", str(run), str(model), "--fp16"], 150, {"COLUMNS": "1000"}
    )
    said = re.search(r"max \|onnxruntime - torch\| = (\S+)", done.stdout + done.stderr)
    torch_parity = said.group(1) if said else "?"
    reference = load_model(model, "cpu")
    info, rng = reference.info, np.random.default_rng(0)
    if info.kind == "sampler":
        inputs = rng.standard_normal((4, info.latent_size)).astype(np.float32)
    else:
        inputs = images_to_tensor(
            [rng.integers(0, 256, (info.native_size, info.native_size, 3), dtype=np.uint8)] * 2, info
        )
    expected = reference.run(inputs)
    low, high = VALUE_RANGES[info.value_range]
    levels = {}
    for path in (model, model.with_name(f"{name}-fp16.onnx")):
        actual = load_model(path, "cuda").run(inputs)
        levels[path] = float(np.abs(actual.astype(np.float32) - expected).max()) * 255 / (high - low)
    fp32, fp16 = levels.values()
    figure = f"torch vs CPU {torch_parity}; CUDA vs CPU: fp32 {fp32:.2f}, fp16 {fp16:.2f} levels"
    if fp32 > FP32_LEVELS or fp16 > FP16_LEVELS:
        raise Failed(figure)
    return figure


def torchrun(gpu: GpuCheck, images: Path) -> str:
    import torch

    if torch.cuda.device_count() < 2:
        raise Skipped(f"{torch.cuda.device_count()} GPU: NCCL needs a GPU per process (the loop puts rank N on cuda:N)")
    out = gpu.work / "runs" / "torchrun"
    command = "-m torch.distributed.run --nproc_per_node 2 -m trainer train dcgan --size 64 --steps 20 --batch-size 8"
    gpu.run([sys.executable, *command.split(), "--images", str(images), "--out", str(out)], timeout=150)
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)
    if state["counters"]["images_seen"] != 20 * 8 * 2:
        raise Failed(f"images seen {state['counters']['images_seen']}, not {20 * 8 * 2}")
    return f"20 steps, {state['hardware']}, {20 / state['counters']['wall_seconds']:.1f} steps/s"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as temp:
        gpu = GpuCheck(Path(temp))
        gpu.check("CUDA stack (torch, onnxruntime)", cuda_stack)
        gpu.check("onnxruntime CUDA provider", cuda_provider)
        photos = gpu.work / "photos"
        make_photos(photos, PHOTOS)
        one_photo = photos / "photo000.png"
        gpu.check("convert --device cuda", device_cuda, gpu, one_photo)
        gpu.check("convert, GPU hidden: cuda refuses, auto says CPU", cuda_missing, gpu, one_photo)
        gpu.check(f"convert {PHOTOS} photos {PHOTO_SIZE[0]} px: CUDA vs CPU", converter_speed, gpu, photos)
        gpu.check("convert --painter none, float translator: CUDA = CPU", converter_equal, gpu, photos)
        gpu.check("brush texture: CUDA = CPU", texture_equal, gpu)
        images = gpu.work / "images"
        painting = make_training_images(images)
        for name in TRAIN_RUNS:
            gpu.check(f"train {name}, {STEPS} steps, cuda bf16", train, gpu, name, images, painting)
        for name in EXPORTS:
            gpu.check(f"export {name}: parity", export_parity, gpu, name)
        gpu.check("torchrun, 2 processes", torchrun, gpu, images)
        print("\n" + gpu.table())
        return 1 if any(result == "FAIL" for _, result, _ in gpu.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
