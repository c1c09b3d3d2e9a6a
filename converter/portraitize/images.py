"""Reading and writing user images without losing what they carry.

Any mode Pillow opens becomes 8-bit RGB for the model; the alpha channel is kept aside and re-attached where
the output format can hold it; EXIF orientation is applied first. Metadata travels to the output only where it
fits what is written: an RGB colour profile, and EXIF's descriptive tags (never the tags that describe a TIFF's
pixel layout, which would contradict the file we write). Metadata that cannot travel is dropped with a note,
never fatal. Outputs are written to a hidden temp file beside the target and renamed, so a crash or Ctrl-C
never leaves a half-written image under the final name.
"""

from __future__ import annotations

import ctypes
import dataclasses
import io
from pathlib import Path, PurePath
from typing import BinaryIO

import numpy as np
import pi_heif
from PIL import EpsImagePlugin, ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

from . import nclx
from .bands import resized
from .choices import DEFAULT_MAX_PIXELS
from .files import write_atomically
from .text import first_line

# Pillow's name of each output format we write, by the extension the plan gave the output file.
FORMAT_BY_EXTENSION = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
FORMATS_WITH_ALPHA = {"PNG", "WEBP", "TIFF"}
FORMATS_WITH_EXIF = {"JPEG", "PNG", "WEBP", "TIFF"}
MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383}  # the formats' own limits; Pillow's encoders fail beyond them
JPEG_MAX_EXIF = 65_533  # bytes of EXIF that one JPEG APP1 marker holds

# EXIF tags that describe the photo (what, who, when, where, which camera) and so describe the painting too.
CARRIED_EXIF_TAGS = {
    ExifTags.Base.ImageDescription,
    ExifTags.Base.Make,
    ExifTags.Base.Model,
    ExifTags.Base.XResolution,
    ExifTags.Base.YResolution,
    ExifTags.Base.ResolutionUnit,
    ExifTags.Base.Software,
    ExifTags.Base.DateTime,
    ExifTags.Base.Artist,
    ExifTags.Base.HostComputer,
    ExifTags.Base.Copyright,
    ExifTags.IFD.Exif,
    ExifTags.IFD.GPSInfo,
}
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # EXIF orientation -> the transposition that shows the photo upright

# load_photo checks the pixel count itself, against the user's --max-pixels, before anything is decoded;
# Pillow's own fixed limit would only add a confusing warning for 90-180 MP photos.
Image.MAX_IMAGE_PIXELS = None


def _silence_libtiff() -> None:
    """libtiff prints its complaints about a damaged TIFF straight to stderr, several lines a file; Pillow
    turns its errors into exceptions anyway, which reach the user as one line. Best effort: where Pillow's
    module does not expose libtiff (a static build), its messages stay."""
    try:
        imaging = ctypes.CDLL(Image.core.__file__)
        imaging.TIFFSetWarningHandler(None)
        imaging.TIFFSetErrorHandler(None)
    except (OSError, AttributeError):
        pass


_silence_libtiff()


# HEIF/HEIC, the format iPhones save photos in, decoded by libheif through pi-heif. libheif applies the file's own
# rotation and mirroring as it decodes, and pi-heif's plugin then sets the EXIF orientation to 1, so the photo is
# turned once, not again by its EXIF as a JPEG is.
pi_heif.register_heif_opener()


def _decodable_formats() -> set[str]:
    """Formats whose pixels Pillow decodes here: not its stubs, not MPEG (header only), EPS with Ghostscript only."""
    Image.init()
    undecodable = {"MPEG"} | (set() if EpsImagePlugin.has_ghostscript() else {"EPS"})
    return {
        name
        for name, (factory, _) in Image.OPEN.items()
        if name not in undecodable and not (isinstance(factory, type) and issubclass(factory, ImageFile.StubImageFile))
    }


DECODABLE_FORMATS = _decodable_formats()
IMAGE_EXTENSIONS = frozenset(
    extension for extension, name in Image.registered_extensions().items() if name in DECODABLE_FORMATS
)
# Formats Pillow recognises by their first bytes; the others (TGA, ...) match almost any data.
SIGNED_FORMATS = [name for name in DECODABLE_FORMATS if Image.OPEN[name][1] is not None]


class ImageError(Exception):
    """A file that cannot be used as an input image (or written as an output); one line for the user."""


