"""Image I/O: every mode becomes RGB, alpha/ICC/EXIF survive, bad files get one-line reasons."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import gradient_image, write_heic, write_image
from PIL import ExifTags, Image, ImageCms

from portraitize.files import write_atomically
from portraitize.images import ImageError, load_photo, save_image


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".bmp", ".tiff", ".gif"])
def test_common_formats_load_as_rgb(tmp_path, suffix):
    photo = load_photo(write_image(tmp_path / f"photo{suffix}", 40, 30))
    assert photo.rgb.shape == (30, 40, 3) and photo.rgb.dtype == np.uint8
    assert photo.rgb.std() > 10


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "LA", "1"])
def test_other_modes_become_rgb(tmp_path, mode):
    suffix = ".jpg" if mode == "CMYK" else ".png"
    photo = load_photo(write_image(tmp_path / f"photo{suffix}", 40, 30, mode=mode))
    assert photo.rgb.shape == (30, 40, 3)
    assert (photo.alpha is not None) == (mode == "LA")


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    grey = (np.linspace(0, 65535, 64 * 8).reshape(8, 64)).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(grey).save(path)  # Pillow writes this as a 16-bit greyscale PNG
    photo = load_photo(path)
    assert photo.rgb[0, 0, 0] == 0 and photo.rgb[-1, -1, 0] == 255
    assert 120 < photo.rgb[:, 32, 0].mean() < 136  # mid-grey, not clipped to white


def test_rgba_alpha_kept_aside(tmp_path):
    rgba = np.dstack([gradient_image(20, 10), np.linspace(0, 255, 200).reshape(10, 20).astype(np.uint8)])
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path)
    photo = load_photo(path)
    assert np.array_equal(photo.alpha, rgba[..., 3])
    assert np.array_equal(photo.rgb, rgba[..., :3])


def test_a_16_bit_grey_png_keeps_its_transparent_grey_as_alpha(tmp_path):
    grey = np.tile(np.linspace(1000, 65000, 20).astype(np.uint16), (10, 1))
    grey[:, :5] = 0
    path = tmp_path / "grey16.png"
    Image.fromarray(grey).save(path, transparency=0)
    assert Image.open(path).mode in ("I;16", "I") and Image.open(path).info.get("transparency") == 0
    photo = load_photo(path)
    assert photo.rgb.shape == (10, 20, 3) and photo.rgb[:, 5:].std() > 10
    assert photo.alpha is not None and (photo.alpha[:, :5] == 0).all() and (photo.alpha[:, 5:] == 255).all()


def test_exif_orientation_is_applied_and_dropped(tmp_path):
    image = Image.fromarray(gradient_image(40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    exif[0x010F] = "TestCam"  # camera maker: must survive
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes())
    photo = load_photo(path)
    assert photo.size == (20, 40)
    saved = Image.Exif()
    saved.load(photo.exif)
    assert 0x0112 not in saved and saved[0x010F] == "TestCam"


def test_the_photos_pixel_size_is_not_carried_but_its_camera_settings_are(tmp_path):
    """A painting framed, resized (--size) or of the model's size would contradict the photo's EXIF pixel size."""
    exif = Image.Exif()
    exif[ExifTags.IFD.Exif] = {
        ExifTags.Base.ExifImageWidth: 40,
        ExifTags.Base.ExifImageHeight: 20,
        ExifTags.Base.ExposureTime: 0.01,
    }
    path = tmp_path / "camera.jpg"
    Image.fromarray(gradient_image(40, 20)).save(path, exif=exif.tobytes())
    saved = Image.Exif()
    saved.load(load_photo(path).exif)
    carried = saved.get_ifd(ExifTags.IFD.Exif)
    assert ExifTags.Base.ExifImageWidth not in carried and ExifTags.Base.ExifImageHeight not in carried
    assert float(carried[ExifTags.Base.ExposureTime]) == 0.01


def test_an_iphone_heic_photo_loads_with_its_exif(tmp_path):
    left_red = np.zeros((32, 48, 3), np.uint8)
    left_red[:, :24], left_red[:, 24:] = (200, 40, 40), (40, 40, 200)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    path = write_heic(tmp_path / "IMG_0001.HEIC", Image.fromarray(left_red), exif)
    photo = load_photo(path)
    assert photo.size == (48, 32)
    assert photo.rgb[16, 4, 0] > 150 > photo.rgb[16, 4, 2] and photo.rgb[16, 44, 2] > 150 > photo.rgb[16, 44, 0]
    carried = Image.Exif()
    carried.load(photo.exif)
    assert carried[0x010F] == "Apple"


def test_a_display_p3_heic_without_a_profile_is_read_in_srgb(tmp_path):
    """A phone's HEIC may say "Display P3" by numbers (nclx) and carry no ICC profile: its colours are moved to
    sRGB (a P3 red is redder than sRGB's own levels say), greys stay grey, and an sRGB HEIC reads as stored."""
    patches = np.zeros((32, 64, 3), np.uint8)
    patches[:, :32], patches[:, 32:] = (200, 60, 50), (128, 128, 128)
    p3 = load_photo(write_heic(tmp_path / "p3.heic", Image.fromarray(patches), color_primaries=12))
    srgb = load_photo(write_heic(tmp_path / "srgb.heic", Image.fromarray(patches), color_primaries=1))
    assert p3.icc_profile is None and not p3.notes
    red, grey = p3.rgb[16, 8].astype(int), p3.rgb[16, 48].astype(int)
    stored_red, stored_grey = srgb.rgb[16, 8].astype(int), srgb.rgb[16, 48].astype(int)
    assert np.abs(stored_red - (200, 60, 50)).max() <= 3 and np.abs(stored_grey - 128).max() <= 2
    # Display P3 (200, 60, 50) in sRGB, by the published linear P3-to-sRGB matrix (rounded to four places):
    # (217, 42, 39), redder, less green and blue.
    assert np.abs(red - (217, 42, 39)).max() <= 4, red
    assert np.abs(grey - stored_grey).max() <= 1


def test_a_heic_whose_primaries_are_unspecified_or_another_white_keeps_its_greys(tmp_path):
    """Unspecified primaries (their chromaticities zeros) read as sRGB's, as before; DCI-P3's white is not D65, and
    its greys stay grey (adapted to sRGB's white)."""
    grey = Image.fromarray(np.full((32, 32, 3), 128, np.uint8))
    unspecified = load_photo(write_heic(tmp_path / "unspecified.heic", grey, color_primaries=2))
    cinema = load_photo(write_heic(tmp_path / "dci.heic", grey, color_primaries=11))
    for photo in (unspecified, cinema):
        assert not photo.notes and np.abs(photo.rgb.astype(int) - 128).max() <= 2


def test_an_hdr_heic_is_read_as_sdr_with_a_note(tmp_path):
    photo = load_photo(
        write_heic(
            tmp_path / "hdr.heic",
            Image.fromarray(gradient_image(32, 32)),
            color_primaries=9,
            transfer_characteristics=16,
        )
    )
    assert photo.notes == ["an HDR photo (PQ): its colours are read as SDR, so its lights may clip"]


def test_a_heic_photo_is_turned_once(tmp_path):
    """libheif applies a HEIC's rotation as it decodes (the reference: its own decoding, through pillow-heif) and
    pi-heif's plugin then sets the EXIF orientation to 1: turning the photo again by its EXIF, as a JPEG is, would
    turn it twice."""
    import pillow_heif

    exif = Image.Exif()
    exif[0x0112] = 6
    path = write_heic(tmp_path / "turned.heic", Image.fromarray(gradient_image(48, 32)), exif)
    reference = np.asarray(pillow_heif.open_heif(path).to_pillow().convert("RGB"))
    assert np.array_equal(load_photo(path).rgb, reference)


def test_rgb_icc_profile_travels_to_the_output(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = write_image(tmp_path / "tagged.png", icc_profile=srgb)
    assert load_photo(path).icc_profile == srgb

    out = tmp_path / "out.jpg"
    save_image(out, gradient_image(8, 8), "JPEG", 90, icc_profile=srgb)
    with Image.open(out) as reread:
        assert reread.info["icc_profile"] == srgb


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"this is a text file, not a photo\n", "not an image"),
    ],
)
def test_bad_files_have_one_line_reasons(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=reason) as error:
        load_photo(path)
    assert "\n" not in str(error.value)


