"""`portraitize convert` end to end on real files with a tiny translator."""

from __future__ import annotations

import hashlib
import re
import shutil
import stat

import numpy as np
import pytest
from conftest import EXAMPLES, gradient_image, output_files, write_heic, write_image
from PIL import Image

import portraitize.session
from portraitize.files import FILE_MODE
from portraitize.session import ModelSession


def digest(folder):
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def mixed_folder(tmp_path):
    """Real example photos plus every format and mode, in sub-folders, and three bad files."""
    src = tmp_path / "src"
    (src / "people").mkdir(parents=True)
    shutil.copy(EXAMPLES / "astronaut.jpg", src / "people" / "astronaut.jpg")
    shutil.copy(EXAMPLES / "grace_hopper.jpg", src / "grace_hopper.jpg")
    write_image(src / "formats" / "a.png", 50, 30)
    write_image(src / "formats" / "b.webp", 30, 50)
    write_image(src / "formats" / "c.bmp", 33, 17)
    write_image(src / "formats" / "d.tiff", 20, 20)
    write_image(src / "modes" / "grey.png", 20, 20, mode="L")
    write_image(src / "modes" / "palette.png", 20, 20, mode="P")
    write_image(src / "modes" / "cmyk.jpg", 20, 20, mode="CMYK")
    (src / "bad").mkdir()
    (src / "bad" / "notes.jpg").write_text("not a picture")
    (src / "bad" / "empty.png").write_bytes(b"")
    whole = write_image(tmp_path / "whole.jpg", 100, 100)
    (src / "bad" / "truncated.jpg").write_bytes(whole.read_bytes()[:300])
    (src / "README.txt").write_text("not an image, ignored")
    return src


def test_converts_a_mixed_folder_mirroring_the_tree(cli, translator, mixed_folder, tmp_path):
    before = digest(mixed_folder)
    dst = tmp_path / "out"
    result = cli("convert", mixed_folder, dst, "--model", translator)

    assert result.exit_code == 1, result.output  # three bad files
    expected = {
        "people/astronaut.jpg",
        "grace_hopper.jpg",
        "formats/a.png",
        "formats/b.webp",
        "formats/c.bmp",
        "formats/d.tiff",
        "modes/grey.png",
        "modes/palette.png",
        "modes/cmyk.jpg",
    }
    assert {str(path) for path in output_files(dst)} == expected
    for name in ("notes.jpg", "empty.png", "truncated.jpg"):
        assert f"bad/{name}:" in result.output
    assert "9 converted" in result.output and "3 failed" in result.output
    assert "painting (3 failed)" in result.output, "the bar says the failures among the photos it counts"
    assert digest(mixed_folder) == before, "inputs must never change"

    for relative in expected:
        with Image.open(mixed_folder / relative) as source, Image.open(dst / relative) as painted:
            assert painted.size == source.size
            assert painted.format == source.format
            difference = np.abs(np.asarray(painted.convert("RGB"), float) - np.asarray(source.convert("RGB"), float))
            assert difference.mean() > 5, f"{relative} was not painted"
        # the private mode of the temp file must not stick to the output
        assert stat.S_IMODE((dst / relative).stat().st_mode) == FILE_MODE


def test_rerun_skips_existing_and_overwrite_redoes(cli, translator, tmp_path):
    src = tmp_path / "src"
    for index in range(3):
        write_image(src / f"p{index}.png", 24, 24)
    dst = tmp_path / "out"
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    (dst / "p0.png").unlink()
    stamp = (dst / "p1.png").stat().st_mtime_ns
    result = cli("convert", src, dst, "-m", translator)
    assert result.exit_code == 0 and "1 converted" in result.output and "2 skipped" in result.output
    assert (dst / "p1.png").stat().st_mtime_ns == stamp
    result = cli("convert", src, dst, "-m", translator, "--overwrite")
    assert "3 converted" in result.output and re.search(r"^painting\b", result.output, re.M)
    result = cli("convert", src, dst, "-m", translator)  # nothing left to do: no progress bar at 0 of 0
    assert "0 converted, 3 skipped" in result.output and not re.search(r"^painting\b", result.output, re.M)


