"""Brushwork: a fixed, differentiable painting stage at the end of a translator (no weights to learn).

Critics that see pixels taught the translator an old master's palette and modelling, but not visible paint:
in the CPU budgets this project has, strokes never appeared. This stage paints them by construction, as
non-photorealistic rendering does, and stays inside the network, so the exported ONNX file is the whole model,
training can run through it, and the converter needs no change:

1. Flat paint patches: a generalised Kuwahara filter (Papari, Petkov and Campisi 2007): each pixel takes the
   mean colour of whichever of 8 overlapping sectors around it varies least, so edges stay sharp while texture
   inside a region flattens into patches, as a loaded brush leaves it.
2. Strokes with relief: white noise smeared along the image's flow (line integral convolution along the
   minor eigenvector of the structure tensor; Cabral and Leedom 1993) makes bristle streaks that follow the
   contours; read as a height field lit from the top left, they become the ridges of impasto. Where the
   image is flat there is no flow to follow, so a slowly turning default stroke direction (as a painter's
   hand would lay a background) takes over.
   The light multiplies the paint's colour, so black paint would show no strokes at all; real dark paint
   shows them by its sheen. `lit_floor` lets the light act on dark paint as on grey paint of that brightness.

Everything is computed from the image and two fixed tiles seeded at construction, so a model paints the same
photo the same way every time, in torch and in onnxruntime alike (plain convolutions, GridSample, Gather).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

SECTORS = 8
TILE = 256  # side of the fixed noise tiles, repeated over larger images
FLOW_SIGMA = 3.0  # px; default smoothing of the structure tensor: the scale of the contours strokes follow
FLAT_FLOW = 0.0005  # weight of the default stroke direction: below the gradient energy of skin, so strokes model
# faces along their contours, and take the default slant only in plain backgrounds
DEFAULT_SLANT = -60.0  # degrees from the x axis (y down): "/", a right-handed painter's hatching; turns by up to
SLANT_SPREAD = 40.0  # this much over the image
BRISTLE = 0.015  # share of the brightness the bristle streaks modulate
SHADE = 0.1  # brightness change per unit of relief slope
ISOTROPIC = 1e-5  # gradient energy below which a point has no orientation (FLAT_FLOW is 50x more)
STALL = 0.1  # a streamline slows to a stop, rather than turning back, where it meets the contour at a right angle


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(2.5 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    return kernel / kernel.sum()


def _sector_kernels(radius: int) -> torch.Tensor:
    """[SECTORS, 1, k, k]: smooth, overlapping pie slices of a disc, each summing to 1 (Papari et al.)."""
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    y, x = torch.meshgrid(offsets, offsets, indexing="ij")
    distance, angle = torch.sqrt(x * x + y * y), torch.atan2(y, x)
    kernels = []
    for index in range(SECTORS):
        centre = 2 * math.pi * index / SECTORS
        off_centre = torch.remainder(angle - centre + math.pi, 2 * math.pi) - math.pi
        weight = torch.exp(-((off_centre / (math.pi / SECTORS)) ** 2) - 2 * (distance / radius) ** 2)
        weight = weight * (distance <= radius + 0.5)
        weight[radius, radius] = 1e-3  # the centre belongs to every sector, weakly
        kernels.append(weight / weight.sum())
    return torch.stack(kernels).unsqueeze(1)


def _slant_prior(generator: torch.Generator) -> torch.Tensor:
    """[3, TILE, TILE]: FLAT_FLOW x the structure tensor (E, F, G) of a gradient across the default stroke,
    whose direction turns slowly over the tile (periodic, so repeated tiles join without a seam)."""
    noise = torch.randn(TILE, TILE, generator=generator)
    frequency = torch.fft.fftfreq(TILE)
    low_pass = torch.exp(-(frequency[:, None] ** 2 + frequency[None, :] ** 2) / (2 * 0.01**2))
    field = torch.fft.ifft2(torch.fft.fft2(noise) * low_pass).real
    field = field / field.abs().max()
    across = torch.deg2rad(DEFAULT_SLANT + SLANT_SPREAD * field + 90)
    a, b = torch.cos(across), torch.sin(across)
    return FLAT_FLOW * torch.stack([a * a, a * b, b * b])


class Brushwork(nn.Module):
    def __init__(
        self,
        radius: int = 2,
        stroke: int = 10,
        relief: float = 0.4,
        seed: int = 0,
        flow_sigma: float = FLOW_SIGMA,
        lit_floor: float = 0.0,
    ):
        super().__init__()
        if radius < 0 or stroke < 1 or relief < 0 or flow_sigma <= 0 or not 0 <= lit_floor <= 1:
            raise ValueError(
                "brushwork needs radius >= 0, stroke >= 1, relief >= 0, flow_sigma > 0, 0 <= lit_floor <= 1 "
                f"(got {radius}, {stroke}, {relief}, {flow_sigma}, {lit_floor})"
            )
        self.radius, self.stroke, self.relief, self.lit_floor = radius, stroke, relief, lit_floor
        generator = torch.Generator().manual_seed(seed)
        # Not persistent: rebuilt from the settings, so checkpoints hold no extra tensors.
        self.register_buffer("sectors", _sector_kernels(max(radius, 1)), persistent=False)
        self.register_buffer("blur", _gaussian_kernel(flow_sigma), persistent=False)
        self.register_buffer("noise", torch.rand(TILE, TILE, generator=generator), persistent=False)
        self.register_buffer("slant", _slant_prior(generator), persistent=False)
        sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
        self.register_buffer("sobel", torch.stack([sobel, sobel.t()]).unsqueeze(1), persistent=False)
        self.prepare_streaks()
        self.measure_streaks()

    def prepare_streaks(self) -> None:
        """Whatever `streaks` needs besides the noise tile: nothing here (LookupBrushwork smears it in advance)."""

    def measure_streaks(self) -> None:
        """The streaks' mean and spread, measured once on a plain tile (strokes along the default slant): fixed
        numbers rather than each image's own, so a painting cut into tiles is painted as it would be whole."""
        with torch.no_grad():
            streaks = self.streaks(self.orientation(torch.full((1, 3, TILE, TILE), 0.5)))
        self.streak_mean, self.streak_std = float(streaks.mean()), float(streaks.std())

    def extra_repr(self) -> str:
        return f"radius={self.radius}, stroke={self.stroke}, relief={self.relief}, lit_floor={self.lit_floor}"

    def forward(self, images: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 3, H, W] in [-1, 1] -> the same, painted. `origin`: int64 (top, left) of these pixels in a larger
        image they are a tile of, so the fixed tiles line up across tiles; None: (0, 0). Always in float32, also
        inside a bf16 training step: the Kuwahara variances are differences of near-equal numbers, which bf16
        rounds to noise."""
        with torch.autocast(images.device.type, enabled=False):
            rgb = (images.float() + 1) / 2
            painted = self.flatten(rgb) if self.radius else rgb
            if self.relief:
                painted = self.light_paint(painted, self.stroke_light(rgb, origin))
            return (painted * 2 - 1).clamp(-1, 1).to(images.dtype)

    def light_paint(self, painted: torch.Tensor, light: torch.Tensor) -> torch.Tensor:
        """The streaks' light multiplies the paint; with a lit floor, paint whose brightest channel is darker than
        the floor is lit as if a grey lifted it there (so its streaks are neutral, as a sheen is), and any paint
        with a channel at or above the floor exactly as without one."""
        if not self.lit_floor:
            return painted * light
        lift = (self.lit_floor - painted.amax(1, keepdim=True)).clamp(min=0)
        return painted + (painted + lift) * (light - 1)

    def flatten(self, rgb: torch.Tensor) -> torch.Tensor:
        """Generalised Kuwahara: per pixel, the sectors' mean colours weighted by (their variance)^(-4)."""
        n, _, height, width = rgb.shape
        r = self.radius
        padded = F.pad(rgb, (r, r, r, r), mode="replicate").reshape(-1, 1, height + 2 * r, width + 2 * r)
        mean = F.conv2d(padded, self.sectors).reshape(n, 3, SECTORS, height, width)
        square = F.conv2d(padded * padded, self.sectors).reshape(n, 3, SECTORS, height, width)
        variance = (square - mean * mean).clamp(min=0).sum(1)  # [N, SECTORS, H, W]
        # (variance + eps)^(-q/2) with q = 8, normalised; as a softmax of logs it cannot overflow.
        weights = torch.softmax(-4 * torch.log(variance + 1e-6), dim=1)
        return (weights.unsqueeze(1) * mean).sum(2)

    def stroke_light(self, rgb: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 1, H, W] multiplier: bristle streaks along the contours, lit as a height field."""
        # Where strokes go is a rendering decision: gradients reach the colours, not the flow.
        with torch.no_grad():
            orientation = self.orientation(rgb, origin)
        return self.lit((self.streaks(orientation, origin) - self.streak_mean) / self.streak_std)

    def streaks(self, orientation: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 1, H, W]: the fixed noise smeared along the contours of an [N, 2, H, W] orientation field."""
        n, _, height, width = orientation.shape
        noise = self.tiled(self.noise.unsqueeze(0), height, width, origin).expand(n, 1, height, width)
        return self.smear(noise, orientation)

    def lit(self, height: torch.Tensor) -> torch.Tensor:
        """[N, 1, H, W] multiplier for a height field: ridges a little brighter (BRISTLE), and slopes facing the
        light, up and to the left (height falling towards it; y runs down), brighter by their steepness."""
        slope = self.gradients(height)
        return 1 + BRISTLE * height + SHADE * self.relief * (slope[:, :1] + slope[:, 1:])

    def gradients(self, grey: torch.Tensor) -> torch.Tensor:
        """[N, 2, H, W]: Sobel x and y derivatives of [N, 1, H, W]."""
        return F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), self.sobel)

    def tiled(self, tile: torch.Tensor, height: int, width: int, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[C, TILE, TILE] repeated to [1, C, height, width], starting at `origin` (top, left) of the pattern."""
        rows = torch.arange(height, device=tile.device)
        columns = torch.arange(width, device=tile.device)
        if origin is not None:
            rows, columns = rows + origin[0], columns + origin[1]
        rows, columns = rows % TILE, columns % TILE
        # index_select, not fancy indexing: one plain Gather per axis in ONNX, without transposes around it
        return tile.index_select(1, rows).index_select(2, columns).unsqueeze(0)

    def orientation(self, rgb: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 2, H, W]: cos and sin of twice the angle of the local gradient, from the smoothed structure
        tensor; flat areas lean to the slowly turning default slant. Twice the angle has no sign to flip (a
        contour has an orientation, not a direction), so it interpolates smoothly between pixels."""
        _, _, height, width = rgb.shape
        # BT.601 luma, as losses.to_grey, but without its einsum, which torch.export pins to a batch of 1.
        grey = 0.299 * rgb[:, :1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:]
        slope = self.gradients(grey)
        dx, dy = slope[:, :1], slope[:, 1:]
        tensor = self.smooth(torch.cat([dx * dx, dx * dy, dy * dy], dim=1)) + self.tiled(
            self.slant, height, width, origin
        )
        e, f, g = tensor[:, :1], tensor[:, 1:2], tensor[:, 2:]
        # + ISOTROPIC: where the tensor is nearly round (a contour crossing the default slant at right angles),
        # the orientation fades to none instead of being a ratio of rounding errors.
        root = torch.sqrt((e - g) ** 2 + 4 * f * f) + ISOTROPIC
        return torch.cat([(e - g) / root, 2 * f / root], dim=1)

    def smooth(self, maps: torch.Tensor) -> torch.Tensor:
        kernel, channels = self.blur, maps.shape[1]
        r = kernel.numel() // 2
        across = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
        maps = F.conv2d(F.pad(maps, (r, r, 0, 0), mode="replicate"), across, groups=channels)
        down = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
        return F.conv2d(F.pad(maps, (0, 0, r, r), mode="replicate"), down, groups=channels)

    def stroke_weight(self, index: int) -> float:
        """Weight of the sample `index` px along a streak: a Gaussian fading to exp(-2) at `stroke` px."""
        return math.exp(-2 * (index / self.stroke) ** 2)

    def smear(self, image: torch.Tensor, orientation: torch.Tensor) -> torch.Tensor:
        """Line integral convolution of [N, 1, H, W] along the contours, `stroke` px each way, Gaussian-weighted.

        Each step is the last one projected onto the contour where the streamline now is (I - g g^T, from
        the double angle), so it keeps its way without choosing a sign: the walk depends continuously on the
        image, and onnxruntime's rounding cannot send it elsewhere than torch's."""
        n, _, height, width = image.shape
        ys = torch.arange(height, dtype=image.dtype, device=image.device).view(1, height, 1).expand(n, height, width)
        xs = torch.arange(width, dtype=image.dtype, device=image.device).view(1, 1, width).expand(n, height, width)
        cos_double, sin_double = orientation[:, 0], orientation[:, 1]
        # The first step: along the contour at the pixel itself, the minor eigenvector, taken as the longer
        # column of J - lambda_max I (both are parallel to it; either way is fine, both ways are walked).
        first_column = cos_double < 0
        along_x = torch.where(first_column, (cos_double - 1) / 2, sin_double / 2)
        along_y = torch.where(first_column, sin_double / 2, -(cos_double + 1) / 2)
        length = torch.sqrt(along_x**2 + along_y**2)
        along_x, along_y = along_x / length, along_y / length
        total, weights = image, 1.0
        for direction in (1.0, -1.0):
            x, y = xs, ys
            step_x, step_y = along_x * direction, along_y * direction
            for index in range(1, self.stroke + 1):
                x, y = x + step_x, y + step_y
                grid = torch.stack([(2 * x + 1) / width - 1, (2 * y + 1) / height - 1], dim=-1)
                weight = self.stroke_weight(index)
                total = total + weight * F.grid_sample(image, grid, align_corners=False, padding_mode="border")
                weights += weight
                here = F.grid_sample(orientation, grid, align_corners=False, padding_mode="border")
                cos_here, sin_here = here[:, 0], here[:, 1]
                projected_x = (1 - cos_here) / 2 * step_x - sin_here / 2 * step_y
                projected_y = -sin_here / 2 * step_x + (1 + cos_here) / 2 * step_y
                # About 0.9 px a step along the contour; slower where the walk meets it at a right angle.
                speed = torch.sqrt(projected_x**2 + projected_y**2) + STALL
                step_x, step_y = projected_x / speed, projected_y / speed
        return total / weights