def test_truncated_jpeg_is_reported(tmp_path):
    path = write_image(tmp_path / "whole.jpg", 200, 200, quality=95)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_photo(cut)


def test_decompression_bomb_refused_before_decoding(tmp_path):
    # A 12000 x 11000 greyscale PNG of zeros: 130 KB on disk, 132 MP (above the 120 MP limit) once decoded.
    buffer = io.BytesIO()
    Image.new("L", (12000, 11000)).save(buffer, format="PNG", optimize=False)
    path = tmp_path / "bomb.png"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ImageError, match="decompression bomb"):
        load_photo(path)
    with pytest.raises(ImageError, match="12000x11000 is 132,000,000 pixels, above the --max-pixels limit of 1,000 "):
        load_photo(path, max_pixels=1000)


def test_alpha_reattached_only_where_format_carries_it(tmp_path):
    rgb, alpha = gradient_image(12, 10), np.full((10, 12), 77, np.uint8)
    save_image(tmp_path / "a.png", rgb, "PNG", 95, alpha=alpha)
    save_image(tmp_path / "a.jpg", rgb, "JPEG", 95, alpha=alpha)
    with Image.open(tmp_path / "a.png") as png, Image.open(tmp_path / "a.jpg") as jpg:
        assert png.mode == "RGBA" and np.asarray(png)[..., 3].max() == 77
        assert jpg.mode == "RGB"


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"the user's previous file")

    def explode(handle):
        handle.write(b"half an image")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, explode)
    assert target.read_bytes() == b"the user's previous file"
    assert [path.name for path in tmp_path.iterdir()] == ["out.png"]