def test_a_destination_named_like_a_photo_is_refused_unless_it_is_plainly_a_folder(cli, translator, tmp_path):
    """`convert me.jpg painted.jpg` does not quietly make a folder named painted.jpg; a name that ends in a slash,
    or a folder of that name already there, is used; a name with another extension Pillow reads (.bw) is not
    taken for a photo's."""
    photo = write_image(tmp_path / "src" / "p.png")
    result = cli("convert", photo, tmp_path / "painted.JPG", "-m", translator)
    assert result.exit_code == 2 and "named like a photo" in result.output, result.output
    assert not (tmp_path / "painted.JPG").exists()
    result = cli("convert", photo, f"{tmp_path / 'slashed.jpg'}/", "-m", translator)
    assert result.exit_code == 0 and (tmp_path / "slashed.jpg" / "p.png").is_file(), result.output
    (tmp_path / "made.png").mkdir()
    result = cli("convert", photo, tmp_path / "made.png", "-m", translator)
    assert result.exit_code == 0 and (tmp_path / "made.png" / "p.png").is_file(), result.output
    result = cli("convert", photo, tmp_path / "portraits.bw", "-m", translator)
    assert result.exit_code == 0 and (tmp_path / "portraits.bw" / "p.png").is_file(), result.output
    result = cli("convert", photo, f"{tmp_path / 'dotted.jpg'}/.", "-m", translator)  # plainly a folder too
    assert result.exit_code == 0 and (tmp_path / "dotted.jpg" / "p.png").is_file(), result.output
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    result = cli("convert", photo, tmp_path / "gone", "-m", translator)
    assert result.exit_code == 2 and "is a link to" in result.output and "which is not there" in result.output


def test_an_empty_source_or_destination_is_refused_not_taken_for_this_folder(cli, translator, tmp_path, monkeypatch):
    """An unset variable (`convert "$PHOTOS" "$OUT"`) must not paint the current folder or into it."""
    photo = write_image(tmp_path / "src" / "p.png")
    monkeypatch.chdir(tmp_path)
    for src, dst, said in ((photo, "", "DST is empty"), ("", tmp_path / "out", "SRC is empty")):
        result = cli("convert", src, dst, "-m", translator)
        assert result.exit_code == 2 and said in result.output, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["src"]


def test_destination_inside_source_is_refused_before_any_work(cli, translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "p.png")
    for dst in (src, src / "out"):
        result = cli("convert", src, dst, "-m", translator)
        assert result.exit_code == 2 and "inside the source folder" in result.output
    assert sorted(path.name for path in src.iterdir()) == ["p.png"]


def test_a_folder_of_iphone_photos_is_painted_to_jpeg(cli, translator, tmp_path):
    src = tmp_path / "phone"
    write_heic(src / "IMG_0001.HEIC", Image.fromarray(gradient_image(48, 36)))
    write_heic(src / "IMG_0002.heic", Image.fromarray(gradient_image(36, 48, seed=1)))
    dst = tmp_path / "out"
    result = cli("convert", src, dst, "--model", translator)
    assert result.exit_code == 0, result.output
    assert {str(path) for path in output_files(dst)} == {"IMG_0001.jpg", "IMG_0002.jpg"}
    for name, size in (("IMG_0001.jpg", (48, 36)), ("IMG_0002.jpg", (36, 48))):
        with Image.open(dst / name) as painted:
            assert painted.format == "JPEG" and painted.size == size


