"""`portraitize convert` against a hostile user (issue 16): each class of defect built from scratch.

Every case checks what the README promises: inputs byte-identical after the run, every output reopens,
every bad file named once with its reason on one line, the documented exit code, never a traceback.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import gradient_image, output_files, write_image
from PIL import Image, ImageCms
from tiny_models import make_faulty_translator, with_metadata

import portraitize.images
import portraitize.pipeline
import portraitize.plan
from portraitize.model_set import ModelSet
from portraitize.pipeline import ConvertSettings, convert_jobs
from portraitize.plan import make_plan
from portraitize.session import load_model
from portraitize.translate import PaintSettings

BUNDLED_TRANSLATORS = ["oil-portrait", "starry-night", "great-wave", "the-kiss"]


def digest(folder):
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def convert(cli, *args):
    """Run `portraitize convert`; the output never holds a traceback."""
    result = cli("convert", *args)
    assert "Traceback" not in result.output, result.output
    return result


def failures(output: str) -> dict[str, str]:
    """file -> reason from the summary's `x FILE: REASON` lines; each file may be named only once."""
    lines = [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("x ")]
    named = dict(line.split(": ", 1) for line in lines)
    assert len(named) == len(lines), f"a file is named twice:\n{output}"
    return named


def notes(output: str) -> dict[str, str]:
    return dict(line.strip()[2:].split(": ", 1) for line in output.splitlines() if line.strip().startswith("! "))


def reopen_all(folder) -> dict[str, Image.Image]:
    """Every file under `folder` decoded in full by Pillow: relative name -> image."""
    images = {}
    for relative in output_files(folder):
        path = folder / relative
        if path.is_file():
            with Image.open(path) as image:
                image.load()
                images[str(path.relative_to(folder))] = image.copy()
    return images