@dataclasses.dataclass
class Photo:
    """An input image as the model sees it, plus what must travel to the output."""

    rgb: np.ndarray | None  # uint8 [H, W, 3], orientation applied; None once only a model-sized copy is needed
    alpha: np.ndarray | None  # uint8 [H, W] or None
    icc_profile: bytes | None  # only RGB profiles: they describe `rgb` and so the painted result
    exif: bytes | None
    notes: list[str] = dataclasses.field(default_factory=list)  # what was dropped or left unpainted, for the user
    size: tuple[int, int] = dataclasses.field(init=False)  # (width, height), as Pillow counts

    def __post_init__(self) -> None:
        self.size = (self.rgb.shape[1], self.rgb.shape[0])


def open_input(path: PurePath) -> BinaryIO:
    """An input file opened for reading; ImageError with the system's reason (permission, gone, a folder)."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise ImageError(read_error(error)) from None


def read_error(error: OSError) -> str:
    return f"cannot read this file ({error.strerror or first_line(error)})"


def load_photo(source: PurePath | bytes | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Decode a file (a path, its bytes, or an open binary file); raises ImageError with a one-line reason."""
    if isinstance(source, bytes):
        return _load(io.BytesIO(source), max_pixels)
    if isinstance(source, PurePath):
        with open_input(source) as handle:
            return _load(handle, max_pixels)
    return _load(source, max_pixels)


def _load(handle: BinaryIO, max_pixels: int) -> Photo:
    try:
        if not handle.read(1):
            raise ImageError("empty file (0 bytes)")
        handle.seek(0)
        with Image.open(handle) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{width}x{height} is {width * height:,} pixels, above the --max-pixels limit of "
                    f"{max_pixels:,} that guards against decompression bombs (raise it if the photo is real)"
                )
            image.load()
            return _to_photo(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image, or in a format portraitize cannot read") from None
    except MemoryError:
        raise ImageError("not enough memory to decode it") from None
    except OSError as error:
        if error.errno is not None:  # the disk's error, not the data's
            raise ImageError(read_error(error)) from None
        raise ImageError(f"corrupt or truncated image data ({first_line(error)})") from None
    except Exception as error:  # malformed headers surface as SyntaxError, ValueError, struct.error, ...
        raise ImageError(f"corrupt or truncated image data ({type(error).__name__}: {first_line(error)})") from None


def signed_format(handle: BinaryIO) -> str | None:
    """Pillow's name for the file's format ("JPEG", "HEIF", ...), known by its first bytes whatever the file's
    name; None where it knows none."""
    try:
        with Image.open(handle, formats=SIGNED_FORMATS) as image:
            return image.format
    except Exception:  # anything unrecognisable or unreadable is not an image we can use
        return None


def header_size(handle: BinaryIO) -> tuple[int, int]:
    """(width, height) from the header alone; (0, 0) when there is no readable header (decoding will say why)."""
    try:
        with Image.open(handle) as image:
            return image.size
    except Exception:
        return 0, 0


def _to_photo(image: Image.Image) -> Photo:
    notes = _frames_note(image)
    exif = _read_exif(image, notes)
    icc_profile = image.info.get("icc_profile")
    orientation = exif.pop(ExifTags.Base.Orientation, 1)  # applied to the pixels below, so not carried
    if isinstance(orientation, int) and orientation in TRANSPOSE:
        image = image.transpose(TRANSPOSE[orientation])
    elif orientation != 1:
        notes.append(f"EXIF orientation {orientation!r} is not valid; the photo is painted as stored")
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode in ("1", "L", "P", "RGB") and "transparency" in image.info):
        image = image.convert("RGBA")
        alpha = np.asarray(image.getchannel("A"))
    elif (image.mode.startswith("I;16") or image.mode == "I") and isinstance(image.info.get("transparency"), int):
        # 16-bit grey PNG: one grey value is transparent (tRNS); Pillow's RGBA conversion would drop it
        alpha = np.where(np.asarray(image) == image.info["transparency"], 0, 255).astype(np.uint8)
    rgb, icc_profile = _to_rgb(image, icc_profile, notes)
    if not icc_profile and isinstance(image.info.get("nclx_profile"), dict):  # HEIC's colours without a profile
        rgb = nclx.to_srgb(rgb, image.info["nclx_profile"], notes)
    return Photo(rgb=rgb, alpha=alpha, icc_profile=icc_profile, exif=_carried_exif(exif, notes), notes=notes)


