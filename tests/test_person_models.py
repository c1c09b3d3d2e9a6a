"""MediaPipe's person mask and face landmarks: the bundled ONNX files through the converter's `person.py`, the
torch rebuilds against their ONNX export, and (where the mediapipe wheel is at hand) against TFLite itself."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, REPO, gradient_image
from PIL import Image

from portraitize.catalogue import FACE_LANDMARKS, PERSON_MASK, resolve_optional
from portraitize.faces import Face
from portraitize.model_set import ModelSources
from portraitize.person import (
    CHIN,
    FACE_OVAL,
    LEFT_EYE_OUTER,
    LOWER_LIP,
    NOSE_TIP,
    RIGHT_EYE_OUTER,
    UPPER_LIP,
    Crop,
    face_landmarks,
    person_mask,
    person_masks,
)
from portraitize.session import ModelError, load_model

BUNDLED = REPO / "exported"
# The astronaut's face as the bundled face finder boxes it (examples/astronaut.jpg, 512 x 512).
ASTRONAUT_FACE = Face(178.9, 60.2, 267.4, 171.8, 1.0)
# Where a mediapipe 0.10.x wheel is, for the checks against the TFLite originals (skipped without it).
WHEEL_ENV = "PORTRAITIZE_MEDIAPIPE_WHEEL"


@pytest.fixture(scope="module")
def mask_model():
    return load_model(BUNDLED / f"{PERSON_MASK}.onnx", "cpu", 1, "person_mask")


@pytest.fixture(scope="module")
def landmark_model():
    return load_model(BUNDLED / f"{FACE_LANDMARKS}.onnx", "cpu", 1, "face_landmarks")


def astronaut() -> np.ndarray:
    return np.asarray(Image.open(EXAMPLES / "astronaut.jpg").convert("RGB"))


def test_mask_is_high_on_the_person_and_low_in_the_background(mask_model):
    rgb = astronaut()
    mask = person_mask(rgb, mask_model)
    assert mask.shape == rgb.shape[:2] and mask.dtype == np.float32 and 0 <= mask.min() and mask.max() <= 1
    assert mask[100:140, 200:240].min() > 0.9, "her face"
    assert mask[300:400, 100:200].min() > 0.9, "her suit"
    assert mask[:64, :64].max() < 0.2 and mask[:64, -64:].max() < 0.2, "the flag and the shuttle behind her"
    # Any size, any shape: the mask comes back at the photo's size; several photos share one model call.
    wide = rgb[100:260]
    masks = person_masks([wide, rgb[:, :100]], mask_model)
    assert [one.shape for one in masks] == [(160, 512), (512, 100)]
    assert person_mask(gradient_image(200, 160), mask_model).mean() < 0.1


def test_landmarks_of_the_astronauts_face(landmark_model):
    points, presence = face_landmarks(astronaut(), ASTRONAUT_FACE, landmark_model)
    assert points.shape == (468, 3) and points.dtype == np.float32 and presence > 0.95
    box = ASTRONAUT_FACE
    inside = (points[:, 0] > box.x1) & (points[:, 0] < box.x2) & (points[:, 1] > box.y1) & (points[:, 1] < box.y2)
    assert inside.mean() > 0.9, "the mesh lies on the face the box holds"
    margin = 0.15 * box.size
    assert points[:, 0].min() > box.x1 - margin and points[:, 0].max() < box.x2 + margin
    assert points[:, 1].min() > box.y1 - margin and points[:, 1].max() < box.y2 + margin
    eyes_y = points[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER], 1]
    assert eyes_y.max() < points[NOSE_TIP, 1] < points[UPPER_LIP, 1] < points[LOWER_LIP, 1] < points[CHIN, 1]
    assert points[RIGHT_EYE_OUTER, 0] < points[NOSE_TIP, 0] < points[LEFT_EYE_OUTER, 0], "the sitter's right is left"
    eye_distance = np.linalg.norm(points[LEFT_EYE_OUTER, :2] - points[RIGHT_EYE_OUTER, :2])
    assert 0.4 * box.size < eye_distance < 0.9 * box.size
    assert np.abs(points[:, 2]).max() < box.size, "z at the scale of x and y"
    # The face's outline goes once round the nose tip.
    outline = points[[*FACE_OVAL, FACE_OVAL[0]], :2] - points[NOSE_TIP, :2]
    angles = np.unwrap(np.arctan2(outline[:, 1], outline[:, 0]))
    assert abs(angles[-1] - angles[0]) == pytest.approx(2 * np.pi, abs=1e-3)


def test_refining_levels_the_crop_of_a_tilted_face(landmark_model):
    tilted = np.asarray(Image.fromarray(astronaut()).rotate(30, expand=True, fillcolor=(128, 128, 128)))
    # Her face box in the turned photo (the image turned 30 degrees anticlockwise about its centre).
    centre, turned_centre = np.array([256.0, 256.0]), np.array(tilted.shape[1::-1]) / 2
    turn = math.radians(30)
    offset = np.array(ASTRONAUT_FACE.centre) - centre
    x, y = turned_centre + [
        offset[0] * math.cos(turn) + offset[1] * math.sin(turn),
        -offset[0] * math.sin(turn) + offset[1] * math.cos(turn),
    ]
    half = ASTRONAUT_FACE.size / 2
    face = Face(x - half, y - half, x + half, y + half, 1.0)

    def eye_angle(points):
        dx, dy = points[LEFT_EYE_OUTER, :2] - points[RIGHT_EYE_OUTER, :2]
        return math.degrees(math.atan2(dy, dx))

    upright, _ = face_landmarks(astronaut(), ASTRONAUT_FACE, landmark_model)
    expected = eye_angle(upright) - 30
    first, _ = face_landmarks(tilted, face, landmark_model, refine=False)
    refined, presence = face_landmarks(tilted, face, landmark_model)
    assert presence > 0.95
    assert abs(eye_angle(refined) - expected) < abs(eye_angle(first) - expected)
    assert abs(eye_angle(refined) - expected) < 5


def test_presence_is_low_without_a_face(landmark_model):
    for blank in (np.full((300, 300, 3), 128, np.uint8), gradient_image(200, 160)):
        _, presence = face_landmarks(blank, Face(50, 40, 150, 140, 1.0), landmark_model)
        assert presence < 0.05


def test_a_crop_maps_its_pixels_back_to_the_photo():
    photo = np.zeros((120, 160, 3), np.uint8)
    photo[70, 50] = 255  # the centre of this pixel is at (50.5, 70.5)
    crop = Crop(60.0, 64.0, 48.0, math.radians(35))
    cut = crop.cut(photo, 96)
    row, col = np.unravel_index(cut[..., 0].argmax(), cut.shape[:2])
    back = crop.to_photo(np.array([[col + 0.5, row + 0.5, 2.0]]), 96)
    assert np.abs(back[0, :2] - [50.5, 70.5]).max() < 0.5  # one crop pixel is half a photo pixel
    assert back[0, 2] == pytest.approx(1.0)  # z scaled like x and y
    # Beyond the photo's edge, its edge pixels repeat.
    assert (Crop(0, 0, 40).cut(np.full((10, 10, 3), 7, np.uint8), 8) == 7).all()


def test_both_load_by_name_into_the_model_set(translator):
    mask_path, landmark_path = resolve_optional(None, "person_mask"), resolve_optional(None, "face_landmarks")
    assert mask_path == BUNDLED / "person-mask.onnx" and landmark_path == BUNDLED / "face-landmarks.onnx"
    sources = ModelSources(translator, person_mask=mask_path, face_landmarks=landmark_path).as_bytes()
    assert isinstance(sources.person_mask, bytes) and isinstance(sources.face_landmarks, bytes)
    models = sources.load("cpu", threads=1)
    assert models.person_mask.info.kind == "person_mask" and models.face_landmarks.info.native_size == 192
    assert models.person_mask.device_name == "CPU"
    with pytest.raises(ModelError, match="is a person_mask, but `convert` needs a translator"):
        load_model(mask_path, "cpu", kind="translator")


def _torch_vs_onnx(module, spec) -> float:
    import onnxruntime as ort
    import torch

    from trainer.export_mediapipe import Source, model_info, to_onnx

    info = model_info(spec, Source(b"", "random weights"))
    session = ort.InferenceSession(to_onnx(module, info).SerializeToString(), providers=["CPUExecutionProvider"])
    size = spec.native_size
    worst = 0.0
    for count in (1, 3):
        batch = np.random.default_rng(count).random((count, 3, size, size), dtype=np.float32)
        actual = session.run(info.output_names, {info.input_name: batch})
        with torch.no_grad():
            expected = module(torch.from_numpy(batch))
        expected = expected if isinstance(expected, tuple) else (expected,)
        for one, other in zip(actual, expected):
            assert one.shape == tuple(other.shape)
            worst = max(worst, float(np.abs(one - other.numpy()).max()))
    return worst


def test_the_torch_networks_export_to_onnx_with_a_dynamic_batch():
    """Random weights (no MediaPipe file needed): the export keeps what torch computes."""
    import torch

    from trainer.export_mediapipe import SPECS, FaceLandmarksGraph
    from trainer.models.face_landmarks import FaceLandmarks
    from trainer.models.selfie_segmentation import SelfieSegmentation

    torch.manual_seed(0)
    assert _torch_vs_onnx(SelfieSegmentation().eval(), SPECS["person-mask"]) < 1e-4
    assert _torch_vs_onnx(FaceLandmarksGraph(FaceLandmarks()).eval(), SPECS["face-landmarks"]) < 1e-3


def test_prelu_is_written_as_relu_and_min_with_the_same_numbers():
    """onnxruntime runs PReLU slowly (the face check runs the face mesh on every sampled portrait): the export
    writes it as Relu(x) + slope * Min(x, 0), which must give exactly PReLU's numbers."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from trainer.export_mediapipe import prelu_as_relu

    slope = np.array([0.25, -0.5, 1e-3], np.float32).reshape(1, 3, 1, 1)
    graph = helper.make_graph(
        [helper.make_node("PRelu", ["x", "slope"], ["y"])],
        "prelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3, 5, 5])],
        [numpy_helper.from_array(slope, "slope")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    plain = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rewritten = prelu_as_relu(model)
    assert "PRelu" not in {node.op_type for node in rewritten.graph.node}
    fast = ort.InferenceSession(rewritten.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32) * 100
    assert np.array_equal(plain.run(None, {"x": x})[0], fast.run(None, {"x": x})[0])
    bundled = onnx.load(BUNDLED / f"{FACE_LANDMARKS}.onnx")
    assert "PRelu" not in {node.op_type for node in bundled.graph.node}, "face-landmarks.onnx: re-export it"


def test_tflite_padding_is_tensorflows_same():
    from trainer.models.tflite_layers import same_padding

    assert same_padding(256, 3, 2) == (0, 1)  # torch's padding=1 would shift every output by half a pixel
    assert same_padding(32, 5, 2) == (1, 2)
    assert same_padding(16, 5, 1) == (2, 2)
    assert same_padding(3, 3, 3) == (0, 0)


def test_the_reader_refuses_what_is_not_tflite(tmp_path):
    from trainer.tflite_file import TFLiteError, read_tflite

    with pytest.raises(TFLiteError, match="not a TFLite file"):
        read_tflite(b"\0" * 64)


def _wheel() -> Path:
    wheel = os.environ.get(WHEEL_ENV)
    if not wheel or not Path(wheel).is_file():
        pytest.skip(f"set {WHEEL_ENV} to a mediapipe 0.10.x wheel to check against the TFLite originals")
    pytest.importorskip("ai_edge_litert", reason="needs the TFLite interpreter: pip install ai-edge-litert")
    return Path(wheel)


def test_export_matches_the_tflite_interpreter_on_real_photos(tmp_path):
    from portraitize.face_scale import FaceFinder
    from portraitize.faces import main_face
    from portraitize.model_set import load_face_cascade
    from trainer.export_mediapipe import export_mediapipe, read_sources

    wheel = _wheel()
    finder = FaceFinder(load_face_cascade(BUNDLED / "face-detector.onnx"))
    photos = sorted(EXAMPLES.glob("*.jpg"))
    shared = REPO.parent / "shared" / "data" / "photos" / "train" / "humans"
    if shared.is_dir():  # a few real photos of the training set (never test/)
        photos += sorted(shared.iterdir())[::360][:8]
    results = export_mediapipe(read_sources(wheel), tmp_path, photos, lambda rgb: main_face(finder.faces(rgb)))
    assert results["person-mask"].onnx_vs_tflite[0] < 1e-3
    points, presence = results["face-landmarks"].onnx_vs_tflite
    assert points < 0.05 and presence < 1e-3
    assert {path.name for path in tmp_path.iterdir()} == {"person-mask.onnx", "face-landmarks.onnx"}


def test_the_apache_licence_ships_beside_the_models():
    text = (BUNDLED / "LICENSE-mediapipe.txt").read_text()
    assert "person-mask.onnx" in text and "face-landmarks.onnx" in text and "The MediaPipe Authors" in text
    assert "Apache License" in text and "Version 2.0" in text and "END OF TERMS AND CONDITIONS" in text
    for name in (PERSON_MASK, FACE_LANDMARKS):
        info = load_model(BUNDLED / f"{name}.onnx", "cpu", 1).info
        assert "Apache-2.0" in info.data_licence and "LICENSE-mediapipe.txt" in info.data_licence


def test_another_file_under_a_tflite_models_name_is_one_line(tmp_path):
    """`export-mediapipe --tflite` given a photo renamed as a model, or a model cut short: one line naming it."""
    from trainer.export import ExportError
    from trainer.export_mediapipe import SPECS, export_mediapipe, read_sources

    names = [Path(spec.wheel_path).name for spec in SPECS.values()]
    (tmp_path / names[0]).write_bytes((EXAMPLES / "astronaut.jpg").read_bytes())
    (tmp_path / names[1]).write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4)  # cut short after its mark
    for given in ([tmp_path / names[0], tmp_path / names[1]], [tmp_path / names[1], tmp_path / names[0]]):
        with pytest.raises(ExportError, match="not a readable .* TFLite model") as raised:
            export_mediapipe(read_sources(None, given), tmp_path / "out", [EXAMPLES / "astronaut.jpg"], None)
        assert str(raised.value).split(":")[0] in names
    assert not (tmp_path / "out").exists()


def test_a_pipe_or_folder_named_as_a_tflite_model_is_one_line_not_a_wait(tmp_path):
    from trainer.export import ExportError
    from trainer.export_mediapipe import SPECS, read_sources

    names = [Path(spec.wheel_path).name for spec in SPECS.values()]
    os.mkfifo(tmp_path / names[0])
    (tmp_path / "wheel.whl").mkdir()
    with pytest.raises(ExportError, match=f"{names[0]}: not a file"):
        read_sources(None, [tmp_path / names[0]])
    with pytest.raises(ExportError, match="wheel.whl: not a file"):
        read_sources(tmp_path / "wheel.whl")
