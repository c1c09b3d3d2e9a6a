"""Photos whose colours an nclx box describes (HEIC and AVIF: colour primaries and a transfer curve given as numbers,
ITU-T H.273) instead of an ICC profile, brought to sRGB, the colours the models learned on and the output is read in.

Phones that save HEIC without an ICC profile say "Display P3" this way: read as sRGB, a P3 photo's skin and reds
come out duller than the phone showed them. The photo's pixels are decoded by its transfer curve, moved from its
primaries to sRGB's (one 3x3 matrix, through CIE XYZ), clipped to what sRGB holds and encoded by sRGB's curve.
"""

from __future__ import annotations

import numpy as np

from .filters import by_rows

# CIE xy of red, green, blue and white: sRGB's (BT.709, D65).
SRGB = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290))
TRANSFER_GAMMAS = {4: 2.2, 5: 2.8, 8: 1.0}  # the plain power curves; the others here are read by sRGB's curve
HDR_TRANSFERS = {16: "PQ", 18: "HLG"}
SAME_PRIMARIES = 1e-3  # chromaticities this close to sRGB's are sRGB's


def to_srgb(rgb: np.ndarray, nclx: dict, notes: list[str]) -> np.ndarray:
    """uint8 RGB in the colours `nclx` describes (pi-heif's info["nclx_profile"]) as uint8 sRGB; a note where it
    can only be approximate (an HDR curve read as SDR)."""
    primaries = _primaries(nclx)
    if primaries is None or np.abs(np.array(primaries) - np.array(SRGB)).max() < SAME_PRIMARIES:
        return rgb
    transfer = nclx.get("transfer_characteristics")
    if transfer in HDR_TRANSFERS:
        notes.append(f"an HDR photo ({HDR_TRANSFERS[transfer]}): its colours are read as SDR, so its lights may clip")
    linear = _decoded(TRANSFER_GAMMAS.get(transfer))  # a table of the 256 levels, not 36 M powers at 12 MP
    matrix = (np.linalg.inv(_to_xyz(SRGB)) @ _to_xyz(primaries)).T.astype(np.float32)

    def moved(block: np.ndarray, rows: slice) -> np.ndarray:
        light = np.clip(linear[block.astype(np.intp)] @ matrix, 0, 1)
        return 255 * np.where(light <= 0.0031308, light * 12.92, 1.055 * light ** (1 / 2.4) - 0.055)

    return by_rows(rgb, moved)


def _primaries(nclx: dict) -> tuple | None:
    keys = [f"color_primary_{colour}_{axis}" for colour in ("red", "green", "blue", "white") for axis in "xy"]
    if not all(isinstance(nclx.get(key), (int, float)) for key in keys):
        return None
    values = [float(nclx[key]) for key in keys]
    return tuple(zip(values[::2], values[1::2]))


def _to_xyz(primaries) -> np.ndarray:
    """The linear RGB -> CIE XYZ matrix of these primaries and white (white at Y = 1)."""
    (red, green, blue, white) = primaries
    columns = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in (red, green, blue)]).T
    white_xyz = np.array([white[0] / white[1], 1.0, (1 - white[0] - white[1]) / white[1]])
    return columns * np.linalg.solve(columns, white_xyz)


def _decoded(gamma: float | None) -> np.ndarray:
    """Linear light (float32, 0..1) of each 8-bit level: by a power curve, else by sRGB's."""
    levels = np.arange(256, dtype=np.float64) / 255
    if gamma is not None:
        return (levels**gamma).astype(np.float32)
    return np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4).astype(np.float32)
