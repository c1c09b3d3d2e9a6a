"""Painting at the photo's own resolution: the face-scale rule, the upscaler chain and portrait framing."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import gradient_image, write_image
from tiny_models import make_upscaler

from portraitize.face_scale import painting_size
from portraitize.faces import Face
from portraitize.framing import portrait_box
from portraitize.session import load_model
from portraitize.translate import PaintSettings
from portraitize.upscale import enlarge, upscale


def face(x: float, y: float, size: float) -> Face:
    return Face(x - size / 2, y - size / 2, x + size / 2, y + size / 2, 0.99)


def test_the_main_face_is_painted_at_the_translators_face_size():
    # a 4032 x 3024 phone photo whose face is 800 px: painted where that face is 100 px
    assert painting_size((4032, 3024), face(2000, 1200, 800), face_size=100, max_size=256) == (504, 378)
    # no face found, or a translator that does not know its face size: today's long-side rule
    assert painting_size((4032, 3024), None, face_size=100, max_size=256) == (256, 192)
    assert painting_size((4032, 3024), face(2000, 1200, 800), face_size=0, max_size=256) == (256, 192)
    # never enlarged: a small photo whose face is smaller than the training faces stays as it is
    assert painting_size((300, 200), face(150, 100, 50), face_size=100, max_size=256) == (300, 200)
    # a tiny face in a big scene: painted as a scene, at most as many pixels as 1024 x 768
    assert painting_size((8000, 6000), face(100, 100, 20), face_size=100, max_size=256) == (1024, 768)
    assert painting_size((6000, 6000), face(100, 100, 20), face_size=100, max_size=256) == (887, 887)
    # a panorama's face is bound by the same pixels, not by its long side (which painted this face at 22 px)
    width, height = painting_size((8000, 1000), face(4000, 500, 171), face_size=100, max_size=256)
    assert width * height <= 1.01 * 1024 * 768 and 171 * width / 8000 > 50  # (rounding)
    # an absurd strip: as long as the pixels allow, counting its short side as padded to 64
    assert painting_size((100_000, 10), face(50_000, 5, 10), face_size=100, max_size=256) == (12288, 1)


def test_a_close_up_is_never_painted_at_fewer_pixels_than_the_long_side_rule():
    """Issue 31, case 8: a face filling most of the photo was painted blurrier by --scale auto than by long-side."""
    for side in (512, 3000):
        close_up = face(side / 2, side / 2, 0.85 * side)
        assert painting_size((side, side), close_up, face_size=100, max_size=256) == (256, 256)
    assert painting_size((4000, 3000), face(2000, 1500, 2400), face_size=100, max_size=256) == (256, 192)


def test_a_thin_photo_is_painted_at_a_sensible_short_side():
    """Issue 31, case 8: a 20000 x 40 strip without a face was painted at 256 x 1, one brown smear."""
    width, height = painting_size((20_000, 40), None, face_size=100, max_size=256)
    assert height >= 24 and width * max(height, 64) <= 12 * 256 * 256
    assert painting_size((2000, 20), None, face_size=0, max_size=256) == (2000, 20)  # never enlarged
    assert painting_size((8000, 1000), None, face_size=100, max_size=256) == (512, 64)


@pytest.mark.parametrize("device, most_at_once", [("CPU", 1), ("CUDA", 3)])
def test_finishing_runs_on_its_own_worker_one_photo_at_a_time_on_the_cpu(
    device, most_at_once, translator, tmp_path, monkeypatch
):
    # On the CPU two finishing passes at once only add up their workspaces and share the same cores.
    import threading
    import time

    import portraitize.chain
    from portraitize.model_set import ModelSet
    from portraitize.pipeline import ConvertSettings, convert_jobs
    from portraitize.plan import make_plan

    running, most, lock = [], [], threading.Lock()
    real_finish = portraitize.chain.PaintChain.finish

    def slow_finish(self, sitting, painted):
        with lock:
            running.append(1)
            most.append(len(running))
        time.sleep(0.1)
        with lock:
            running.pop()
        return real_finish(self, sitting, painted)

    monkeypatch.setattr(portraitize.chain.PaintChain, "finish", slow_finish)
    for index in range(3):
        write_image(tmp_path / "src" / f"{index}.png", 40 + index * 8, 30)  # three sizes: three model calls
    model = load_model(translator)
    monkeypatch.setattr(type(model), "device_name", property(lambda self: device))
    plan = make_plan(tmp_path / "src", tmp_path / "out", None, False)
    outcomes = []
    settings = ConvertSettings(PaintSettings(max_size=64), batch_size=1, io_workers=3)
    convert_jobs(ModelSet(model), plan.todo, settings, lambda job, outcome: outcomes.append(outcome.error))
    assert outcomes == [None] * 3 and len(most) == 3 and max(most) == most_at_once


def test_a_large_translator_call_gives_its_memory_back_and_a_small_one_keeps_it(face_translator, monkeypatch):
    # Each photo is painted at its own size; memory kept for every size grew to 1.8 GB over four phone photos.
    import portraitize.session

    translator = load_model(face_translator, "cpu", kind="translator")
    shrinks = []
    real_run = translator.session.run

    def run(outputs, feeds, run_options=None):
        entry = run_options.get_run_config_entry("memory.enable_memory_arena_shrinkage") if run_options else ""
        shrinks.append(entry)
        return real_run(outputs, feeds, run_options)

    monkeypatch.setattr(translator, "session", type("Spy", (), {"run": staticmethod(run)})())
    monkeypatch.setattr(portraitize.session, "CPU_CALL_PIXELS", 40 * 40)
    translator.run(np.zeros((1, 3, 32, 32), np.float32))
    translator.run(np.zeros((2, 3, 32, 32), np.float32))
    translator.provider = portraitize.session.CUDA  # a GPU's memory is its own business
    translator.run(np.zeros((2, 3, 32, 32), np.float32))
    assert shrinks == ["", "cpu:0", ""]


@pytest.fixture(scope="module")
def upscaler(tmp_path_factory):
    return load_model(make_upscaler(tmp_path_factory.mktemp("up") / "tiny-upscaler.onnx", factor=2), "cpu")


def test_upscaler_tiles_join_exactly(upscaler):
    rgb = gradient_image(150, 97, seed=3)
    whole = upscale(rgb, upscaler, tile=10_000)
    assert whole.shape == (194, 300, 3)
    assert np.array_equal(upscale(rgb, upscaler, tile=40), whole)


def test_chain_upscales_past_1_25x_again_past_2x_then_resizes(upscaler, monkeypatch):
    calls = []
    real_run = upscaler.run
    monkeypatch.setattr(upscaler, "run", lambda batch: calls.append(batch.shape) or real_run(batch))
    rgb = gradient_image(50, 40)
    out = enlarge(rgb, (430, 344), upscaler)  # 8.6x: three x2 passes (to 400 x 320), then a resize
    assert out.shape == (344, 430, 3) and out.dtype == np.uint8
    assert [shape[2:] for shape in calls] == [(40, 50), (80, 100), (160, 200)]
    calls.clear()
    assert enlarge(rgb, (430, 344), upscaler, max_input_pixels=8000).shape == (344, 430, 3)  # above it: resized
    assert [shape[2:] for shape in calls] == [(40, 50), (80, 100)]
    calls.clear()
    assert enlarge(rgb, (90, 72), upscaler).shape == (72, 90, 3)  # 1.8x: one pass, reduced to size
    assert [shape[2:] for shape in calls] == [(40, 50)]
    calls.clear()
    assert enlarge(rgb, (150, 120), upscaler).shape == (120, 150, 3)  # 3x: one pass; 1.5x left is resized
    assert [shape[2:] for shape in calls] == [(40, 50)]
    calls.clear()
    assert enlarge(rgb, (60, 48), upscaler).shape == (48, 60, 3) and not calls  # 1.2x: resized only
    assert enlarge(rgb, (90, 72), None).shape == (72, 90, 3)
    assert enlarge(gradient_image(400, 3), (4000, 30), upscaler).shape == (
        30,
        4000,
        3,
    )  # a thin strip: by its thin side


def test_portrait_frame_is_4_to_5_around_the_face_and_stays_inside():
    left, top, right, bottom = portrait_box((2000, 1500), face(1000, 600, 200))
    assert (right - left) / (bottom - top) == pytest.approx(0.8, abs=0.01)
    assert right - left == pytest.approx(520, abs=1) and left < 900 and right > 1100
    # a face at the left edge: the frame slides inside the image instead of leaving it
    left, top, right, bottom = portrait_box((2000, 1500), face(40, 300, 200))
    assert left == 0 and top >= 0 and bottom <= 1500
    # a face too large for a 4:5 frame inside the image: the frame shrinks, still 4:5, still inside
    left, top, right, bottom = portrait_box((600, 500), face(300, 250, 400))
    assert 0 <= left and right <= 600 and 0 <= top and bottom <= 500
    assert (right - left) / (bottom - top) == pytest.approx(0.8, abs=0.01)
    assert portrait_box((600, 500), None) is None


def test_face_finder_maps_boxes_back_to_the_photos_pixels():
    from conftest import EXAMPLES, REPO
    from PIL import Image

    from portraitize.face_scale import FaceFinder
    from portraitize.faces import onnx_cascade

    cascade = onnx_cascade(
        ort.InferenceSession(str(REPO / "exported" / "face-detector.onnx"), providers=["CPUExecutionProvider"])
    )
    photo = Image.open(EXAMPLES / "astronaut.jpg").convert("RGB")
    small = FaceFinder(cascade).faces(np.asarray(photo))[0]
    big = FaceFinder(cascade).faces(np.asarray(photo.resize((2048, 2048))))[0]  # detected on a 640 px copy
    assert big.size == pytest.approx(4 * small.size, rel=0.1)
    assert big.centre[0] == pytest.approx(4 * small.centre[0], rel=0.05)


@pytest.fixture(scope="module")
def face_translator(tmp_path_factory):
    from tiny_models import make_translator

    return make_translator(tmp_path_factory.mktemp("ft") / "face-painter.onnx", face_size=40)


@pytest.fixture(scope="module")
def upscaler_file(tmp_path_factory):
    return make_upscaler(tmp_path_factory.mktemp("upf") / "tiny-upscaler.onnx", factor=2)


def big_astronaut(tmp_path, side: int = 1024, mode: str = "RGB"):
    from conftest import EXAMPLES
    from PIL import Image

    path = tmp_path / "src" / "astronaut.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.open(EXAMPLES / "astronaut.jpg").convert(mode).resize((side, side)).save(path)
    return path


def test_convert_paints_at_the_face_scale_and_upscales_to_the_photos_size(
    cli, face_translator, upscaler_file, tmp_path, monkeypatch
):
    from PIL import Image

    from portraitize.session import ModelSession

    shapes = []
    original = ModelSession.run
    monkeypatch.setattr(
        ModelSession,
        "run",
        lambda self, batch, *extra: shapes.append((self.info.kind, batch.shape)) or original(self, batch, *extra),
    )
    photo = big_astronaut(tmp_path)
    result = cli("convert", photo, tmp_path / "out", "-m", face_translator, "--upscaler", upscaler_file)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "painted at the size where the main face is 40 px wide" in said and "enlarged by tiny-upscaler" in said
    painted = [shape for kind, shape in shapes if kind == "translator" and shape[2] > 32]  # not the load-time probe
    assert len(painted) == 1 and 160 <= max(painted[0][2:]) <= 210  # her ~220 px face brought to 40 px
    assert any(kind == "upscaler" and shape[2] > 32 for kind, shape in shapes)
    assert Image.open(tmp_path / "out" / "astronaut.png").size == (1024, 1024)
    # EXIF travels through the chain: a JPEG's camera tags reach the enlarged painting
    exif = Image.Exif()
    exif[0x013B] = "Photo: NASA"  # Artist
    Image.open(photo).convert("RGB").save(tmp_path / "src" / "tagged.jpg", exif=exif)
    assert cli("convert", tmp_path / "src" / "tagged.jpg", tmp_path / "tagged", "-m", face_translator).exit_code == 0
    with Image.open(tmp_path / "tagged" / "tagged.jpg") as painted:
        assert painted.size == (1024, 1024) and painted.getexif().get(0x013B) == "Photo: NASA"
    # --scale long-side: today's rule, the model's native size
    shapes.clear()
    assert (
        cli(
            "convert", photo, tmp_path / "long", "-m", face_translator, "--scale", "long-side", "--upscaler", "none"
        ).exit_code
        == 0
    )
    assert [max(shape[2:]) for kind, shape in shapes if kind == "translator" and shape[2] > 32] == [64]


def test_portrait_frame_near_an_edge_keeps_alpha_and_stays_inside(cli, face_translator, tmp_path):
    from conftest import EXAMPLES
    from PIL import Image

    canvas = Image.new("RGBA", (1400, 700), (40, 60, 80, 128))
    canvas.paste(
        Image.open(EXAMPLES / "astronaut.jpg").convert("RGBA").resize((600, 600)), (0, 50)
    )  # face near the left edge
    (tmp_path / "src").mkdir()
    canvas.save(tmp_path / "src" / "wide.png")
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", face_translator, "--frame", "portrait")
    assert result.exit_code == 0, result.output
    framed = Image.open(tmp_path / "out" / "wide.png")
    assert framed.mode == "RGBA" and framed.size[0] / framed.size[1] == pytest.approx(0.8, abs=0.01)
    assert framed.size[0] < 700 and framed.size[1] <= 700


def test_frame_without_a_face_leaves_the_image_and_says_so(cli, face_translator, tmp_path):
    from conftest import write_image

    write_image(tmp_path / "src" / "plain.png", 80, 60)
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", face_translator, "--frame", "portrait")
    assert result.exit_code == 0 and "no face found: not framed" in result.output


def test_a_bad_or_missing_upscaler_is_one_clear_line(cli, face_translator, tmp_path):
    photo = big_astronaut(tmp_path, side=128)
    cases = {
        str(tmp_path / "missing.onnx"): "model file not found",
        str(face_translator): "is a translator, but --upscaler needs an upscaler",
    }
    for upscaler, message in cases.items():
        result = cli("convert", photo, tmp_path / "out", "-m", face_translator, "--upscaler", upscaler)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out").exists()


def _translator_inputs(monkeypatch) -> list[tuple[int, ...]]:
    """The shapes of the translator's calls from now on, the load-time probes left out."""
    from portraitize.session import ModelSession

    shapes = []
    original = ModelSession.run
    monkeypatch.setattr(
        ModelSession,
        "run",
        lambda self, batch, *extra: (
            (self.info.kind == "translator" and shapes.append(batch.shape)) or original(self, batch, *extra)
        ),
    )
    return shapes