def test_a_photo_whose_name_says_no_format_is_painted_in_the_format_of_its_content(tmp_path):
    from portraitize.plan import make_plan

    src = tmp_path / "src"
    write_heic(src / "IMG_3", Image.fromarray(gradient_image(40, 30)))  # an iPhone photo that lost its extension
    write_image(src / "scan.dat", format="JPEG")  # a JPEG under another name
    Image.fromarray(gradient_image(20, 20)).save(src / "drawing", "PNG")
    (src / "notes").write_text("not a picture")

    def targets(source, output_format=None):
        plan = make_plan(source, tmp_path / "out", output_format, False)
        return sorted(job.target.name for job in plan.todo), [path.name for path, _ in plan.left_out]

    assert targets(src) == (["IMG_3.jpg", "drawing.png", "scan.jpg"], ["notes"])
    assert targets(src / "IMG_3") == (["IMG_3.jpg"], [])
    assert targets(src / "notes") == (["notes.png"], [])  # painting it will say what it is not
    assert targets(src, "webp")[0] == ["IMG_3.webp", "drawing.webp", "scan.webp"]


def test_single_file_and_format_change_without_collisions(cli, translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "a.jpg")
    write_image(src / "a.png")
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--format", "webp")
    assert result.exit_code == 0, result.output
    assert [path.name for path in output_files(tmp_path / "out")] == ["a.jpg.webp", "a.png.webp"]

    result = cli("convert", src / "a.jpg", tmp_path / "single", "-m", translator, "--format", "png")
    assert result.exit_code == 0
    with Image.open(tmp_path / "single" / "a.png") as painted:
        assert painted.format == "PNG"


def test_rgba_keeps_its_alpha(cli, translator, tmp_path):
    rgba = np.dstack([gradient_image(32, 16), np.tile(np.linspace(0, 255, 32, dtype=np.uint8), (16, 1))])
    (tmp_path / "src").mkdir()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "src" / "cut.png")
    assert cli("convert", tmp_path / "src", tmp_path / "out", "-m", translator).exit_code == 0
    with Image.open(tmp_path / "out" / "cut.png") as painted:
        assert painted.mode == "RGBA"
        assert np.array_equal(np.asarray(painted)[..., 3], rgba[..., 3])


def test_strength_zero_gives_back_the_photo_and_keep_model_size(cli, translator, tmp_path):
    src = write_image(tmp_path / "src" / "p.png", 80, 40)
    result = cli("convert", src, tmp_path / "same", "-m", translator, "--strength", "0")
    assert result.exit_code == 0
    original = np.asarray(Image.open(src), dtype=float)
    assert np.abs(np.asarray(Image.open(tmp_path / "same" / "p.png"), dtype=float) - original).max() <= 1

    result = cli("convert", src, tmp_path / "small", "-m", translator, "--max-size", "40", "--keep-model-size")
    assert Image.open(tmp_path / "small" / "p.png").size == (40, 20)


def test_size_writes_every_painting_that_long_and_is_part_of_its_record(cli, translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "wide.png", 80, 40)
    write_image(src / "tall.png", 30, 90)
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "120")
    assert result.exit_code == 0, result.output
    assert "written 120 px on the long side" in result.output
    assert Image.open(tmp_path / "out" / "wide.png").size == (120, 60)
    assert Image.open(tmp_path / "out" / "tall.png").size == (40, 120)
    again = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "120")
    assert again.exit_code == 0 and "2 skipped" in again.output
    other = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "60")
    assert other.exit_code == 2 and "size 120 -> 60" in other.output
    own = cli("convert", src, tmp_path / "out", "-m", translator)
    assert own.exit_code == 2 and "size 120 -> the photo's own" in own.output
    assert Image.open(tmp_path / "out" / "wide.png").size == (120, 60), "a refused run changes nothing"
    smaller = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "60", "--overwrite")
    assert smaller.exit_code == 0 and Image.open(tmp_path / "out" / "wide.png").size == (60, 30)


def test_a_painting_larger_than_max_pixels_is_refused_for_that_photo_alone(cli, translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "square.png", 40, 40)
    write_image(src / "strip.png", 40, 4)
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "200", "--max-pixels", "20000")
    assert result.exit_code == 1
    assert "square.png: painted 200 px long it would be 200x200, 40,000 pixels, above the --max-pixels" in result.output
    assert {str(path) for path in output_files(tmp_path / "out")} == {"strip.png"}  # 200 x 20: within the limit


