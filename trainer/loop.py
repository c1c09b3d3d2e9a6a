"""The one training loop every recipe runs in.

Device choice (CUDA when present) and bf16 autocast on CUDA; a single process, or DDP when started by
torchrun; seeded batches and RNG states so that `--resume` continues exactly; a sample grid and a JSONL loss
log every few steps (and TensorBoard events, when installed); atomic checkpoints; a clean stop on NaN losses,
on the time budget and on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import math
import os
import platform
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from .checkpoint import CHECKPOINT_NAME, load_checkpoint, restore_rng, rng_state, save_checkpoint, training_summary
from .data import BatchStream, DataRole, FaceBox, ImageFolder, find_images, read_face_boxes
from .options import option
from .preview import save_grid
from .recipes import build_recipe
from .tensorboard_log import TensorBoardLog

console = Console(stderr=True)


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


@dataclasses.dataclass
class LoopConfig:
    """The loop's settings, shared by every recipe; `train RECIPE` shows them under "Training loop"."""

    out: str = option("runs/latest", help="Run folder: checkpoint.pt, log.jsonl, samples/.")
    steps: int = option(2000, min=1, help="Optimisation steps in total (a resumed run counts from its checkpoint).")
    batch_size: int = option(8, min=1, help="Images per step (per GPU under torchrun).")
    seed: int = option(0, help="Seeds the data order, augmentation and initialisation.")
    sample_every: int = option(200, min=1, help="Write a sample grid every N steps.")
    checkpoint_every: int = option(500, min=1, help="Write the checkpoint every N steps (and always at the end).")
    keep_every: int = option(
        0,
        min=0,
        help="Also keep a copy of the checkpoint every N steps as snapshots/stepNNNNNNN.pt (0: none), "
        "so a GAN's best step is not overwritten by a later, worse one.",
    )
    log_every: int = option(10, min=1, help="Append losses to log.jsonl every N steps.")
    time_budget_minutes: float | None = option(
        None, flag="--time-budget", min=0, help="Minutes; stop cleanly (checkpoint, export) when spent."
    )
    device: str = option("auto", help="auto (CUDA if present), cpu, cuda or cuda:N.")
    preview_count: int = option(8, min=1, help="Images in each sample grid.")
    face_boxes: tuple[str, ...] = option(
        (), flag="--faces", help="CSV of face boxes (path,x1,y1,x2,y2) for face-aware crops; repeatable."
    )
    face_framing: float = option(2.0, help="Crop side as a multiple of the face size, with --faces.")
    data_licence: str = option("", help="Terms of the training data; written into the exported model.")
    export_to: str | None = option(None, help="Export the final generator to this .onnx file.")
    init_from: str | None = option(
        None,
        help="Fine-tune: start the networks from this checkpoint's weights (recipe options may differ), or the "
        "exported network from a model this trainer exported (.onnx); optimisers and step start afresh.",
    )


@dataclasses.dataclass
class RunCounters:
    """Counters that survive resumes, for the model card."""

    step: int = 0
    images_seen: int = 0
    wall_seconds: float = 0.0


def pick_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested not in ("cpu", "cuda") and not re.fullmatch(r"cuda:\d+", requested):
        raise ValueError(f"--device {requested}: not a device (auto, cpu, cuda or cuda:N)")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {requested}: this torch has no CUDA (install a CUDA build of torch)")
    try:
        return torch.device(requested)
    except RuntimeError:
        raise ValueError(f"--device {requested}: not a device (auto, cpu, cuda or cuda:N)") from None


