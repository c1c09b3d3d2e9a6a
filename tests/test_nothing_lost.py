"""Nothing the user had, or another run is making, is lost (issue 31): two runs into one destination, kill -9,
reruns with other settings, and what counts as an output that is already there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import write_image
from PIL import Image

from portraitize.text import counted

# A writer that stops half-way through an atomic write until told to go on (or is killed there).
HALF_WRITTEN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from portraitize.files import write_atomically

    target, ready, go = map(Path, sys.argv[1:4])

    def write(handle):
        handle.write(b"first half ")
        handle.flush()
        ready.touch()
        while not go.exists():
            time.sleep(0.01)
        handle.write(b"second half")

    write_atomically(target, write)
    """
)


def _start_half_written_write(target: Path, tmp_path: Path):
    ready, go = tmp_path / "ready", tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", HALF_WRITTEN, str(target), str(ready), str(go)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    (part,) = list(target.parent.glob(".portraitize-*.part"))
    return writer, part, go


def test_a_second_run_leaves_a_live_runs_partial_files_alone(cli, translator, tmp_path):
    dst = tmp_path / "out"
    writer, part, go = _start_half_written_write(dst / "other-run" / "a.png", tmp_path)
    try:
        write_image(tmp_path / "src" / "b.png")
        result = cli("convert", tmp_path / "src", dst, "-m", translator)
        assert result.exit_code == 0, result.output
        assert part.exists(), "the live run's partial file was deleted under it"
        assert "removed" not in result.output
    finally:
        go.touch()
        assert writer.wait(timeout=30) == 0, "the live run's write failed"
    assert (dst / "other-run" / "a.png").read_bytes() == b"first half second half"


def test_partial_files_of_a_killed_run_are_cleaned_by_the_next(cli, translator, tmp_path):
    dst = tmp_path / "out"
    writer, part, _ = _start_half_written_write(dst / "sub" / "a.png", tmp_path)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert part.exists() and not (dst / "sub" / "a.png").exists()
    write_image(tmp_path / "src" / "b.png")
    result = cli("convert", tmp_path / "src", dst, "-m", translator)
    assert result.exit_code == 0 and "removed 1 partial file" in result.output, result.output
    assert not part.exists()
    with Image.open(dst / "b.png") as image:
        image.load()


def test_a_rerun_with_other_settings_says_what_differs_instead_of_skipping(cli, translator, tmp_path):
    from tiny_models import make_translator

    retrained = make_translator(tmp_path / "models" / "tiny-painter.onnx", size_multiple=2)  # same name, new weights
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png", 40, 30)
    write_image(src / "sub" / "b.jpg", 30, 40)
    first = cli("convert", src, dst, "-m", translator, "--frame", "portrait")
    assert first.exit_code == 0, first.output
    before = {path: (dst / path).read_bytes() for path in ("a.png", "sub/b.jpg")}

    again = cli("convert", src, dst, "-m", retrained, "--strength", "0.8")
    assert again.exit_code == 2, again.output
    (line,) = [line for line in again.output.splitlines() if line.startswith("error:")]
    assert "painted with other settings" in line and "--overwrite" in line, line
    assert "frame portrait -> none" in line and "strength 1.0 -> 0.8" in line
    assert "model tiny-painter (" in line and ") -> tiny-painter (" in line  # the same name, another model file
    assert {path: (dst / path).read_bytes() for path in before} == before, "outputs were changed"

    # --quality changes no PNG: only the JPEG differs
    quality = cli("convert", src, dst, "-m", translator, "--frame", "portrait", "--quality", "80")
    assert quality.exit_code == 2 and "sub/b.jpg" in quality.output and "a.png" not in quality.output
    assert "quality 95 -> 80" in quality.output

    redo = cli("convert", src, dst, "-m", retrained, "--strength", "0.8", "--overwrite")
    assert redo.exit_code == 0 and "2 converted" in redo.output, redo.output
    same = cli("convert", src, dst, "-m", retrained, "--strength", "0.8")
    assert same.exit_code == 0 and "0 converted, 2 skipped" in same.output, same.output


