"""Reading and writing user images without losing what they carry.

Any mode Pillow opens becomes 8-bit RGB for the model; the alpha channel is kept aside and re-attached where
the output format can hold it; the ICC profile and EXIF travel to the output; EXIF orientation is applied
first. Outputs are written to a hidden temp file beside the target and renamed, so a crash or Ctrl-C never
leaves a half-written image under the final name.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 120_000_000  # above any camera sold today (100 MP), far below a decompression bomb
TEMP_PREFIX = ".portraitize-"
TEMP_SUFFIX = ".part"

# Pillow's name of each output format we write, by the extension the plan gave the output file.
FORMAT_BY_EXTENSION = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
FORMATS_WITH_ALPHA = {"PNG", "WEBP", "TIFF"}
FORMATS_WITH_EXIF = {"JPEG", "PNG", "WEBP", "TIFF"}

# load_photo checks the pixel count itself, against the user's --max-pixels, before anything is decoded;
# Pillow's own fixed limit would only add a confusing warning for 90-180 MP photos.
Image.MAX_IMAGE_PIXELS = None


class ImageError(Exception):
    """A file that cannot be used as an input image; the message is one line for the user."""


@dataclasses.dataclass
class Photo:
    """An input image as the model sees it, plus what must travel to the output."""

    rgb: np.ndarray  # uint8 [H, W, 3], orientation applied
    alpha: np.ndarray | None  # uint8 [H, W] or None
    icc_profile: bytes | None  # only RGB profiles: they describe `rgb` and so the painted result
    exif: bytes | None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow counts."""
        return self.rgb.shape[1], self.rgb.shape[0]


def load_photo(source: Path | bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Decode a file, or its bytes, with anything Pillow opens; raises ImageError with a one-line reason."""
    try:
        if (len(source) if isinstance(source, bytes) else source.stat().st_size) == 0:
            raise ImageError("empty file (0 bytes)")
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{width}x{height} is {width * height / 1e6:.0f} MP, above the {max_pixels / 1e6:.0f} MP "
                    "limit that guards against decompression bombs (raise it with --max-pixels)"
                )
            image.load()
            return _to_photo(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image that Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError with a readable message.
        raise ImageError(f"corrupt or truncated image data ({error})") from None


def _to_photo(image: Image.Image) -> Photo:
    exif = image.getexif()
    image = ImageOps.exif_transpose(image)
    exif.pop(0x0112, None)  # orientation has been applied to the pixels
    icc_profile = image.info.get("icc_profile")
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        alpha = np.asarray(image.getchannel("A"))
    rgb, icc_profile = _to_rgb(image, icc_profile)
    return Photo(
        rgb=rgb,
        alpha=alpha,
        icc_profile=icc_profile,
        exif=exif.tobytes() if len(exif) else None,
    )


def _to_rgb(image: Image.Image, icc_profile: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """8-bit RGB pixels, and the ICC profile that describes them (None if it would no longer fit)."""
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit greyscale: Pillow's convert() would clip at 255 instead of scaling.
        grey = np.asarray(image).astype(np.float32) / 257.0
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2), None
    if image.mode == "F":
        grey = np.asarray(image, dtype=np.float32)
        scale = 255.0 if grey.max(initial=0.0) <= 1.0 else 1.0
        grey = np.clip(np.rint(grey * scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2), None
    if icc_profile and image.mode not in ("RGB", "RGBA"):
        # A CMYK or grey profile cannot describe RGB output: convert colour-managed into sRGB instead.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return np.asarray(converted), None
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to Pillow's plain conversion below
        icc_profile = None
    return np.asarray(image.convert("RGB")), icc_profile


def encode_image(
    rgb: np.ndarray,
    image_format: str,
    quality: int,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
) -> bytes:
    """The file bytes of an output image, with alpha, ICC profile and EXIF where the format carries them."""
    image = Image.fromarray(rgb, "RGB")
    if alpha is not None and image_format in FORMATS_WITH_ALPHA:
        if alpha.shape != rgb.shape[:2]:
            alpha = np.asarray(Image.fromarray(alpha).resize(image.size, Image.Resampling.LANCZOS))
        image.putalpha(Image.fromarray(alpha, "L"))
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if exif and image_format in FORMATS_WITH_EXIF:
        options["exif"] = exif
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = quality
    if image_format == "TIFF":
        options["compression"] = "tiff_lzw"
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def save_image(path: Path, rgb: np.ndarray, image_format: str, quality: int, **carried) -> None:
    """Encode and write atomically (temp file in the target folder, then rename)."""
    data = encode_image(rgb, image_format, quality, **carried)
    write_atomically(path, lambda handle: handle.write(data))


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# The mode open() would give a new file. mkstemp makes its temp file private (0600); the finished file must
# not stay so. Read once at import: the umask is process-wide, so probing it later could race with threads.
FILE_MODE = _file_mode()


def write_atomically(path: Path, write) -> None:
    """Call write(file) on a temp file next to `path`, then rename it to `path`; never leave the temp."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp_file:
            write(temp_file)
        os.chmod(temp_name, FILE_MODE)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def remove_stale_temp_files(folder: Path) -> int:
    """Delete temp files a killed run (SIGKILL, power loss) left behind; returns how many."""
    removed = 0
    if folder.is_dir():
        for stale in folder.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 RGB to (width, height) with Lanczos (good for both shrinking and enlarging)."""
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
