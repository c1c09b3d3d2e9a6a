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
SRGB_CODES = {0, 1, 2, 3}  # H.273 primaries read as sRGB's: reserved, BT.709, unspecified (their xy are zeros)
TRANSFER_GAMMAS = {4: 2.2, 5: 2.8, 8: 1.0}  # the plain power curves; the others here are read by sRGB's curve
HDR_TRANSFERS = {16: "PQ", 18: "HLG"}
SAME_PRIMARIES = 1e-3  # chromaticities this close to sRGB's are sRGB's
# Bradford's cone response matrix: a white other than D65 (DCI-P3's) is adapted to sRGB's, so greys stay grey.
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def to_srgb(rgb: np.ndarray, nclx: dict, notes: list[str]) -> np.ndarray:
    """uint8 RGB in the colours `nclx` describes (pi-heif's info["nclx_profile"]) as uint8 sRGB; a note where it
    can only be approximate (an HDR curve read as SDR). Primaries it cannot use (unspecified, XYZ) are read as
    sRGB's."""
    transfer = nclx.get("transfer_characteristics")
    if transfer in HDR_TRANSFERS:
        notes.append(f"an HDR photo ({HDR_TRANSFERS[transfer]}): its colours are read as SDR, so its lights may clip")
    primaries = None if nclx.get("color_primaries") in SRGB_CODES else _primaries(nclx)
    gamma = TRANSFER_GAMMAS.get(transfer)
    if primaries is None and gamma is None:
        return rgb
    linear = _decoded(gamma)  # a table of the 256 levels, not 36 M powers at 12 MP
    matrix = np.eye(3) if primaries is None else np.linalg.inv(_to_xyz(SRGB)) @ _to_xyz(primaries)
    matrix = matrix.T.astype(np.float32)

    def moved(block: np.ndarray, rows: slice) -> np.ndarray:
        light = np.clip(linear[block.astype(np.uint8)] @ matrix, 0, 1)
        return 255 * np.where(light <= 0.0031308, light * 12.92, 1.055 * light ** (1 / 2.4) - 0.055)

    return by_rows(rgb, moved)


def _primaries(nclx: dict) -> tuple | None:
    """The xy of red, green, blue and white, where they are usable chromaticities and not sRGB's own."""
    keys = [f"color_primary_{colour}_{axis}" for colour in ("red", "green", "blue", "white") for axis in "xy"]
    if not all(isinstance(nclx.get(key), (int, float)) for key in keys):
        return None
    values = np.array([float(nclx[key]) for key in keys]).reshape(4, 2)
    if not (values > 0).all() or (values.sum(axis=1) > 1 + 1e-6).any() or np.abs(values - SRGB).max() < SAME_PRIMARIES:
        return None
    primaries = tuple(map(tuple, values))
    return primaries if abs(np.linalg.det(_xy_columns(primaries[:3]))) > 1e-6 else None


def _to_xyz(primaries) -> np.ndarray:
    """The linear RGB -> CIE XYZ matrix of these primaries, their white at Y = 1 and adapted to D65 (Bradford)."""
    columns = _xy_columns(primaries[:3])
    white, d65 = _xyz(primaries[3]), _xyz(SRGB[3])
    to_xyz = columns * np.linalg.solve(columns, white)
    adapt = np.linalg.inv(BRADFORD) @ np.diag((BRADFORD @ d65) / (BRADFORD @ white)) @ BRADFORD
    return adapt @ to_xyz


def _xyz(xy) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def _xy_columns(colours) -> np.ndarray:
    return np.stack([_xyz(xy) for xy in colours], axis=1)


def _decoded(gamma: float | None) -> np.ndarray:
    """Linear light (float32, 0..1) of each 8-bit level: by a power curve, else by sRGB's."""
    levels = np.arange(256, dtype=np.float64) / 255
    if gamma is not None:
        return (levels**gamma).astype(np.float32)
    return np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4).astype(np.float32)