def test_outputs_without_a_record_are_kept_and_said(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    (dst / "b.png").write_bytes(b"the user's own edit")  # no longer the file the record describes
    result = cli("convert", src, dst, "-m", translator, "--strength", "0.5")
    assert result.exit_code == 2 and "a.png" in result.output and "b.png" not in result.output
    (dst / "a.png").unlink()
    result = cli("convert", src, dst, "-m", translator, "--strength", "0.5")
    assert result.exit_code == 0 and "1 converted, 1 skipped" in result.output, result.output
    said = " ".join(result.output.split())
    assert "1 photo not painted" in said and "no record of how it was painted" in said and "kept" in said
    assert "skipping" not in said, "no photo is said to be done with these settings when none is recorded so"
    assert (dst / "b.png").read_bytes() == b"the user's own edit"
    assert f"paintings in {dst.resolve()}" in result.output  # a.png was painted here
    (dst / "a.png").write_bytes(b"another edit")
    result = cli("convert", src, dst, "-m", translator, "--strength", "0.5")
    assert result.exit_code == 0 and "0 converted" in result.output
    assert "paintings in" not in result.output, "no painting of this run's is there to point at"


def test_a_folder_or_an_empty_file_at_an_output_path_is_not_a_finished_output(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    for name in ("a.png", "b.png", "c.png"):
        write_image(src / name)
    (dst / "a.png").mkdir(parents=True)
    (dst / "a.png" / "keep.txt").write_text("the user's")
    (dst / "b.png").write_bytes(b"")  # a write that never finished
    for extra in ((), ("--overwrite",)):
        result = cli("convert", src, dst, "-m", translator, *extra)
        assert result.exit_code == 1, result.output
        assert "2 converted, 0 skipped (already there), 1 failed" in result.output
        (line,) = [line for line in result.output.splitlines() if line.strip().startswith("x ")]
        assert str(src / "a.png") in line and "a folder" in line
        assert (dst / "a.png" / "keep.txt").read_text() == "the user's"
        with Image.open(dst / "b.png") as image:
            image.load()


def test_a_translator_that_paints_at_half_size_is_refused_before_any_work(cli, tmp_path):
    from tiny_models import make_faulty_translator

    from portraitize.session import ModelError, load_model

    half = make_faulty_translator(tmp_path / "half.onnx", "half")
    try:
        load_model(half)
    except ModelError as error:
        assert "gives an output of shape [1, 3, 12, 13]" in str(error) and "its input's size" in str(error)
    else:
        raise AssertionError("a translator that halves its input was accepted")
    write_image(tmp_path / "src" / "a.png")
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", half)
    assert result.exit_code == 2 and "input's size" in result.output
    assert not (tmp_path / "out").exists()


def test_absurd_metadata_values_are_refused_at_once(cli, translator, sampler, tmp_path):
    from tiny_models import with_metadata

    from portraitize.contract import ContractError, ModelInfo

    for name, value in [("size_multiple", 16384), ("native_size", 100_000), ("face_size", 50_000)]:
        try:
            ModelInfo(
                **{
                    "kind": "translator",
                    "name": "x",
                    "description": "",
                    "family": "test",
                    "native_size": 64,
                    name: value,
                }
            )
        except ContractError as error:
            assert f"{name} must be at most" in str(error)
        else:
            raise AssertionError(f"{name}={value} was accepted")
    write_image(tmp_path / "src" / "a.png")
    started = time.monotonic()
    huge = with_metadata(translator, tmp_path / "huge.onnx", size_multiple="16384")
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", huge)
    assert result.exit_code == 2 and "size_multiple must be at most 256, not 16384" in result.output
    wide = with_metadata(sampler, tmp_path / "wide.onnx", latent_size="100000000")
    result = cli("sample", "--out", tmp_path / "samples", "-m", wide)
    assert result.exit_code == 2 and "latent_size must be at most" in result.output
    assert time.monotonic() - started < 10


def test_every_output_an_interrupted_run_finished_has_its_record(cli, translator, tmp_path, monkeypatch):
    """Outputs are recorded by the thread that writes them, the moment they have their name: an output
    finished while the run was stopping is never left without a record (and so never kept blindly)."""
    from conftest import output_files

    from portraitize.session import ModelSession

    src, dst = tmp_path / "src", tmp_path / "out"
    for index in range(12):
        write_image(src / f"p{index:02d}.png", 64, 48)
    calls, original = [], ModelSession.run

    def run(self, batch, *extra):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return original(self, batch, *extra)

    monkeypatch.setattr(ModelSession, "run", run)
    assert cli("convert", src, dst, "-m", translator, "--batch-size", "1").exit_code == 130
    monkeypatch.setattr(ModelSession, "run", original)
    done = len(output_files(dst))
    assert done >= 1
    same = cli("convert", src, dst, "-m", translator)
    assert (
        same.exit_code == 0 and f"skipping {counted(done, 'photo')}" in same.output and "no record" not in same.output
    )


def test_a_damaged_record_costs_only_its_own_lines(cli, translator, tmp_path):
    from portraitize.records import RECORD_NAME

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    with open(dst / RECORD_NAME, "ab") as record:
        record.write(b'not json\n\x00\xff\n{"output": "a.png", "rec')  # a line cut short by a power cut
    assert cli("convert", src, dst, "-m", translator, "--strength", "0.7", "--overwrite").exit_code == 0
    result = cli("convert", src, dst, "-m", translator, "--strength", "0.5")
    assert result.exit_code == 2 and "a.png, b.png in" in result.output and "strength 0.7 -> 0.5" in result.output


def test_record_lines_of_the_wrong_types_are_no_records_and_never_end_a_run(cli, translator, tmp_path):
    """A hand-edited record (a dict where a name goes, a text where a size goes) among enough junk to compact the
    file: those lines are no records, the others hold."""
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    record = dst / ".portraitize-outputs.jsonl"
    damaged = [
        '{"output": "zzz.png", "recipe": {"a": 1}, "size": 1}',
        '{"output": "yyy.png", "recipe": "abc", "size": "big"}',
        '{"output": ["x"], "recipe": "abc", "size": 1}',
        '{"output": "xxx.png", "recipe": "abc", "size": 1, "source_stamp": {"a": 1}}',
        '{"recipe": "abc", "settings": [1, 2]}',
        "[1, 2, 3]",
    ]
    record.write_text(record.read_text() + "".join(f"junk {n}\n" for n in range(150)) + "\n".join(damaged) + "\n")
    again = cli("convert", src, dst, "-m", translator)
    assert again.exit_code == 0 and "0 converted, 1 skipped" in again.output, again.output


def test_a_destination_that_cannot_be_written_is_refused_before_any_painting(cli, translator, tmp_path, monkeypatch):
    import portraitize.commands.convert
    from portraitize.files import check_writable

    check_writable(tmp_path / "fine")  # the probe itself: a new folder can take files, and it leaves none
    assert list((tmp_path / "fine").iterdir()) == []

    def read_only(folder):
        raise PermissionError(13, "Permission denied")  # what a read-only folder gives (these tests run as root)

    monkeypatch.setattr(portraitize.commands.convert, "check_writable", read_only)
    write_image(tmp_path / "src" / "a.jpg", 64, 64)
    result = cli("convert", tmp_path / "src", tmp_path / "out", "-m", translator)
    assert result.exit_code == 2, result.output
    assert f"cannot write to {tmp_path / 'out'} (Permission denied)" in result.output
    assert not (tmp_path / "out").exists(), "nothing painted"


def test_a_destination_under_a_file_is_refused_naming_the_file(cli, translator, tmp_path):
    """The destination cannot be made where a file stands on its way: one line naming that file, and the file
    is left as it was."""
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (64, 64), "white").save(photos / "a.png")
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = cli("convert", photos, blocker / "out", "--model", translator, "--painter", "none")
    assert result.exit_code != 0
    assert f"{blocker} is not a folder" in result.output
    assert blocker.read_text() == "mine"


def test_a_file_where_an_output_folder_goes_is_named_and_the_batch_goes_on(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "sub" / "a.png")
    write_image(src / "gone" / "c.png")
    write_image(src / "b.png")
    (dst / "sub").parent.mkdir(parents=True)
    (dst / "sub").write_text("my notes")
    (dst / "gone").symlink_to(tmp_path / "unplugged-disk")
    result = cli("convert", src, dst, "-m", translator, "--painter", "none")
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "1 converted" in said, said
    assert f"{dst / 'sub'} is a file, not a folder: move it away" in said
    assert f"{dst / 'gone'} is a link to nowhere, not a folder: move it away" in said
    assert (dst / "sub").read_text() == "my notes" and (dst / "b.png").is_file()
    assert (dst / "gone").is_symlink() and not (tmp_path / "unplugged-disk").exists()


def test_a_painting_of_another_photo_of_the_same_name_is_not_taken_as_done(cli, translator, tmp_path):
    """Two camera cards' IMG_0001.jpg into one folder, or a photo replaced in place: the output there was painted
    from another photo, so the photo fails naming it and the painting is kept; the same photo again is skipped."""
    card_a, card_b, dst = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    write_image(card_a / "IMG_0001.png", 40, 30)
    Image.open(write_image(card_b / "IMG_0001.png", 40, 30)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        card_b / "IMG_0001.png"
    )
    assert cli("convert", card_a, dst, "-m", translator).exit_code == 0
    painted = (dst / "IMG_0001.png").read_bytes()
    again = cli("convert", card_a, dst, "-m", translator)
    assert again.exit_code == 0 and "0 converted, 1 skipped" in again.output, again.output

    other = cli("convert", card_b, dst, "-m", translator)
    said = " ".join(other.output.split())
    assert other.exit_code == 1 and "1 failed" in said, other.output
    assert "IMG_0001.png holds a painting of another photo" in said and "--overwrite" in said
    assert (dst / "IMG_0001.png").read_bytes() == painted, "the first card's painting is kept"

    os.utime(card_a / "IMG_0001.png", ns=(1, 1))  # touched, the same bytes: read again, and the same photo
    touched = cli("convert", card_a, dst, "-m", translator)
    assert touched.exit_code == 0 and "0 converted, 1 skipped" in touched.output, touched.output

    (card_a / "IMG_0001.png").write_bytes((card_b / "IMG_0001.png").read_bytes())  # replaced in place
    replaced = cli("convert", card_a, dst, "-m", translator)
    assert replaced.exit_code == 1 and "painting of another photo" in " ".join(replaced.output.split())
    emptied = card_a / "IMG_0001.png"
    photo_bytes = emptied.read_bytes()
    emptied.write_bytes(b"")
    said = " ".join(cli("convert", card_a, dst, "-m", translator).output.split())
    assert "cannot be read as an image now (empty" in said and "another photo" not in said, said
    emptied.write_bytes(photo_bytes)
    redo = cli("convert", card_a, dst, "-m", translator, "--overwrite")
    assert redo.exit_code == 0 and "1 converted" in redo.output
    assert cli("convert", card_a, dst, "-m", translator).exit_code == 0


def test_a_photo_replaced_while_it_is_painted_is_recorded_as_the_photo_painted(cli, translator, tmp_path, monkeypatch):
    """The record's print is of the bytes that were painted: a photo replaced before its painting is written is
    another photo to the next run, not one taken as done."""
    from portraitize import pipeline

    src, dst = tmp_path / "src", tmp_path / "out"
    photo = write_image(src / "a.png", 40, 30)
    replacement = Image.open(photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    load_photo = pipeline.load_photo

    def read_then_replaced(handle, max_pixels):
        loaded = load_photo(handle, max_pixels)
        replacement.save(photo)  # another photo under the same name, before the painting is written
        return loaded

    monkeypatch.setattr(pipeline, "load_photo", read_then_replaced)
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    monkeypatch.undo()
    rerun = cli("convert", src, dst, "-m", translator)
    assert rerun.exit_code == 1 and "painting of another photo" in " ".join(rerun.output.split()), rerun.output


def test_a_photo_swapped_just_before_it_is_read_is_recorded_as_the_photo_read(cli, translator, tmp_path, monkeypatch):
    """The stamp recorded is the file's that was read (fstat of the open file), not one taken before it: a photo
    swapped between the two is no false 'another photo' on the next run."""
    from portraitize.pipeline import LocalFiles

    src, dst = tmp_path / "src", tmp_path / "out"
    photo = write_image(src / "a.png", 40, 30)
    swapped_in = write_image(tmp_path / "other.png", 50, 30)  # another size: a stale stamp would say another photo
    stamp = LocalFiles.stamp

    def stamp_then_swapped(self, path):
        stamped = stamp(self, path)
        os.replace(swapped_in, photo)
        return stamped

    monkeypatch.setattr(LocalFiles, "stamp", stamp_then_swapped)
    first = cli("convert", src, dst, "-m", translator)
    assert first.exit_code == 0, first.output
    monkeypatch.undo()
    rerun = cli("convert", src, dst, "-m", translator)
    assert rerun.exit_code == 0 and "0 converted, 1 skipped" in rerun.output, rerun.output


def test_each_photo_is_read_and_printed_once(cli, translator, tmp_path, monkeypatch):
    from portraitize import source_marks

    src = tmp_path / "src"
    for name in ("a.png", "b.png", "c.png"):
        write_image(src / name, 40, 30)
    printed, source_print = [], source_marks.source_print
    monkeypatch.setattr(source_marks, "source_print", lambda handle: printed.append(1) or source_print(handle))
    assert cli("convert", src, tmp_path / "out", "-m", translator, "--stroke-list").exit_code == 0
    assert len(printed) == 3


def test_a_stroke_list_no_run_wrote_is_kept(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png", 64, 48)
    mine = dst / "a.png.strokes.json"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"my": "hand-made stroke list"}')
    kept = cli("convert", src, dst, "-m", translator, "--stroke-list")
    said = " ".join(kept.output.split())
    assert kept.exit_code == 1 and "a.png.strokes.json is already there with no record" in said, kept.output
    assert mine.read_text() == '{"my": "hand-made stroke list"}' and not (dst / "a.png").exists()
    replaced = cli("convert", src, dst, "-m", translator, "--stroke-list", "--overwrite")
    assert replaced.exit_code == 0 and mine.read_text().startswith('{"canvas"')
    again = cli("convert", src, dst, "-m", translator, "--stroke-list")
    assert again.exit_code == 0 and "0 converted, 1 skipped" in again.output, "a list a run wrote is its own"


def test_a_file_larger_than_any_photo_or_a_device_is_refused_unread(tmp_path):
    """A photo swapped after the plan for a link to a device (endless zeros), or a file larger than any photo within
    --max-pixels could be (sparse here: it takes no disk): refused by what the system says of it, never read."""
    from portraitize.images import ImageError
    from portraitize.pipeline import LocalFiles
    from portraitize.source_marks import read_marked

    zeros = tmp_path / "p299.png"
    zeros.symlink_to("/dev/zero")
    with pytest.raises(ImageError, match="not a regular file"):
        read_marked(LocalFiles(), zeros, 120_000_000)
    huge = tmp_path / "scan.tif"
    with open(huge, "wb") as handle:
        handle.truncate(1 << 40)
    with pytest.raises(ImageError, match="larger than a photo within the --max-pixels limit could be"):
        read_marked(LocalFiles(), huge, 120_000_000)


def test_a_deleted_stroke_list_is_written_again(cli, translator, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png", 64, 48)
    assert cli("convert", src, dst, "-m", translator, "--stroke-list").exit_code == 0
    strokes = dst / "a.png.strokes.json"
    listed = strokes.read_bytes()
    strokes.unlink()
    again = cli("convert", src, dst, "-m", translator, "--stroke-list")
    assert again.exit_code == 0 and "1 converted" in again.output, again.output
    assert strokes.read_bytes() == listed


def test_a_photo_that_cannot_be_read_on_a_rerun_is_not_called_another(cli, translator, tmp_path, monkeypatch):
    from portraitize.images import ImageError
    from portraitize.plan import LocalStorage

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    assert cli("convert", src, dst, "-m", translator).exit_code == 0

    def unreadable(self, path):
        raise ImageError("cannot read this file (Permission denied)")

    monkeypatch.setattr(LocalStorage, "open", unreadable)
    result = cli("convert", src, dst, "-m", translator)
    assert "another photo" not in result.output and "0 converted, 1 skipped" in result.output, result.output


def test_a_scan_retouched_in_its_middle_is_told_apart():
    """An uncompressed scan retouched in its middle keeps its size and both its ends: its print is of every byte."""
    import io

    from portraitize.records import source_print

    scan = bytes(range(256)) * 4096
    retouched = scan[: len(scan) // 2] + b"0123456789" + scan[len(scan) // 2 + 10 :]
    assert len(retouched) == len(scan) and source_print(io.BytesIO(scan)) == source_print(io.BytesIO(bytes(scan)))
    assert source_print(io.BytesIO(scan)) != source_print(io.BytesIO(retouched))


def test_outputs_a_live_run_claims_are_left_to_it_and_a_killed_runs_claim_is_cleared(tmp_path):
    from portraitize.run_claims import CLAIM_PREFIX, RunClaims

    folder = tmp_path / "out"
    folder.mkdir()
    first, second = RunClaims(folder), RunClaims(folder)
    assert first.claim([folder / "a.png", folder / "sub" / "b.png"]) == {}
    # the same file on a disk without case
    assert second.claim([folder / "sub" / "B.png", folder / "c.png"]) == {folder / "sub" / "B.png": os.getpid()}
    first.release()
    second.release()
    assert not list(folder.glob(f"{CLAIM_PREFIX}*")), "a finished run's claim stayed"

    holder = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_WAIT, str(folder), "a.png"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "claimed"
    third = RunClaims(folder)
    assert third.claim([folder / "a.png"]) == {folder / "a.png": holder.pid}
    third.release()
    holder.kill()  # kill -9: its claim stays, unlocked
    holder.wait(timeout=30)
    assert len(list(folder.glob(f"{CLAIM_PREFIX}*"))) == 1
    fourth = RunClaims(folder)
    assert fourth.claim([folder / "a.png"]) == {}
    fourth.release()
    assert not list(folder.glob(f"{CLAIM_PREFIX}*")), "a killed run's claim was not cleared"


# A run that claims an output and waits until it is killed.
CLAIM_AND_WAIT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from portraitize.run_claims import RunClaims

    folder = Path(sys.argv[1])
    RunClaims(folder).claim([folder / sys.argv[2]])
    print("claimed", flush=True)
    time.sleep(600)
    """
)


def test_of_two_runs_claiming_together_exactly_one_paints(tmp_path):
    """Never both giving way (a photo nobody paints), never both painting."""
    import threading

    from portraitize.run_claims import RunClaims

    folder = tmp_path / "out"
    folder.mkdir()

    def claim(run: RunClaims, start: threading.Barrier, target: Path, results: list, index: int) -> None:
        start.wait()
        results[index] = run.claim([target])

    for attempt in range(20):
        runs, results, start = [RunClaims(folder), RunClaims(folder)], [None, None], threading.Barrier(2)
        threads = [
            threading.Thread(target=claim, args=(runs[index], start, folder / f"{attempt}.png", results, index))
            for index in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(len(result) for result in results) == [0, 1], results
        for run in runs:
            run.release()


def test_an_output_another_run_wrote_after_the_plan_is_kept(cli, translator, tmp_path, monkeypatch):
    """Another run that painted a photo of the same name and ended between this run's plan and its claim: its
    painting is kept, and this photo fails saying so."""
    from portraitize import run_claims

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    claim = run_claims.RunClaims.claim

    def late_claim(self, targets, *rest):
        (dst / "a.png").write_bytes(b"another run's painting")
        return claim(self, targets, *rest)

    monkeypatch.setattr(run_claims.RunClaims, "claim", late_claim)
    result = cli("convert", src, dst, "-m", translator, "--painter", "none")
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and f"its output {dst / 'a.png'} was written by another run after this one" in said
    assert (dst / "a.png").read_bytes() == b"another run's painting" and (dst / "b.png").is_file()


def test_a_photo_whose_output_another_run_is_painting_fails_and_the_batch_goes_on(cli, translator, tmp_path):
    """The same command started twice, or two cards' IMG_0001.jpg into one folder at once: an output the other run
    is painting is left to it, the photo fails naming that run, the others are painted."""
    from portraitize.run_claims import CLAIM_PREFIX, RunClaims

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    dst.mkdir()
    other = RunClaims(dst)
    other.claim([dst / "a.png"])
    try:
        result = cli("convert", src, dst, "-m", translator, "--painter", "none")
        said = " ".join(result.output.split())
        assert result.exit_code == 1, result.output
        assert f"another portraitize run (process {os.getpid()}) is painting its output {dst / 'a.png'}" in said
        assert (dst / "b.png").is_file() and not (dst / "a.png").exists()
        assert len(list(dst.glob(f"{CLAIM_PREFIX}*"))) == 1, "the finished run's claim stayed"
    finally:
        other.release()
    result = cli("convert", src, dst, "-m", translator, "--painter", "none")
    assert result.exit_code == 0 and (dst / "a.png").is_file(), result.output


def test_a_pipe_where_the_record_goes_is_refused_not_waited_on(translator, tmp_path):
    from portraitize.records import RECORD_NAME

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    dst.mkdir()
    os.mkfifo(dst / RECORD_NAME)
    command = [sys.executable, "-m", "portraitize", "convert", src, dst, "-m", translator, "--painter", "none"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    said = " ".join(result.stdout.split() + result.stderr.split())
    assert result.returncode == 2 and f"{dst / RECORD_NAME} is not a file" in said, said
    assert not (dst / "a.png").exists()


@pytest.mark.skipif(os.name != "posix", reason="change times are a POSIX disk's")
def test_an_edit_that_keeps_the_size_and_puts_the_time_back_is_seen(cli, translator, tmp_path, monkeypatch):
    """`exiftool -P` turning a photo's orientation keeps its size and modification time; its change time moves. A
    folder copied with its times is read once, and its record takes the new stamp."""
    import shutil

    from portraitize import records

    src, dst = tmp_path / "src", tmp_path / "out"
    photo = write_image(src / "a.bmp", 40, 30)  # uncompressed: a pixel retouched in place keeps the size
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    before = os.stat(photo)
    data = bytearray(photo.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with open(photo, "r+b") as handle:
        handle.write(data)
    os.utime(photo, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (os.stat(photo).st_size, os.stat(photo).st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    said = " ".join(cli("convert", src, dst, "-m", translator).output.split())
    assert "holds a painting of another photo" in said, said

    copied = tmp_path / "copied"
    shutil.copytree(src, copied)  # copy2: the same bytes and modification times, new change times
    assert cli("convert", copied, dst, "-m", translator, "--overwrite").exit_code == 0
    shutil.rmtree(copied)
    shutil.copytree(src, copied)
    prints = []
    real_print = records.source_print
    monkeypatch.setattr(records, "source_print", lambda handle: prints.append(1) or real_print(handle))
    first = cli("convert", copied, dst, "-m", translator)
    assert first.exit_code == 0 and "1 skipped" in first.output and len(prints) == 1, first.output
    second = cli("convert", copied, dst, "-m", translator)
    assert second.exit_code == 0 and "1 skipped" in second.output and len(prints) == 1, "read again: not restamped"


def test_records_from_before_change_times_are_not_read_again(cli, translator, tmp_path, monkeypatch):
    """A record's two-number stamp (size, modification time) from an older portraitize matches the photo unread,
    and takes the new stamp: an upgrade does not read a whole library again."""
    import json

    from portraitize import records

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    assert cli("convert", src, dst, "-m", translator).exit_code == 0
    record = dst / records.RECORD_NAME
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    for line in lines:
        if "source_stamp" in line:
            line["source_stamp"] = line["source_stamp"][:2]
    record.write_text("".join(json.dumps(line) + "\n" for line in lines))
    prints = []
    real_print = records.source_print
    monkeypatch.setattr(records, "source_print", lambda handle: prints.append(1) or real_print(handle))
    for _ in range(2):
        again = cli("convert", src, dst, "-m", translator)
        assert again.exit_code == 0 and "2 skipped" in again.output and not prints, again.output
    stamps = [json.loads(line).get("source_stamp") for line in record.read_text().splitlines()]
    assert sum(1 for stamp in stamps if stamp and len(stamp) == 3) == 2, "the old records took no new stamp"


def test_runs_into_a_folder_and_its_sub_folder_see_each_others_claims(tmp_path):
    from portraitize.run_claims import RunClaims

    top = tmp_path / "out"
    (top / "sub").mkdir(parents=True)
    outer, inner = RunClaims(top), RunClaims(top / "sub")
    assert outer.claim([top / "sub" / "IMG_0002.jpg", top / "top.jpg"]) == {}
    assert inner.claim([top / "sub" / "IMG_0002.jpg", top / "sub" / "other.jpg"]) == {
        top / "sub" / "IMG_0002.jpg": os.getpid()
    }
    outer.release()
    inner.release()
    inner, outer = RunClaims(top / "sub"), RunClaims(top)
    assert inner.claim([top / "sub" / "a.jpg"]) == {}
    assert outer.claim([top / "sub" / "A.jpg", top / "b.jpg"]) == {top / "sub" / "A.jpg": os.getpid()}
    outer.release()
    inner.release()


def test_claims_never_stop_a_run(tmp_path, monkeypatch):
    """A claim that cannot be written (a full disk) or a live claim of odd content: the run goes on as without
    claims."""
    from portraitize import run_claims
    from portraitize.files import locked_temp_file
    from portraitize.run_claims import CLAIM_PREFIX, RunClaims

    folder = tmp_path / "out"
    folder.mkdir()
    odd = []
    contents = ['{"pid": Infinity, "outputs": ["a.png"]}', "[" * 100_000, '{"pid": true, "outputs": ["a.png"]}']
    for content in contents:
        handle, temp = locked_temp_file(folder)  # held, as a live run holds its claim
        os.write(handle, content.encode())
        os.replace(temp, folder / f"{CLAIM_PREFIX}odd{len(odd)}.json")
        odd.append(handle)
    full = RunClaims(folder)

    def no_space(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_claims, "locked_temp_file", no_space)
    assert full.claim([folder / "a.png"]) == {}
    full.release()
    for handle in odd:
        os.close(handle)


def test_a_destination_lock_held_by_something_else_is_waited_for_and_said(tmp_path, monkeypatch):
    """Not given up: two runs giving up at the same moment would both paint."""
    import fcntl

    from portraitize import run_claims
    from portraitize.run_claims import RunClaims

    folder = tmp_path / "out"
    folder.mkdir()
    holder = os.open(folder, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    monkeypatch.setattr(run_claims, "FOLDER_WAIT", 0.2)
    said = []

    def waiting() -> None:
        said.append(1)
        os.close(holder)  # what held it lets go

    run = RunClaims(folder)
    assert run.claim([folder / "a.png"], waiting) == {} and said == [1]
    other = RunClaims(folder)
    assert other.claim([folder / "a.png"]) == {folder / "a.png": os.getpid()}
    run.release()
    other.release()


def test_a_rerun_with_nothing_to_paint_clears_a_killed_runs_claim(cli, translator, tmp_path):
    from portraitize.run_claims import CLAIM_PREFIX

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    assert cli("convert", src, dst, "-m", translator, "--painter", "none").exit_code == 0
    killed = dst / f"{CLAIM_PREFIX}999999-dead.json"  # nobody holds its lock
    killed.write_text('{"pid": 999999, "outputs": ["a.png"]}')
    again = cli("convert", src, dst, "-m", translator, "--painter", "none")
    assert again.exit_code == 0 and "1 skipped" in again.output and not killed.exists(), again.output


def test_a_sub_folder_linked_elsewhere_is_claimed_where_it_leads(tmp_path):
    """A run into `nest`, whose `sub` links to `real`, and a run into `real` see each other."""
    from portraitize.run_claims import RunClaims

    nest, real = tmp_path / "nest", tmp_path / "real"
    nest.mkdir()
    real.mkdir()
    (nest / "sub").symlink_to(real)
    outer, inner = RunClaims(nest), RunClaims(real)
    assert outer.claim([nest / "sub" / "p00.jpg", nest / "top.jpg"]) == {}
    assert inner.claim([real / "p00.jpg", real / "p01.jpg"]) == {real / "p00.jpg": os.getpid()}
    outer.release()
    inner.release()
    assert not list(real.glob(".portraitize-claim-*")) and not list(nest.glob(".portraitize-claim-*"))


def test_a_file_that_appears_while_its_photo_is_painted_is_kept(cli, translator, tmp_path, monkeypatch):
    """A file put where an output goes after the run planned (another program's, an older portraitize's run, which
    claims nothing) is not replaced: that photo fails, the others are painted."""
    from portraitize import pipeline

    src, dst = tmp_path / "src", tmp_path / "out"
    write_image(src / "a.png")
    write_image(src / "b.png")
    write = pipeline.LocalFiles.write

    def user_first(self, path, data, replace=True):
        if Path(path).name == "a.png":
            Path(path).write_bytes(b"the user's file")
        return write(self, path, data, replace)

    monkeypatch.setattr(pipeline.LocalFiles, "write", user_first)
    result = cli("convert", src, dst, "-m", translator, "--painter", "none")
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "a file appeared there after this run planned" in said, said
    assert (dst / "a.png").read_bytes() == b"the user's file" and (dst / "b.png").is_file()
    assert not list(dst.glob(".portraitize-*.part"))


def test_publishing_without_replacing_also_where_a_disk_has_no_hard_links(tmp_path, monkeypatch):
    from portraitize import files

    target = tmp_path / "a.png"
    files.write_atomically(target, lambda handle: handle.write(b"first"), replace=False)
    with pytest.raises(FileExistsError):
        files.write_atomically(target, lambda handle: handle.write(b"second"), replace=False)
    assert target.read_bytes() == b"first"

    def no_links(*_):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "link", no_links)
    with pytest.raises(FileExistsError):
        files.write_atomically(target, lambda handle: handle.write(b"third"), replace=False)
    files.write_atomically(tmp_path / "b.png", lambda handle: handle.write(b"new"), replace=False)
    assert target.read_bytes() == b"first" and (tmp_path / "b.png").read_bytes() == b"new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.png", "b.png"]