def hardware_name(device: torch.device, processes: int = 1) -> str:
    """What a model card says the run trained on, e.g. 'x86_64 CPU (2 threads)' or '4 x NVIDIA H100'."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        threads = torch.get_num_threads()
        name = f"{platform.processor() or platform.machine()} CPU ({threads} thread{'s' if threads > 1 else ''})"
    return name if processes == 1 else f"{processes} x {name}"


class Trainer:
    def __init__(self, recipe_name: str, recipe_config: Any, loop: LoopConfig, resume: bool = False):
        self.rank, self.world_size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        if loop.keep_every < 0:
            raise ValueError(f"--keep-every must be 0 (no snapshots) or a number of steps, not {loop.keep_every}")
        self.loop = loop
        self.out = Path(loop.out)
        self.checkpoint_path = self.out / CHECKPOINT_NAME
        self.device = self._setup_device()
        torch.manual_seed(loop.seed + self.rank)
        np.random.seed(loop.seed + self.rank)
        self.recipe_name, self.recipe = recipe_name, build_recipe(recipe_name, recipe_config, self.device)
        self.recipe.total_steps = loop.steps
        self.counters = RunCounters()
        self.started_from = ""  # training_summary of the --init-from checkpoint
        if resume:
            self._resume()
        elif self.checkpoint_path.exists():
            raise FileExistsError(
                f"{self.checkpoint_path} exists: pass --resume to continue that run, or choose another --out"
            )
        elif loop.init_from:
            self._init_from(Path(loop.init_from))
        self.streams, self.fixed = self._load_data()
        self.out.mkdir(parents=True, exist_ok=True)  # last: a run refused (its device, its data) leaves no folder
        self.tensorboard = TensorBoardLog(self.out / "tensorboard", first_step=self.counters.step + 1)
        if self.world_size > 1:
            self.recipe.nets = {
                name: torch.nn.parallel.DistributedDataParallel(
                    net, device_ids=[self.device] if self.device.type == "cuda" else None
                )
                for name, net in self.recipe.nets.items()
            }

    def _leave_process_group(self) -> None:
        # DDP reducers hold the group; dropping them first keeps gloo's threads from being torn down at
        # interpreter exit, which aborted a rank now and then ("terminate called without an active exception").
        self.recipe.nets = {name: self.recipe.unwrapped(name) for name in self.recipe.nets}
        gc.collect()
        dist.barrier()  # every rank finished its last step before the group goes away
        dist.destroy_process_group()

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def _setup_device(self) -> torch.device:
        if self.world_size > 1:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
            if torch.cuda.is_available():
                local = int(os.environ.get("LOCAL_RANK", 0))
                torch.cuda.set_device(local)
                return torch.device("cuda", local)
        return pick_device(self.loop.device)

    def _resume(self) -> None:
        state = load_checkpoint(self.checkpoint_path)
        self.recipe.load_state_dict(state["recipe_state"])
        by_rank = state.get("rng_by_rank", [])
        restore_rng(by_rank[self.rank] if len(by_rank) == self.world_size else state["rng"])
        self.counters = RunCounters(**state["counters"])
        self.started_from = state.get("started_from", "")
        self._trim_log(self.counters.step)
        if self.is_main:
            console.print(f"resuming {self.checkpoint_path} at step {self.counters.step}")

    def _init_from(self, path: Path) -> None:
        if path.suffix == ".onnx":
            return self._init_from_exported(path)
        state = load_checkpoint(path)
        if state["recipe"] != self.recipe_name:
            raise ValueError(f"--init-from {path}: a {state['recipe']} checkpoint, not {self.recipe_name}")
        # A network whose shape the new options changed (e.g. another --critic) starts fresh; the rest carry over.
        loaded, fresh = [], []
        for name in self.recipe.nets:
            try:
                self.recipe.unwrapped(name).load_state_dict(state["recipe_state"]["nets"][name])
                loaded.append(name)
            except (KeyError, RuntimeError):
                fresh.append(name)
        if not loaded:
            raise ValueError(f"--init-from {path}: none of its networks fit these options")
        self.recipe.init_extra_from(state["recipe_state"].get("extra", {}))
        self.started_from = training_summary(state)
        if self.is_main:
            console.print(
                f"{', '.join(loaded)} start from {path} (step {state['counters']['step']})"
                + (f"; {', '.join(fresh)} start fresh (other shape)" if fresh else "")
            )

    def _init_from_exported(self, path: Path) -> None:
        """--init-from a model this trainer exported (its run's checkpoints gone): the weights of the network it
        was exported from, read back and checked against the file (onnx_weights.py); the other networks (critics,
        a second generator) start fresh."""
        from .onnx_weights import load_exported

        name, spec = next(iter(self.recipe.export_specs().items()))
        info, weights = load_exported(path, spec, self.recipe_name)
        try:
            self.recipe.unwrapped(name).load_state_dict(weights)
        except (KeyError, RuntimeError):
            raise ValueError(f"--init-from {path}: its network does not fit this recipe's {name}") from None
        self.recipe.init_extra_from({})
        self.started_from = f"{info.training_summary} (read back from {path.name})"
        if self.is_main:
            fresh = [other for other in self.recipe.nets if other != name]
            console.print(f"{name} starts from {path}" + (f"; {', '.join(fresh)} start fresh" if fresh else ""))

    def _load_data(self) -> tuple[dict[str, BatchStream], dict[str, torch.Tensor]]:
        roles = {
            role: spec if isinstance(spec, DataRole) else DataRole(spec)
            for role, spec in self.recipe.data_roles().items()
        }
        faces = self._face_boxes([spec.folder for spec in roles.values() if spec.face_framed])
        streams, fixed = {}, {}
        self.data_summary = {}
        for role, spec in roles.items():
            folder = spec.folder
            role_faces = faces if spec.face_framed else {}
            images = ImageFolder(Path(folder), spec.size or self.recipe.config.size, role_faces, self.loop.face_framing)
            if self.is_main:
                framing = f", {images.face_cropped} face-framed" if role_faces else ""
                console.print(f"{role}: {len(images)} images from {folder}{framing}")
            self.data_summary[role] = {"folder": str(folder), "images": len(images)}
            streams[role] = BatchStream(images, self.loop.batch_size, self.loop.seed, self.rank, self.world_size)
            fixed[role] = images.fixed(self.loop.preview_count).to(self.device)
        return streams, fixed

    def _face_boxes(self, framed: list[str]) -> dict[Path, FaceBox]:
        """The --faces boxes, refused before any image is decoded where they could frame nothing: crops framing no
        face, for hours, where face crops were asked for (`framed`: the folders cropped by faces)."""
        faces = {}
        for csv_path in self.loop.face_boxes:
            faces.update(read_face_boxes(Path(csv_path)))
        if faces and not framed:
            raise ValueError(f"--faces: the {self.recipe_name} recipe crops none of its folders by faces")
        if faces and not any(path.resolve() in faces for folder in framed for path in find_images(Path(folder))):
            raise ValueError(
                f"--faces {', '.join(self.loop.face_boxes)}: no box names an image of {', '.join(map(str, framed))} (a box's "
                "path is relative to its CSV's folder)"
            )
        return faces

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> Path:
        """Train until `steps`, the time budget or Ctrl-C (which stops after the current step); then save."""
        loop, start = self.loop, time.monotonic()
        budget = loop.time_budget_minutes * 60 if loop.time_budget_minutes else math.inf
        already = self.counters.wall_seconds
        self._last_logged = (self.counters.images_seen, already)
        stop_reason = "done"
        with self._progress() as progress, _StopRequest() as stop:
            task = progress.add_task("training", total=loop.steps, completed=self.counters.step, losses="")
            while self.counters.step < loop.steps:
                step = self.counters.step
                batches = {role: stream.batch(step).to(self.device) for role, stream in self.streams.items()}
                with self._autocast():
                    losses = self.recipe.train_step(batches, step)
                # Every rank stops on the same step, or the others would wait forever in the next all-reduce.
                diverged, interrupted, over_budget = self._agree(
                    [not all(map(math.isfinite, losses.values())), stop.requested, time.monotonic() - start > budget]
                )
                if diverged:
                    self._diverged(losses, step)  # raises before anything diverged is saved
                self.counters.step += 1
                self.counters.images_seen += loop.batch_size * self.world_size
                self.counters.wall_seconds = already + time.monotonic() - start
                self._after_step(losses, progress, task)
                if interrupted:
                    stop_reason = "interrupted"
                    break
                if over_budget:
                    stop_reason = f"time budget of {loop.time_budget_minutes:g} min reached"
                    break
        self.save()
        if self.world_size > 1:
            self._leave_process_group()
        if self.is_main:
            console.print(f"{stop_reason} at step {self.counters.step}: checkpoint {self.checkpoint_path}")
            self.write_grid()
            self.tensorboard.close()
            if loop.export_to:
                from .export import export_checkpoint

                export_checkpoint(self.checkpoint_path, Path(loop.export_to))
        if stop_reason == "interrupted":
            raise KeyboardInterrupt
        return self.checkpoint_path

    def _after_step(self, losses: dict[str, float], progress, task) -> None:
        step = self.counters.step
        shown = "  ".join(f"{name} {value:.3g}" for name, value in losses.items())
        progress.update(task, advance=1, losses=shown)
        if self.is_main:
            self._log(step, losses, shown)
        # Every rank takes part in saving: each gives its RNG state to the checkpoint.
        if step % self.loop.checkpoint_every == 0:
            self.save()
        if self.loop.keep_every and step % self.loop.keep_every == 0:
            self.save(self.out / "snapshots" / f"step{step:07d}.pt")

    def _log(self, step: int, losses: dict[str, float], shown: str) -> None:
        if step % self.loop.log_every == 0 or step == 1:
            record = {
                "step": step,
                "images": self.counters.images_seen,
                "seconds": round(self.counters.wall_seconds, 2),
            }
            with open(self.out / "log.jsonl", "a") as log:
                log.write(json.dumps({**record, **{name: round(value, 6) for name, value in losses.items()}}) + "\n")
            self.tensorboard.scalars(step, losses)
            if not console.is_terminal:  # a background run's log file gets a line instead of a live bar
                # The speed since the last line, not the run's average, which a resumed run's past would skew.
                images, seconds = self._last_logged
                rate = (self.counters.images_seen - images) / max(self.counters.wall_seconds - seconds, 1e-9)
                console.print(f"step {step}/{self.loop.steps}  {rate:.1f} img/s  {shown}", highlight=False)
                self._last_logged = (self.counters.images_seen, self.counters.wall_seconds)
        if step % self.loop.sample_every == 0:
            self.write_grid()

    def _agree(self, flags: list[bool]) -> list[bool]:
        """Each flag true on every rank if it is true on any (one all-reduce per step)."""
        if self.world_size == 1:
            return flags
        votes = torch.tensor([float(flag) for flag in flags], device=self.device)
        dist.all_reduce(votes, op=dist.ReduceOp.MAX)
        return [bool(vote) for vote in votes.tolist()]

    def _diverged(self, losses: dict[str, float], step: int) -> None:
        bad = [name for name, value in losses.items() if not math.isfinite(value)]
        what = f"{', '.join(bad)} became {losses[bad[0]]}" if bad else "a loss became NaN or infinite on another rank"
        kept = (
            f"the last good checkpoint {self.checkpoint_path} is kept"
            if self.checkpoint_path.exists()
            else "no checkpoint was written yet"
        )
        raise TrainingDiverged(f"step {step + 1}: {what}; {kept} (try a lower learning rate, then --resume)")

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _ImagesPerSecond(self.loop.batch_size * self.world_size),
            TimeRemainingColumn(),
            TextColumn("{task.fields[losses]}"),
            console=console,
            disable=not (self.is_main and console.is_terminal),  # a log file gets plain lines instead (_after_step)
        )

    # -- outputs -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe_name,
            "recipe_config": dataclasses.asdict(self.recipe.config),
            "loop_config": dataclasses.asdict(self.loop),
            "recipe_state": self.recipe.state_dict(),
            "rng": rng_state(),
            "rng_by_rank": self._rng_by_rank(),
            "counters": dataclasses.asdict(self.counters),
            "data": self.data_summary,
            "hardware": hardware_name(self.device, self.world_size),
            "torch": torch.__version__,
            "started_from": self.started_from,
        }

    def _rng_by_rank(self) -> list[dict[str, Any]]:
        """Every rank's RNG state (rank 0's alone in one process), so a resumed rank continues its own."""
        if self.world_size == 1:
            return [rng_state()]
        states: list[Any] = [None] * self.world_size
        dist.all_gather_object(states, rng_state())
        return states

    def save(self, path: Path | None = None) -> None:
        """Called on every rank (each gives its RNG state); rank 0 writes."""
        state = self.state()
        if self.is_main:
            save_checkpoint(path or self.checkpoint_path, state)

    def write_grid(self) -> None:
        with torch.no_grad():
            images = self.recipe.preview(self.fixed)
        path = self.out / "samples" / f"step{self.counters.step:07d}.png"
        save_grid(images, path, self.loop.preview_count)
        self.tensorboard.image(self.counters.step, path)

    def _trim_log(self, step: int) -> None:
        """Drop log lines of steps after the checkpoint: the resumed run writes them again."""
        log_path = self.out / "log.jsonl"
        if log_path.exists() and self.is_main:
            kept = [line for line in log_path.read_text().splitlines() if json.loads(line)["step"] <= step]
            log_path.write_text("".join(line + "\n" for line in kept))


class _ImagesPerSecond(ProgressColumn):
    def __init__(self, images_per_step: int):
        super().__init__()
        self.images_per_step = images_per_step

    def render(self, task) -> Text:
        speed = task.speed
        return Text("--- img/s" if speed is None else f"{speed * self.images_per_step:.1f} img/s")


class _StopRequest:
    """The first Ctrl-C asks the loop to stop after the current step (so the checkpoint is consistent);
    a second one stops at once."""

    def __enter__(self) -> _StopRequest:
        self.requested = False
        self.previous = signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        console.print("stopping after this step (Ctrl-C again to stop at once)")

    def __exit__(self, *exc) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.previous)