@pytest.mark.parametrize("theirs", ["IMG_1.jpg", "IMG_1.JPG"])
def test_a_photo_painted_into_its_own_folder_never_replaces_the_photo_beside_it(cli, translator, tmp_path, theirs):
    """IMG_1.HEIC is painted to JPEG: into its own folder, its painting would land on IMG_1.JPG beside it (on a disk
    without case, the same file as IMG_1.jpg; iPhone exports hold both)."""
    folder = tmp_path / "camera"
    heic = write_heic(folder / "IMG_1.HEIC", Image.fromarray(gradient_image(40, 30)))
    mine = write_image(folder / theirs, 30, 20)
    before = mine.read_bytes()
    for extra in ((), ("--overwrite",)):
        result = cli("convert", heic, folder, "-m", translator, *extra)
        assert result.exit_code == 1, result.output
        assert f"its painting (IMG_1.jpg) would land on {theirs} beside it" in result.output
        assert "--overwrite repaints" not in result.output
        assert sorted(path.name for path in folder.iterdir()) == sorted(["IMG_1.HEIC", theirs])
        assert mine.read_bytes() == before
    mine.unlink()  # now its own painting lands there, and is its own to skip or repaint
    assert cli("convert", heic, folder, "-m", translator).exit_code == 0
    assert "1 skipped" in cli("convert", heic, folder, "-m", translator).output
    assert cli("convert", heic, folder, "-m", translator, "--overwrite").exit_code == 0


def test_a_photo_reached_through_a_link_is_beside_its_real_folders_files(cli, translator, tmp_path):
    photos, desktop = tmp_path / "photos", tmp_path / "desktop"
    write_heic(photos / "IMG_2.HEIC", Image.fromarray(gradient_image(40, 30)))
    mine = write_image(photos / "IMG_2.JPG", 30, 20)
    desktop.mkdir()
    (desktop / "IMG_2.HEIC").symlink_to(photos / "IMG_2.HEIC")
    result = cli("convert", desktop / "IMG_2.HEIC", photos, "-m", translator, "--overwrite")
    assert result.exit_code == 1 and "would land on IMG_2.JPG beside it" in result.output
    assert Image.open(mine).size == (30, 20)


@pytest.mark.parametrize("other", ["--keep-model-size", "--full-res"])
def test_size_cannot_be_asked_with_another_size(cli, translator, tmp_path, other):
    src = write_image(tmp_path / "src" / "p.png", 40, 30)
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--size", "100", other)
    assert result.exit_code == 2 and f"--size and {other} contradict each other" in result.output
    assert not (tmp_path / "out").exists()


