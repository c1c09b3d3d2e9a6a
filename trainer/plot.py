"""`python -m trainer plot`: the training curves of one or more runs, from their log.jsonl, as one PNG.

One panel per logged value (D(x) and D(G(z)) share one, as GAN papers draw them: the gap is what to read),
one colour per run, x = images seen (comparable across batch sizes and GPU counts, unlike steps). Each curve
is an exponential moving average drawn over its faint raw values, as TensorBoard does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

COUNTERS = {"step", "images", "seconds"}  # log.jsonl's bookkeeping, not curves
PAIRED = {"d_real": ("D(x), D(G(z)) (dashed)", "-"), "d_fake": ("D(x), D(G(z)) (dashed)", "--")}
PANEL_INCHES, DPI, COLUMNS = (5.0, 3.5), 100, 3


class PlotError(Exception):
    """A run that cannot be drawn; the message is one line for the user."""


def read_log(run: Path) -> list[dict]:
    """The records of a run folder's log.jsonl (or of the log file itself)."""
    path = run / "log.jsonl" if run.is_dir() else run
    if not path.is_file():
        raise PlotError(f"{run}: no log.jsonl (is it a run folder of `python -m trainer train`?)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise PlotError(f"{path}: not a log.jsonl (not text)") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or "images" not in record:
                raise PlotError(f"{path}:{number}: not a line of a training log (no images count)")
            records.append(record)
        except json.JSONDecodeError:
            if number == len(lines):  # a run still training may be halfway through writing its last line
                break
            raise PlotError(f"{path}:{number}: not a JSON line") from None
    if not records:
        raise PlotError(f"{path}: empty, nothing logged yet (lines come every --log-every steps)")
    return records


def smooth(values: list[float], weight: float) -> list[float]:
    """Exponential moving average, debiased (as TensorBoard's) so that the first points are not pulled to 0."""
    average, smoothed = 0.0, []
    for count, value in enumerate(values, 1):
        average = weight * average + (1 - weight) * value
        smoothed.append(average / (1 - weight**count))
    return smoothed


def plot_runs(runs: list[Path], out: Path, smoothing: float = 0.6) -> None:
    """Write the curves of `runs` to `out`: PANEL_INCHES * DPI pixels per panel, COLUMNS panels a row."""
    logs = {str(run): read_log(run) for run in runs}  # the paths as given label the runs
    try:
        from matplotlib.figure import Figure  # a bare Figure renders with Agg: no GUI backend, no pyplot state
        from matplotlib.lines import Line2D
        from matplotlib.ticker import EngFormatter
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install -e '.[train]'") from None

    panels: dict[str, list[str]] = {}  # panel title -> the logged names drawn in it
    for records in logs.values():
        for record in records:
            for name in (name for name in record if name not in COUNTERS):  # in the recipe's order
                names = panels.setdefault(PAIRED.get(name, (name,))[0], [])
                if name not in names:
                    names.append(name)
    if not panels:
        raise PlotError(f"{', '.join(logs)}: no losses in the log")
    columns = min(COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * rows), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flat
    for (title, names), axis in zip(panels.items(), axes):  # panels first: zip must not use up a spare cell
        axis.set_title(title, fontsize="medium")
        axis.set_xlabel("images seen")
        axis.xaxis.set_major_formatter(EngFormatter())
        for colour, records in enumerate(logs.values()):
            for name in names:
                points = [(record["images"], record[name]) for record in records if name in record]
                if not points:
                    continue
                x, y = zip(*points)
                style = PAIRED.get(name, ("", "-"))[1]
                axis.plot(x, y, style, color=f"C{colour}", alpha=0.25, linewidth=0.8)
                axis.plot(x, smooth(list(y), smoothing), style, color=f"C{colour}", linewidth=1.6)
    for axis in axes:  # the grid's unused cells
        axis.set_axis_off()
    handles = [Line2D([], [], color=f"C{colour}", label=label) for colour, label in enumerate(logs)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize="small")
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
