"""`sample --size N`: each sampled portrait painted again at N px as `convert` paints a photo, so that it looks like
a converted portrait and not a thumbnail: it is enlarged and the stroke painter paints it in strokes on a painted
ground, through the paint chain's own stages (chain.py: locate, then finish). Several portraits are painted at
once, their strokes in worker processes (stroke_workers.py), as `convert` paints a batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .bands import use_threads
from .catalogue import resolve_optional, upscaler_for
from .chain import PaintChain
from .images import Photo, resize
from .model_set import ModelSources
from .painter import paint_strokes
from .painter_settings import PAINTER_VERSION, PainterSettings
from .records import model_identity
from .sampling import Portrait
from .session import ModelSession
from .stroke_workers import StrokeWorkers, start_workers
from .translate import PaintError, PaintSettings


class SamplePainter:
    """The chain's models and settings for portraits painted at `size` px, built once per run; `workers`: how many
    portraits are painted at once (more than one: their strokes in worker processes). A context manager: the
    workers start on entering it, and leaving it waits for the paintings under way and stops them."""

    def __init__(
        self,
        sampler: ModelSession,
        size: int,
        device: str,
        threads: int = 0,
        workers: int = 1,
        on_note: Callable[[str], None] = lambda note: None,
    ):
        self.size = size
        self.sources: dict[str, Path | None] = {
            "upscaler": upscaler_for(None, in_strokes=True),
            **{kind: resolve_optional(None, kind) for kind in ("face_detector", "person_mask", "face_landmarks")},
        }
        # The sampler stands where the translator would: it painted the picture, and the chain's translate stage
        # is never called here.
        models = ModelSources(sampler.path, **self.sources).load(device, threads, translator=sampler)
        # The sampler paints old-master portraits: the painter's portrait treatment and its painted ground.
        strokes = PainterSettings(background="ground", portrait=True)
        self.chain = PaintChain(models, PaintSettings(max_size=size, scale="long-side", strokes=strokes))
        self.wanted, self.threads, self.on_note = workers, threads, on_note
        self.workers: StrokeWorkers | None = None

    def __enter__(self) -> SamplePainter:
        self.workers = start_workers(self.wanted, self.on_note) if self.wanted > 1 else None
        self.chain.painter = self.workers.paint if self.workers else paint_strokes
        self.at_once = self.workers.workers if self.workers else 1  # in this process, one at a time
        if not self.workers:  # ... each band by band on every core allowed
            use_threads(self.threads)
        self.painting = ThreadPoolExecutor(self.at_once, thread_name_prefix="portraitize-paint")
        return self

    def __exit__(self, kind, *exception) -> None:
        if self.workers and kind is not None:  # Ctrl-C, or a full disk: what is painting now is not wanted
            self.workers.stop()
        self.painting.shutdown(wait=True, cancel_futures=True)
        if self.workers:
            self.workers.close()

    def painted(self, portraits: Iterable[Portrait]) -> Iterator[tuple[Portrait, np.ndarray | str]]:
        """Each portrait with its painting, or the one-line reason it could not be painted (a stroke worker's
        death), in the order given; about two a painter in hand (while some are painted, the sampler paints the
        next)."""
        pending: deque = deque()
        for portrait in portraits:
            pending.append((portrait, self.painting.submit(self.paint, portrait.image)))
            if len(pending) > 2 * self.at_once:
                yield _outcome(*pending.popleft())
        while pending:
            yield _outcome(*pending.popleft())

    def paint(self, portrait: np.ndarray) -> np.ndarray:
        """uint8 RGB [S, S, 3] at the sampler's size -> the painted portrait [size, size, 3]. The sitter is found
        (faces, person mask, landmarks) on the portrait resized to `size`, which is also the "photo" whose colour
        the painter gives the faces back: the portrait's own."""
        photo = Photo(rgb=resize(portrait, (self.size, self.size)), alpha=None, icc_profile=None, exif=None)
        return np.asarray(self.chain.finish(self.chain.prepare(photo), portrait).image)

    def identity(self) -> dict[str, object]:
        """What, besides the sampler, makes the painted pixels (for the samples' records)."""
        models = {kind: model_identity(source) for kind, source in self.sources.items()}
        return {"size": self.size, "painter": PAINTER_VERSION, "painted_with": models}


def _outcome(portrait: Portrait, painting: Future) -> tuple[Portrait, np.ndarray | str]:
    try:
        return portrait, painting.result()
    except PaintError as error:
        return portrait, str(error)