def test_a_name_too_long_is_said_of_the_file_asked_for_not_the_temp_file(tmp_path):
    target = tmp_path / ("n" * 300 + ".png")
    with pytest.raises(OSError) as raised:
        write_atomically(target, lambda handle: handle.write(b"data"))
    assert raised.value.filename == str(target) and ".part" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def _tiff(path, values, mode):
    Image.fromarray(values, mode).save(path)
    return path


def test_wide_grey_is_scaled_by_the_range_its_data_span_and_said(tmp_path):
    """Issue 31, case 8: these came out all black or all white, with no note."""
    ramp = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (16, 1))
    with_inf = ramp.copy()
    with_inf[3, 5] = np.inf
    photo = load_photo(_tiff(tmp_path / "inf.tif", with_inf, "F"))
    difference = np.abs(photo.rgb[..., 0].astype(int) - np.rint(ramp * 255))
    difference[3, 5] = 0
    assert difference.max() <= 1 and photo.rgb[3, 5].tolist() == [0, 0, 0]
    assert any("1 of its pixels are not finite" in note for note in photo.notes), photo.notes

    levels = np.rint(ramp * 255).astype(np.int32)
    photo = load_photo(_tiff(tmp_path / "int32.tif", levels, "I"))
    assert np.array_equal(photo.rgb[..., 1], levels.astype(np.uint8))
    assert photo.notes == ["32-bit integer grey from 0 to 255: read as 8-bit levels, 0-255"]

    photo = load_photo(_tiff(tmp_path / "float16bit.tif", ramp * 65535, "F"))
    assert np.abs(photo.rgb[..., 2].astype(int) - np.rint(ramp * 255)).max() <= 1
    assert photo.notes == ["float grey from 0 to 65535: read as 16-bit levels, 0-65535"]

    photo = load_photo(_tiff(tmp_path / "signed.tif", ramp * 2000 - 1000, "F"))
    assert photo.rgb.min() == 0 and photo.rgb.max() == 255
    assert photo.notes == ["float grey from -1000 to 1000: stretched to 0-255"]

    photo = load_photo(_tiff(tmp_path / "plain.tif", ramp, "F"))  # floats in 0-1: the usual case, no note
    assert photo.notes == [] and photo.rgb.max() == 255