def test_a_thin_strip_is_painted_at_its_own_short_side(cli, translator, tmp_path, monkeypatch):
    from conftest import write_image

    write_image(tmp_path / "src" / "strip.png", 2000, 20)
    shapes = _translator_inputs(monkeypatch)
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", translator, "--max-size", "256")
    assert result.exit_code == 0, result.output
    assert [shape[2:] for shape in shapes] == [(20, 2000)]  # not 3 x 256


def test_a_thin_strip_keeps_its_short_side_with_the_long_side_rule_too(cli, translator, tmp_path, monkeypatch):
    from conftest import write_image

    write_image(tmp_path / "src" / "strip.png", 2000, 20)
    shapes = _translator_inputs(monkeypatch)
    result = cli(
        "convert", tmp_path / "src", tmp_path / "out", "-m", translator, "--max-size", "256", "--scale", "long-side"
    )
    assert result.exit_code == 0, result.output
    assert min(shapes[0][2:]) >= 20


def test_a_close_up_is_painted_at_least_at_the_long_side_rule(cli, face_translator, tmp_path, monkeypatch):
    from conftest import EXAMPLES
    from PIL import Image

    path = tmp_path / "src" / "close-up.png"
    path.parent.mkdir()
    Image.open(EXAMPLES / "astronaut.jpg").crop((160, 53, 285, 178)).resize((512, 512)).save(path)  # face ~420 px
    shapes = _translator_inputs(monkeypatch)
    result = cli(
        "convert",
        path,
        tmp_path / "out",
        "-m",
        face_translator,
        "--max-size",
        "128",
        "--upscaler",
        "none",
        "--texture",
        "none",
    )
    assert result.exit_code == 0, result.output
    assert [max(shape[2:]) for shape in shapes] == [128]  # the long-side rule's 128, not the face rule's ~49


@pytest.mark.parametrize("options", [["--scale", "long-side"], ["--full-res"]])
def test_no_option_makes_one_model_call_exceed_the_per_call_budget(cli, translator, tmp_path, monkeypatch, options):
    """Issue 31, case 6: --max-size 1024 on a 6000 x 4000 photo with a small face made one 12.6 MP model call
    (std::bad_alloc); here --max-size 2048 asks for 2.8 MP (long side) or 4.2 MP tiles (full resolution)."""
    from conftest import write_image

    from portraitize.session import MAX_CALL_PIXELS

    write_image(tmp_path / "src" / "big.png", 2400, 1800)
    shapes = _translator_inputs(monkeypatch)
    result = cli(
        "convert",
        tmp_path / "src",
        tmp_path / "out",
        "-m",
        translator,
        "--max-size",
        "2048",
        "--upscaler",
        "none",
        "--texture",
        "none",
        "--painter",
        "none",  # the model calls are the question, not the strokes laid after them
        *options,
    )
    assert result.exit_code == 0, result.output
    assert max(shape[0] * shape[2] * shape[3] for shape in shapes) <= MAX_CALL_PIXELS
