"""The converter's torch-free face finder: the bundled MTCNN graph, its export and parity with the trainer's."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import EXAMPLES, REPO, gradient_image, need_shared
from PIL import Image

from portraitize.faces import Face, main_face, onnx_cascade

BUNDLED = REPO / "exported" / "face-detector.onnx"


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(EXAMPLES / name).convert("RGB"))


def test_bundled_detector_finds_the_examples_faces_and_nothing_in_a_gradient():
    cascade = onnx_cascade(ort.InferenceSession(str(BUNDLED), providers=["CPUExecutionProvider"]))
    astronaut = cascade.main_face(photo("astronaut.jpg"))  # 512 x 512, her face left of centre, high up
    assert astronaut.probability > 0.95 and 150 < astronaut.centre[0] < 300 and 60 < astronaut.centre[1] < 200
    assert 60 < astronaut.size < 160
    hopper = cascade.main_face(photo("grace_hopper.jpg"))
    assert 150 < hopper.size < 260
    assert cascade.main_face(gradient_image(200, 160)) is None
    assert cascade.face_probability(photo("astronaut.jpg")) > 0.99  # what `sample --face-check` asks
    assert cascade.face_probability(gradient_image(200, 160)) == 0.0


def test_several_faces_come_largest_first():
    cascade = onnx_cascade(ort.InferenceSession(str(BUNDLED), providers=["CPUExecutionProvider"]))
    big = Image.open(EXAMPLES / "grace_hopper.jpg").convert("RGB")
    canvas = Image.new("RGB", (900, 600), (90, 90, 90))
    canvas.paste(big, (0, 0))
    canvas.paste(big.resize((256, 300)), (620, 200))
    faces = cascade.faces(np.asarray(canvas))
    assert len(faces) == 2 and faces[0].size > 1.6 * faces[1].size and faces[1].centre[0] > 620


def test_the_main_face_is_the_largest_confident_one_not_a_larger_doubtful_box():
    face = Face(340, 130, 480, 300, 1.0)
    torso = Face(220, 370, 750, 1000, 0.958)  # the kind of false box MTCNN puts on a suit below the face
    other = Face(600, 130, 700, 250, 0.995)
    assert main_face([torso, face, other]) == face
    sitter, background = Face(300, 100, 500, 340, 0.98), Face(40, 60, 90, 120, 0.999)
    assert main_face([sitter, background]) == sitter, "a real face scored 0.98 is confident enough"
    assert main_face([torso]) == torso  # nothing confident: the largest is still the best guess
    assert main_face([]) is None


def test_export_matches_the_trainers_torch_cascade(tmp_path):
    from trainer.export_face_detector import export_face_detector

    weights = need_shared("weights", "mtcnn_pnet.pt").parent
    out = tmp_path / "face-detector.onnx"
    worst = export_face_detector(weights, out, sorted(EXAMPLES.glob("*.jpg")))
    assert worst < 1.0 and out.stat().st_size > 1_000_000


def test_export_refuses_without_photos(tmp_path):
    from trainer.export import ExportError
    from trainer.export_face_detector import export_face_detector

    with pytest.raises(ExportError, match="at least one photo"):
        export_face_detector(tmp_path, tmp_path / "x.onnx", [])
    assert not (tmp_path / "x.onnx").exists()