def _frames_note(image: Image.Image) -> list[str]:
    try:
        frames = getattr(image, "n_frames", 1)
    except Exception:  # counting frames reads the whole file; a damaged later frame is no reason to fail
        return []
    return [f"only the first of its {frames} frames is painted"] if frames > 1 else []


def _read_exif(image: Image.Image, notes: list[str]) -> Image.Exif:
    try:
        return image.getexif()
    except Exception as error:
        notes.append(f"EXIF dropped: it cannot be read ({first_line(error)})")
        return Image.Exif()


# Not carried from the EXIF sub-IFD: the Interop pointer (an offset into the input file) and the photo's pixel
# size, which a painting framed, resized (--size) or of the model's size would contradict (optional tags).
NOT_CARRIED_IN_IFD = frozenset({ExifTags.IFD.Interop, ExifTags.Base.ExifImageWidth, ExifTags.Base.ExifImageHeight})


def _carried_exif(exif: Image.Exif, notes: list[str]) -> bytes | None:
    """The descriptive tags of `exif`, re-encoded; a tag that cannot be encoded again is dropped with a note."""
    kept, dropped = Image.Exif(), []
    for tag in sorted(CARRIED_EXIF_TAGS & set(exif)):
        try:
            value = exif.get_ifd(tag) if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo) else exif[tag]
            if isinstance(value, dict):
                value = {key: item for key, item in value.items() if key not in NOT_CARRIED_IN_IFD}
            trial = Image.Exif()
            trial[tag] = value
            trial.tobytes()
        except Exception:
            dropped.append(_tag_name(tag))
            continue
        kept[tag] = value
    if dropped:
        notes.append(f"EXIF {', '.join(dropped)} dropped: malformed, cannot be written again")
    return kept.tobytes() if len(kept) else None


def _tag_name(tag: int) -> str:
    for names in (ExifTags.IFD, ExifTags.Base):
        try:
            return names(tag).name
        except ValueError:
            continue
    return hex(tag)


def _to_rgb(image: Image.Image, icc_profile: bytes | None, notes: list[str]) -> tuple[np.ndarray, bytes | None]:
    """8-bit RGB pixels, and the ICC profile that describes them (None if it would no longer fit)."""
    if image.mode.startswith("I;16") or (image.mode == "I" and image.format == "PNG"):
        # 16-bit greyscale: Pillow's convert() would clip at 255 instead of scaling.
        grey = np.asarray(image).astype(np.float32) / 257.0
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2), None
    if image.mode in ("I", "F"):
        grey = _wide_grey_to_8_bit(np.asarray(image, dtype=np.float64), image.mode, notes)
        return np.repeat(grey[..., None], 3, axis=2), None
    if icc_profile and image.mode not in ("RGB", "RGBA"):
        # A CMYK or grey profile cannot describe RGB output: convert colour-managed into sRGB instead.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return np.asarray(converted), None
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to Pillow's plain conversion below
        notes.append(f"colour profile not applied: it does not convert this {image.mode} image")
        icc_profile = None
    if image.mode != "RGB":
        image = image.convert("RGB")  # convert() copies even an RGB image: 4 bytes a pixel saved
    return np.asarray(image), _rgb_profile(icc_profile, notes)


# The usual ranges of grey levels wider than 8 bits, smallest first: data that lie within one are read as that
# many levels; data outside all (negative, or beyond 16 bits) are stretched from their lowest to their highest.
LEVEL_RANGES = [(1.0, "0-1"), (255.0, "8-bit levels, 0-255"), (65535.0, "16-bit levels, 0-65535")]