def test_stroke_painter_options_without_the_stroke_painter_are_refused(cli, translator, tmp_path):
    src = write_image(tmp_path / "src" / "p.png", 40, 30)
    result = cli(
        "convert", src, tmp_path / "out", "-m", translator, "--painter", "none", "--fineness", "fine", "--stroke-list"
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "--fineness and --stroke-list set the stroke painter" in said, result.output
    assert not (tmp_path / "out").exists()
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--painter", "none", "--background", "keep")
    assert result.exit_code == 2 and "--background sets the stroke painter" in " ".join(result.output.split())


def test_small_photos_are_told_how_to_show_their_strokes(cli, translator, tmp_path):
    src = write_image(tmp_path / "src" / "thumb.png", 60, 40)
    told = cli("convert", src, tmp_path / "own", "-m", translator)
    assert told.exit_code == 0 and "the photo is small (about 60 px long)" in told.output
    assert "--size 1024 paints larger" in told.output
    assert told.output.index("model ") < told.output.index("note:"), "the run's first line stays first"
    write_image(tmp_path / "src" / "large.png", 900, 700)
    write_image(tmp_path / "src" / "larger.png", 1000, 800)
    mixed = cli("convert", tmp_path / "src", tmp_path / "mixed", "-m", translator)
    said = " ".join(mixed.output.split())
    assert "1 of the 3 photos is small (about 60 px long)" in said and "paint them apart with --size 1024" in said
    strip = write_image(tmp_path / "strip" / "strip.png", 1200, 150)  # under a fifth of a megapixel, but long
    assert "paints larger" not in cli("convert", strip, tmp_path / "strips", "-m", translator).output
    sized = cli("convert", src, tmp_path / "large", "-m", translator, "--size", "200")
    assert sized.exit_code == 0 and "paints larger" not in sized.output
    plain = cli("convert", src, tmp_path / "plain", "-m", translator, "--painter", "none")
    assert plain.exit_code == 0 and "paints larger" not in plain.output, "said only where strokes are painted"


def test_batches_same_sized_photos_and_opens_one_session(cli, translator, tmp_path, monkeypatch):
    src = tmp_path / "src"
    for index in range(8):
        write_image(src / f"p{index}.png", 32, 24)
    write_image(src / "odd.png", 20, 20)
    batch_sizes, sessions = [], []
    original_run, original_open = ModelSession.run, portraitize.session.open_session
    monkeypatch.setattr(
        ModelSession, "run", lambda self, batch: batch_sizes.append(len(batch)) or original_run(self, batch)
    )
    monkeypatch.setattr(
        portraitize.session, "open_session", lambda *args, **kw: sessions.append(1) or original_open(*args, **kw)
    )
    result = cli(
        "convert",
        src,
        tmp_path / "out",
        "-m",
        translator,
        "--batch-size",
        "4",
        "--upscaler",
        "none",
        "--texture",
        "none",
    )
    assert result.exit_code == 0
    # Each model opened once for the run: the translator, and the painter's face detector, mask and landmarks.
    assert sorted(batch_sizes) == [1, 4, 4] and len(sessions) == 4


def test_on_cpu_large_paintings_share_no_model_call(cli, translator, tmp_path, monkeypatch):
    # Four face-scaled paintings of 1 MP in one call took 4.1 GB; the pixel budget per call keeps them apart.
    # Here the budget is two 32 x 24 paintings, so --batch-size 4 paints them two by two.
    import portraitize.translate

    src = tmp_path / "src"
    for index in range(5):
        write_image(src / f"p{index}.png", 32, 24)
    batch_sizes = []
    original_run = ModelSession.run
    monkeypatch.setattr(
        ModelSession, "run", lambda self, batch: batch_sizes.append(len(batch)) or original_run(self, batch)
    )
    monkeypatch.setattr(portraitize.translate, "CPU_CALL_PIXELS", 2 * 32 * 24 + 10)
    options = ("-m", translator, "--batch-size", "4", "--upscaler", "none", "--texture", "none")
    result = cli("convert", src, tmp_path / "out", *options)
    assert result.exit_code == 0 and sorted(batch_sizes) == [1, 2, 2], (batch_sizes, result.output)
    batch_sizes.clear()
    monkeypatch.setattr(ModelSession, "device_name", property(lambda self: "CUDA"))  # a GPU batches freely
    assert cli("convert", src, tmp_path / "gpu", *options).exit_code == 0 and sorted(batch_sizes) == [1, 4]


def test_full_res_tiles_match_a_whole_image_run(cli, translator, tmp_path):
    """The tiny translator is per-pixel, so seamless tiling must reproduce the untiled result."""
    src = write_image(tmp_path / "src" / "big.png", 300, 170)
    assert cli("convert", src, tmp_path / "whole", "-m", translator, "--max-size", "300").exit_code == 0
    result = cli("convert", src, tmp_path / "tiled", "-m", translator, "--max-size", "64", "--full-res")
    assert result.exit_code == 0 and "tiles" in result.output
    whole = np.asarray(Image.open(tmp_path / "whole" / "big.png"), dtype=float)
    tiled = np.asarray(Image.open(tmp_path / "tiled" / "big.png"), dtype=float)
    assert tiled.shape == whole.shape and np.abs(tiled - whole).max() <= 1


def test_max_pixels_guard_reports_and_continues(cli, translator, tmp_path):
    src = tmp_path / "src"
    write_image(src / "big.png", 100, 100)
    write_image(src / "small.png", 10, 10)
    result = cli("convert", src, tmp_path / "out", "-m", translator, "--max-pixels", "5000")
    assert result.exit_code == 1 and "big.png: 100x100" in result.output and "decompression bomb" in result.output
    assert (tmp_path / "out" / "small.png").exists()


def test_a_file_is_named_as_it_is_even_when_its_name_looks_like_an_emoji_code(cli, translator, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / ":smile:.jpg").write_text("not an image")
    result = cli("convert", src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 1 and ":smile:.jpg" in result.output, result.output


def test_model_errors_are_one_clear_line(cli, translator, sampler, tmp_path):
    photo = write_image(tmp_path / "src" / "p.png")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07garbage" * 10)
    cases = {
        str(tmp_path / "missing.onnx"): "model file not found",
        str(tmp_path / "src"): "a folder, not an .onnx file",
        str(corrupt): "not a loadable ONNX model",
        str(sampler): "is a sampler, but `convert` needs a translator (use it with portraitize sample)",
        "no-such-model": "no model named 'no-such-model'",
        "painting-x4": "is an upscaler, but `convert` needs a translator",
    }
    for model, message in cases.items():
        result = cli("convert", photo, tmp_path / "out", "-m", model)
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_device_choice_is_reported_and_cuda_is_never_faked(cli, translator, tmp_path, monkeypatch):
    photo = write_image(tmp_path / "src" / "p.png")
    result = cli("convert", photo, tmp_path / "out", "-m", translator, "--device", "auto")
    assert result.exit_code == 0 and "on CPU" in result.output
    monkeypatch.setattr(portraitize.session.ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    result = cli("convert", photo, tmp_path / "out2", "-m", translator, "--device", "cuda")
    # the GPU package in place of the CPU one (both provide the module `onnxruntime`), as the README's "GPU" says
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "no CUDA provider" in said
    assert "pip uninstall -y onnxruntime && pip install --force-reinstall --no-deps onnxruntime-gpu" in said


def test_cuda_fallback_inside_onnxruntime_is_an_error(translator, monkeypatch):
    """onnxruntime drops to CPU when CUDA libraries fail to load; --device cuda must not accept that."""
    monkeypatch.setattr(
        portraitize.session.ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    original = portraitize.session.open_session
    monkeypatch.setattr(portraitize.session, "open_session", lambda path, providers, threads: original(path))
    with pytest.raises(portraitize.session.DeviceError, match="fell back"):
        portraitize.session.load_model(translator, "cuda")


def test_a_destination_this_run_made_and_wrote_nothing_into_is_not_left_behind(cli, translator, tmp_path):
    """Every photo failed: the run says so, and the empty folder it made for the paintings goes with it; a folder
    that was there before stays."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.png").write_text("not an image")
    result = cli("convert", src, tmp_path / "out", "-m", translator)
    assert result.exit_code == 1 and not (tmp_path / "out").exists(), result.output
    (tmp_path / "kept").mkdir()
    assert cli("convert", src, tmp_path / "kept", "-m", translator).exit_code == 1 and (tmp_path / "kept").is_dir()


def test_the_upscaler_runs_under_no_strokes_unless_named(cli, translator, tmp_path):
    """The stroke painter paints every pixel again, over the upscaler's detail: by default a painting it paints is
    enlarged by resizing; without the painter, or when it is named, the upscaler enlarges it."""
    src = tmp_path / "src"
    write_image(src / "photo.png", 160, 120)  # the tiny translator paints at 64 px: 2.5x is left to enlarge
    said = {}
    for name, options in (
        ("default", ()),
        ("no painter", ("--painter", "none")),
        ("named", ("--upscaler", "painting-x4")),
    ):
        result = cli("convert", src, tmp_path / name, "-m", translator, *options)
        assert result.exit_code == 0, result.output
        said[name] = " ".join(result.output.split())
    assert "enlarged by resizing" in said["default"], said["default"]
    assert "enlarged by painting-x4" in said["no painter"] and "enlarged by painting-x4" in said["named"], said