def exif_blob(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian EXIF block written by hand, so that it can be malformed: (tag, type, count, value)."""
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(
        struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0") for tag, kind, count, value in entries
    )
    return b"Exif\0\0II*\0" + struct.pack("<I", 8) + ifd + b"\0\0\0\0"


# Orientation 6 (SHORT) and XResolution stored as text (ASCII), where EXIF says a RATIONAL.
MALFORMED_EXIF = exif_blob([(0x0112, 3, 1, struct.pack("<H", 6)), (0x011A, 2, 4, b"abc\0")])


# 1. No output may land on an input, however the destination is nested or linked.


def test_destination_above_the_source_never_overwrites_an_input(cli, translator, tmp_path):
    d = tmp_path / "d"
    write_image(d / "p" / "a.jpg", 30, 20)
    write_image(d / "p" / "p" / "a.jpg", 20, 30)  # its output would be d/p/a.jpg: the other input
    before = digest(d)
    for extra in ((), ("--overwrite",)):
        result = convert(cli, d / "p", d, "-m", translator, *extra)
        assert result.exit_code == 2 and "would overwrite the input" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert digest(d) == before
    (d / "p" / "a.jpg").unlink()  # no input there now, but the output would still land inside the source
    before = digest(d)
    result = convert(cli, d / "p", d, "-m", translator)
    assert result.exit_code == 2 and "inside the source folder" in result.output
    assert digest(d) == before


def test_destination_folder_linked_into_the_source_is_refused(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    write_image(src / "sub" / "a.png")
    dst.mkdir()
    (dst / "sub").symlink_to(src / "sub")
    before = digest(src)
    result = convert(cli, src, dst, "-m", translator, "--overwrite")
    assert result.exit_code == 2 and f"would overwrite the input {src / 'sub' / 'a.png'}" in result.output
    assert digest(src) == before


def test_single_photo_converts_next_to_itself_but_never_over_itself(cli, translator, tmp_path, monkeypatch):
    """5. The README's `cd photos; portraitize convert me.jpg ./out` works; `... me.jpg .` is refused."""
    photos = tmp_path / "photos"
    write_image(photos / "me.jpg", 30, 20)
    before = digest(photos)
    monkeypatch.chdir(photos)
    result = convert(cli, "me.jpg", "./out", "-m", translator)
    assert result.exit_code == 0, result.output
    assert set(reopen_all(photos / "out")) == {"me.jpg"}
    result = convert(cli, "me.jpg", ".", "-m", translator, "--overwrite")
    assert result.exit_code == 2 and "would overwrite the input" in result.output
    shutil.rmtree(photos / "out")
    assert digest(photos) == before


# 2. Every output is written in a mode its format and its carried metadata agree with.


def many_modes_folder(folder):
    rgb = gradient_image(24, 16)
    grey = rgb[..., 0]
    images = {
        "grey": Image.fromarray(grey),
        "grey16": Image.fromarray(grey.astype(np.uint16) * 257),
        "cmyk": Image.fromarray(rgb).convert("CMYK"),
        "bilevel": Image.fromarray(grey).convert("1"),
        "palette": Image.fromarray(rgb).convert("P"),
        "float": Image.fromarray(grey.astype(np.float32) / 255),
        "grey_alpha": Image.fromarray(rgb).convert("LA"),
        "rgba": Image.fromarray(rgb).convert("RGBA"),
        "int32": Image.fromarray(grey.astype(np.int32) * 200),
    }
    for name, image in images.items():
        image.save(folder / f"{name}.tiff", compression="tiff_lzw" if name != "float" else None)
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    Image.fromarray(rgb).save(folder / "lab_profile.png", icc_profile=lab)
    Image.fromarray(rgb).save(folder / "broken_profile.png", icc_profile=b"not a profile at all" * 8)
    Image.fromarray(grey).save(folder / "grey_profile.jpg", icc_profile=lab)
    return len(images) + 3


@pytest.mark.parametrize("output_format", [None, "png", "jpg", "webp"])
def test_every_mode_converts_into_a_file_that_reopens(cli, translator, tmp_path, output_format):
    src = tmp_path / "src"
    src.mkdir()
    count = many_modes_folder(src)
    before = digest(src)
    extra = ("--format", output_format) if output_format else ()
    result = convert(cli, src, tmp_path / "out", "-m", translator, *extra)
    assert result.exit_code == 0, result.output
    assert f"{count} converted" in result.output
    outputs = reopen_all(tmp_path / "out")
    assert len(outputs) == count
    for name, image in outputs.items():
        assert image.mode in ("RGB", "RGBA"), (name, image.mode)
        assert image.size == (24, 16)
        if image.format == "TIFF":
            assert image.tag_v2[262] == 2, f"{name}: photometric tag must say RGB"
        profile = image.info.get("icc_profile")
        if profile:
            assert ImageCms.ImageCmsProfile(io.BytesIO(profile)).profile.xcolor_space == "RGB "
    said = notes(result.output)
    assert "colour profile dropped" in said[str(src / "lab_profile.png")]
    assert "cannot be read" in said[str(src / "broken_profile.png")]
    assert digest(src) == before


# 3. One file never stops the batch; metadata that cannot be carried is dropped with a note.


def test_malformed_or_oversized_metadata_and_format_limits_fail_one_file_at_most(cli, translator, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    upright = Image.fromarray(gradient_image(30, 20))
    upright.save(src / "a_bad_exif.jpg", exif=MALFORMED_EXIF)
    upright.save(src / "b_bad_exif.webp", exif=MALFORMED_EXIF)
    big = Image.Exif()
    big[0x010E] = "x" * 70_000  # ImageDescription: 70 KB, more than a JPEG's EXIF marker holds
    upright.save(src / "c_big_exif.png", exif=big.tobytes())
    Image.fromarray(gradient_image(17_000, 1)).save(src / "d_strip.png")
    write_image(src / "e_last.png")
    before = digest(src)

    result = convert(cli, src, tmp_path / "out", "-m", translator, "--format", "jpg")
    assert result.exit_code == 0, result.output
    outputs = reopen_all(tmp_path / "out")
    assert outputs["a_bad_exif.jpg"].size == (20, 30) and outputs["b_bad_exif.jpg"].size == (20, 30)  # rotated
    said = notes(result.output)
    assert "XResolution dropped" in said[str(src / "a_bad_exif.jpg")]
    assert "more than a JPEG holds" in said[str(src / "c_big_exif.png")]

    result = convert(cli, src, tmp_path / "webp", "-m", translator, "--format", "webp")
    assert result.exit_code == 1
    assert failures(result.output) == {
        str(
            src / "d_strip.png"
        ): "17000x1 is too large for WEBP (16383 px a side at most); choose another --format, e.g. png"
    }
    assert len(reopen_all(tmp_path / "webp")) == 4
    assert digest(src) == before


FUZZ_CASES = 300


def fuzz_bases(folder) -> dict[str, bytes]:
    """Small real files whose headers and metadata the fuzzer damages."""
    rgb = gradient_image(24, 16)
    image = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "FuzzCam"
    exif.get_ifd(0x8769)[0x9003] = "2020:01:01 00:00:00"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    bases = {}
    for suffix, options in {
        ".jpg": dict(exif=exif.tobytes(), quality=80),
        ".png": dict(exif=exif.tobytes(), icc_profile=srgb),
        ".webp": dict(exif=exif.tobytes(), quality=80),
        ".tiff": dict(tiffinfo={0x0112: 6, 0x010F: "FuzzCam"}, compression="tiff_lzw"),
        ".bmp": {},
    }.items():
        buffer = io.BytesIO()
        image.save(buffer, format=Image.registered_extensions()[suffix], **options)
        bases[suffix] = buffer.getvalue()
    frames = [Image.fromarray(np.roll(rgb, shift, axis=1)).convert("P") for shift in (0, 5, 10)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    bases[".gif"] = buffer.getvalue()
    return bases


def test_fuzzed_headers_and_exif_never_end_a_batch(cli, translator, tmp_path):
    """Random byte flips in the first bytes (headers, EXIF, profiles) of real files: a few hundred, seeded."""
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(16)
    bases = fuzz_bases(src)
    suffixes = sorted(bases)
    for case in range(FUZZ_CASES):
        suffix = suffixes[case % len(suffixes)]
        data = bytearray(bases[suffix])
        for _ in range(rng.integers(1, 5)):
            data[rng.integers(0, min(len(data), 700))] = rng.integers(0, 256)
        (src / f"case{case:03d}{suffix}").write_bytes(bytes(data))
    before = digest(src)

    start = time.monotonic()
    # Headers, not painting, are under test: the stroke painter would spend the time limit on 100 pictures.
    result = convert(cli, src, tmp_path / "out", "-m", translator, "--max-pixels", 1_000_000, "--painter", "none")
    assert time.monotonic() - start < 30
    assert result.exit_code in (0, 1), result.output
    failed = failures(result.output)
    outputs = reopen_all(tmp_path / "out")
    failed_cases = {os.path.basename(name).split(".")[0] for name in failed}
    written_cases = {name.split(".")[0] for name in outputs}
    assert len(failed_cases | written_cases) == FUZZ_CASES and not failed_cases & written_cases
    assert f"{len(outputs)} converted" in result.output
    assert 0 < len(failed) < FUZZ_CASES  # the flips break some files and spare others
    assert digest(src) == before


# 4. Two inputs never share one output; the summary counts files written.


def test_colliding_outputs_are_all_written_under_distinct_names(cli, translator, tmp_path):
    src = tmp_path / "src"
    for name in ("a.gif", "a.png", "a.gif.png", "A.PNG", "b.jpg", "b.png/c.png"):
        write_image(src / name, 20, 16)
    dst = tmp_path / "out"
    result = convert(cli, src, dst, "-m", translator, "--format", "png")
    assert result.exit_code == 0 and "6 converted" in result.output, result.output
    # Compared without case (a destination may ignore it): A.PNG comes first, so a.png is numbered; a.gif's
    # full-name output is a.gif.png's own name; the file b.png would collide with the folder b.png.
    assert set(reopen_all(dst)) == {
        "A.PNG",
        "a (2).png",
        "a.gif.png",
        "a.gif (2).png",
        "b (2).png",
        "b.png/c.png",
    }
    again = convert(cli, src, dst, "-m", translator, "--format", "png")
    assert "0 converted, 6 skipped" in again.output


# 6. Errors are reported as the README says: one line, the right reason, the right exit code.


def deny(monkeypatch, *paths):
    """Make `paths` unreadable (Permission denied), even for root."""
    denied = {str(path) for path in paths}
    real_scandir, real_open = os.scandir, open

    def scandir(path="."):
        if str(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    def guarded_open(path, *args, **kwargs):
        if str(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(portraitize.images, "open", guarded_open, raising=False)


def test_unreadable_folders_and_files_are_named_with_the_real_reason(cli, translator, tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_image(src / "ok.png")
    write_image(src / "locked" / "hidden_from_us.png")
    write_image(src / "secret.png")
    deny(monkeypatch, src / "locked", src / "secret.png")
    result = convert(cli, src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 1, result.output
    assert failures(result.output) == {
        str(src / "locked"): "cannot read this folder (Permission denied)",
        str(src / "secret.png"): "cannot read this file (Permission denied)",
    }
    assert "1 converted" in result.output

    deny(monkeypatch, src)
    result = convert(cli, src, tmp_path / "out2", "-m", translator)
    assert result.exit_code == 2 and f"cannot read the source folder {src}" in result.output


def test_bad_option_values_are_usage_errors(cli, translator, sampler, tmp_path):
    photo = write_image(tmp_path / "src" / "p.png")
    for args in (
        ("convert", photo, tmp_path / "out", "-m", translator, "--threads", "99999999999"),
        ("sample", "-n", 1, "-o", tmp_path / "s", "-m", sampler, "--seed", "-1"),
    ):
        result = cli(*args)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "s").exists()


def test_models_that_break_the_contract_are_refused_before_any_work(cli, sampler, tmp_path):
    photo = write_image(tmp_path / "src" / "p.png")
    grey = make_faulty_translator(tmp_path / "grey.onnx", "grey")
    nan = make_faulty_translator(tmp_path / "nan.onnx", "nan")
    for model, reason in ((grey, "gives an output of shape [1, 1,"), (nan, "gives NaN or infinite values")):
        result = convert(cli, photo, tmp_path / "out", "-m", model)
        assert result.exit_code == 2 and reason in result.output, result.output
    wrong_latent = with_metadata(sampler, tmp_path / "wrong-latent.onnx", latent_size="5")
    result = cli("sample", "-n", 2, "-o", tmp_path / "s", "-m", wrong_latent)
    assert result.exit_code == 2 and "does not run on a latent of 5 values" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "s").exists()


def test_a_nan_painting_fails_its_photo_only(cli, tmp_path):
    model = make_faulty_translator(tmp_path / "flat-nan.onnx", "nan-on-flat")
    src = tmp_path / "src"
    for index in range(3):
        write_image(src / f"p{index}.png", 20, 16)
    Image.new("RGB", (20, 16), (90, 90, 90)).save(src / "flat.png")
    result = convert(cli, src, tmp_path / "out", "-m", model, "--batch-size", 4)
    assert result.exit_code == 1
    assert failures(result.output) == {str(src / "flat.png"): "the model gave NaN or infinite values for this image"}
    assert set(reopen_all(tmp_path / "out")) == {"p0.png", "p1.png", "p2.png"}


def test_sample_onto_a_failing_disk_is_one_line(cli, sampler, tmp_path, monkeypatch):
    def full(path, rgb, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("portraitize.sampling.save_image", full)
    result = cli("sample", "-n", 3, "-o", tmp_path / "s", "-m", sampler)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "0 written, then x" in result.output and "cannot write (No space left on device)" in result.output


def test_model_folders_that_are_missing_or_dangling_are_named(cli, translator, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "gone.onnx").symlink_to(tmp_path / "nowhere.onnx")
    monkeypatch.setenv("PORTRAITIZE_MODELS", os.pathsep.join([str(models), str(tmp_path / "typo")]))
    result = subprocess.run([sys.executable, "-m", "portraitize", "models"], capture_output=True, text=True)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "gone" in result.stdout and "model file not found" in result.stdout
    assert f"names {tmp_path / 'typo'}, which is not a folder" in result.stderr
    photo = write_image(tmp_path / "src" / "p.png")
    result = convert(cli, photo, tmp_path / "out", "-m", translator)
    assert result.exit_code == 0 and "which is not a folder" in result.output


# 7. What is an image is Pillow's call, for a named file and a folder's member alike; what is left out is said.


@pytest.mark.filterwarnings("ignore:IM image format is deprecated")  # still one the issue names
def test_every_image_pillow_opens_is_converted_and_what_is_left_out_is_named(cli, translator, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    image = Image.fromarray(gradient_image(24, 16))
    image.save(src / "photo.avif", format="AVIF")
    image.save(src / "anim.apng", format="PNG")
    image.save(src / "old.im", format="IM")
    image.save(src / "IMG_0001", format="JPEG")  # no extension
    image.save(src / "misnamed.txt", format="PNG")
    (src / "notes.txt").write_text("not an image")
    image.save(src / ".hidden.jpg", format="JPEG")
    (src / "broken.jpg").symlink_to(tmp_path / "nowhere.jpg")
    elsewhere = tmp_path / "elsewhere"
    write_image(elsewhere / "linked.png")
    (src / "linked_folder").symlink_to(elsewhere)
    before = digest(src)

    result = convert(cli, src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 0, result.output
    assert set(reopen_all(tmp_path / "out")) == {"photo.png", "anim.png", "old.png", "IMG_0001.jpg", "misnamed.png"}
    assert "5 converted, 0 skipped (already there), 0 failed, 4 left out" in result.output
    for reason, name in (
        ("not an image", "notes.txt"),
        ("hidden file", ".hidden.jpg"),
        ("a broken link", "broken.jpg"),
        ("a link to a folder, not followed", "linked_folder"),
    ):
        assert f"left out, {reason} (1): {src / name}" in result.output
    single = convert(cli, src / "photo.avif", tmp_path / "single", "-m", translator)
    assert single.exit_code == 0 and set(reopen_all(tmp_path / "single")) == {"photo.png"}
    assert digest(src) == before


# 8. Every size Pillow opens paints with every bundled model; memory is bounded by pixels in flight.


@pytest.mark.parametrize("model", BUNDLED_TRANSLATORS)
def test_thin_and_tiny_images_paint_with_every_bundled_model(cli, tmp_path, model):
    src = tmp_path / "src"
    src.mkdir()
    sizes = [(1, 1), (2, 3), (700, 1), (1, 700), (3, 900), (17_000, 2)]
    for width, height in sizes:
        Image.fromarray(gradient_image(width, height)).save(src / f"{width}x{height}.png")
    result = convert(cli, src, tmp_path / "out", "-m", model)
    assert result.exit_code == 0, result.output
    outputs = reopen_all(tmp_path / "out")
    assert {name: image.size for name, image in outputs.items()} == {f"{w}x{h}.png": (w, h) for w, h in sizes}
    tiled = convert(cli, src / "17000x2.png", tmp_path / "tiled", "-m", model, "--full-res")
    assert tiled.exit_code == 0 and reopen_all(tmp_path / "tiled")["17000x2.png"].size == (17_000, 2)


def test_pixels_in_flight_stay_within_the_bound(translator, tmp_path, monkeypatch):
    src = tmp_path / "src"
    sizes = {f"small{index}.png": (40, 30) for index in range(8)} | {"big.png": (100, 100)}
    for name, (width, height) in sizes.items():
        write_image(src / name, width, height)
    pixels = {name: width * height for name, (width, height) in sizes.items()}
    held, peak = [0], [0]
    real_read = portraitize.pipeline.read_marked

    def counting_read(files, path, max_pixels):  # a photo's memory is held from its read on
        held[0] += pixels[path.name]  # the GIL makes += on one list item safe enough here
        peak[0] = max(peak[0], held[0])
        return real_read(files, path, max_pixels)

    def done(job, outcome):
        assert outcome.error is None, outcome
        held[0] -= pixels[job.source.name]

    monkeypatch.setattr(portraitize.pipeline, "read_marked", counting_read)
    plan = make_plan(src, tmp_path / "out", None, False)
    settings = ConvertSettings(PaintSettings(max_size=64), batch_size=4, pixels_in_flight=3_000, io_workers=4)
    convert_jobs(ModelSet(load_model(translator)), plan.todo, settings, done)
    assert peak[0] == 10_000  # the big photo alone; never two 1,200-pixel photos beside it, never three small ones
    assert len(output_files(tmp_path / "out")) == len(sizes)


def test_pixels_in_flight_count_a_painting_size_makes_larger_than_its_photo(translator, tmp_path, monkeypatch):
    """A 1 px photo at --size 16384 is a 268-megapixel painting: the bound counts the painting's pixels (at most a
    square of that side), not the photo's, or a folder of thumbnails would start dozens of such paintings at once."""
    src = tmp_path / "src"
    for index in range(6):
        write_image(src / f"thumb{index}.png", 40, 30)
    held, peak = [0], [0]
    real_load = portraitize.pipeline.load_photo

    def counting_load(handle, max_pixels):
        held[0] += 1
        peak[0] = max(peak[0], held[0])
        return real_load(handle, max_pixels)

    def done(job, outcome):
        assert outcome.error is None, outcome
        held[0] -= 1

    monkeypatch.setattr(portraitize.pipeline, "load_photo", counting_load)
    plan = make_plan(src, tmp_path / "out", None, False)
    paint = PaintSettings(max_size=64, size=100)
    settings = ConvertSettings(paint, batch_size=4, pixels_in_flight=15_000, io_workers=4)
    convert_jobs(ModelSet(load_model(translator)), plan.todo, settings, done)
    assert peak[0] == 1  # 100 x 100 counted for each: never two at once (their photos, 1,200 px, would fit twelve)
    assert {Image.open(path).size for path in (tmp_path / "out").glob("*.png")} == {(100, 75)}


# 9. Animated GIFs and multi-page TIFFs: the first frame is painted, and the summary says so.


def test_only_the_first_frame_is_painted_and_said(cli, translator, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    frames = [Image.fromarray(np.roll(gradient_image(24, 16), shift, axis=1)) for shift in (0, 6, 12)]
    frames[0].convert("P").save(src / "anim.gif", save_all=True, append_images=[f.convert("P") for f in frames[1:]])
    frames[0].save(src / "pages.tiff", save_all=True, append_images=frames[1:])
    result = convert(cli, src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 0, result.output
    said = notes(result.output)
    assert said == {str(src / name): "only the first of its 3 frames is painted" for name in ("anim.gif", "pages.tiff")}
    assert set(reopen_all(tmp_path / "out")) == {"anim.png", "pages.tiff"}


# The Ray engine runs the same per-file step: the same hostile folder gives the same outputs and summary.


def hostile_folder(folder, elsewhere):
    """One of each class above that a folder can hold."""
    folder.mkdir()
    many_modes_folder(folder)
    image = Image.fromarray(gradient_image(30, 20))
    image.save(folder / "bad_exif.jpg", exif=MALFORMED_EXIF)
    image.save(folder / "bad_exif.webp", exif=MALFORMED_EXIF)
    for name in ("a.gif", "a.png", "a.gif.png"):
        image.save(folder / name)
    image.save(folder / "no_extension", format="JPEG")
    frames = [image.convert("P"), image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("P")]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    Image.fromarray(gradient_image(17_000, 2)).save(folder / "strip.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "bad.jpg").write_text("not a photo")
    (folder / "empty.png").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes((folder / "bad_exif.jpg").read_bytes()[:300])
    image.save(folder / ".hidden.png")
    (folder / "broken.png").symlink_to(elsewhere / "nowhere.png")
    write_image(elsewhere / "linked.png")
    (folder / "linked").symlink_to(elsewhere)


def summary(stderr: str) -> list[str]:
    """The summary's lines: counts, then failures, notes and files left out (not where the paintings went, which
    differs from engine to engine here)."""
    lines = stderr.splitlines()
    start = next(index for index, line in enumerate(lines) if " converted, " in line)
    return [line for line in lines[start:] if not line.startswith("paintings in ")]


@pytest.mark.ray
@pytest.mark.slow
def test_ray_engine_treats_a_hostile_folder_as_the_local_engine_does(translator, tmp_path):
    pytest.importorskip("ray")
    src = tmp_path / "src"
    hostile_folder(src, tmp_path / "elsewhere")
    before = digest(src)
    results = {}
    for engine in ("local", "ray"):
        command = [
            sys.executable,
            "-m",
            "portraitize",
            "convert",
            str(src),
            str(tmp_path / engine),
            "-m",
            str(translator),
            "--engine",
            engine,
            "--workers",
            "2",
            "--batch-size",
            "3",
        ]
        results[engine] = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert results[engine].returncode == 1, results[engine].stderr[-3000:]
        assert "Traceback" not in results[engine].stderr
    assert summary(results["local"].stderr) == summary(results["ray"].stderr)
    assert set(failures(results["ray"].stderr)) == {
        str(src / name) for name in ("bad.jpg", "empty.png", "truncated.jpg")
    }
    local, on_ray = reopen_all(tmp_path / "local"), reopen_all(tmp_path / "ray")
    assert set(local) == set(on_ray) and len(local) == 20
    for name, image in local.items():
        assert np.abs(np.asarray(image, dtype=int) - np.asarray(on_ray[name], dtype=int)).max() <= 1, name
    assert digest(src) == before