def _wide_grey_to_8_bit(values: np.ndarray, mode: str, notes: list[str]) -> np.ndarray:
    """32-bit integer ("I") or float ("F") grey as uint8, scaled by the range the data actually span (finite values
    only), with a note saying how, unless the data are floats in 0-1, the one range they need not announce. Not
    a number and infinities become black, said in a note."""
    finite = np.isfinite(values)
    bad = values.size - int(np.count_nonzero(finite))
    kind = "float" if mode == "F" else "32-bit integer"
    if bad:
        notes.append(f"{bad} of its pixels are not finite numbers (NaN or infinite): painted black")
        low = float(values.min(where=finite, initial=np.inf))
        high = float(values.max(where=finite, initial=-np.inf))
        low, high = (low, high) if low <= high else (0.0, 0.0)
    else:
        low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    for top, words in LEVEL_RANGES:
        if low >= 0 and high <= top and (top > 1 or mode == "F"):
            if top > 1 or bad:
                notes.append(f"{kind} grey from {low:g} to {high:g}: read as {words}")
            scale, low = 255.0 / top, 0.0
            break
    else:
        notes.append(f"{kind} grey from {low:g} to {high:g}: stretched to 0-255")
        scale = 255.0 / (high - low) if high > low else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        grey = np.clip(np.rint((values - low) * scale), 0, 255)
    return np.where(finite, grey, 0).astype(np.uint8)


def _rgb_profile(icc_profile: bytes | None, notes: list[str]) -> bytes | None:
    """The profile if it is a readable RGB profile; any other would make the RGB output unreadable to some."""
    if not icc_profile:
        return None
    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError, ValueError):
        notes.append("colour profile dropped: it cannot be read")
        return None
    if space != "RGB":
        notes.append(f"colour profile dropped: it describes {space or 'no'} colours, the output is RGB")
        return None
    return icc_profile


def carried_metadata(photo: Photo, image_format: str) -> tuple[dict[str, object], list[str]]:
    """What of the photo's alpha, ICC profile and EXIF an output in `image_format` carries; notes for the rest."""
    options: dict[str, object] = {"icc_profile": photo.icc_profile}
    notes = []
    if photo.alpha is not None:
        if image_format in FORMATS_WITH_ALPHA:
            options["alpha"] = photo.alpha
        else:
            notes.append(f"transparency not kept: {image_format} has none")
    if photo.exif:
        if image_format not in FORMATS_WITH_EXIF:
            notes.append(f"EXIF not kept: {image_format} has none")
        elif image_format == "JPEG" and len(photo.exif) > JPEG_MAX_EXIF:
            notes.append(f"EXIF dropped: {len(photo.exif) // 1024} KB, more than a JPEG holds (64 KB)")
        else:
            options["exif"] = photo.exif
    return options, notes


def encode_image(
    rgb: np.ndarray | Image.Image,
    image_format: str,
    quality: int,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    text: dict[str, str] | None = None,
    png_level: int | None = None,
) -> bytes:
    """The file bytes of an output image (uint8 RGB, as an array or an RGB Pillow image), with alpha, ICC
    profile and EXIF where the format carries them, and `text` in a PNG's text chunks. `png_level`: a PNG's zlib
    level (0-9; Pillow's 6 where None)."""
    image = rgb if isinstance(rgb, Image.Image) else Image.fromarray(rgb, "RGB")
    width, height = image.size
    if max(width, height) > MAX_SIDE.get(image_format, max(width, height)):
        raise ImageError(
            f"{width}x{height} is too large for {image_format} ({MAX_SIDE[image_format]} px a side at most); "
            "choose another --format, e.g. png"
        )
    if alpha is not None and image_format in FORMATS_WITH_ALPHA:
        if alpha.shape != (height, width):
            alpha = np.asarray(Image.fromarray(alpha).resize(image.size, Image.Resampling.LANCZOS))
        image.putalpha(Image.fromarray(alpha, "L"))
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if exif and image_format in FORMATS_WITH_EXIF:
        options["exif"] = exif
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = quality
    if image_format == "PNG" and png_level is not None:
        options["compress_level"] = png_level
    if image_format == "TIFF":
        options["compression"] = "tiff_lzw"
    if text and image_format == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
        options["pnginfo"] = info
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def save_image(path: Path, rgb: np.ndarray, image_format: str, quality: int, **carried) -> None:
    """Encode and write atomically (temp file in the target folder, then rename)."""
    data = encode_image(rgb, image_format, quality, **carried)
    write_atomically(path, lambda handle: handle.write(data))


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 RGB to (width, height) with Lanczos (good for both shrinking and enlarging)."""
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return np.asarray(resized(Image.fromarray(rgb), size, Image.Resampling.LANCZOS))
