"""Where the time of one `portraitize sample` goes: the command run once in this process, its stages timed.

    python bench/sample_profile.py [sample options, e.g. --count 50 --face-check]

Prints the seconds of the imports, of loading each model, of the sampler's calls, of the face check (its crops
and its face-mesh calls apart) and of writing the PNGs, against the whole run. The portraits go to a temporary
folder unless --out is given. Not a figure for results.json (bench/sample.py times whole processes): a guide to
what to make faster. One run: on a CPU shared with other work, run it a few times and read the fastest.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time

START = time.perf_counter()
import portraitize.cli as cli  # noqa: E402  (timed: the imports are part of the answer)
import portraitize.commands.sample as command  # noqa: E402
import portraitize.face_check as face_check  # noqa: E402
import portraitize.model_set as model_set  # noqa: E402
import portraitize.person as person  # noqa: E402
import portraitize.session as session  # noqa: E402

IMPORTED = time.perf_counter()
SECONDS: collections.Counter = collections.Counter()
CALLS: collections.Counter = collections.Counter()


def timed(owner, name: str, stage: str) -> None:
    """Replace owner.name by the same function that adds its seconds to `stage`."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SECONDS[stage] += time.perf_counter() - began
            CALLS[stage] += 1

    setattr(owner, name, wrapper)


def main() -> None:
    timed(command, "load_model", "loading the sampler")
    timed(model_set, "load_helper", "loading the face mesh")
    timed(session.ModelSession, "run", "the sampler's calls")
    timed(session.ModelSession, "run_outputs", "face mesh (and mask) calls")
    timed(person.Crop, "cut", "the face check's crops")
    timed(face_check.FaceCheck, "scores", "the face check in all")
    timed(command, "save_png", "writing the PNGs")
    arguments = sys.argv[1:]
    with tempfile.TemporaryDirectory() as temp:
        if "--out" not in arguments and "-o" not in arguments:
            arguments += ["--out", temp]
        sys.argv = ["portraitize", "sample", *arguments]
        try:
            cli.main()
        except SystemExit as done:
            if done.code:
                raise
    total = time.perf_counter() - START
    print(
        f"\nportraitize sample {' '.join(sys.argv[2:])}: {total:.2f} s in this process (start-up of Python not in it)"
    )
    print(f"  {'imports':28} {IMPORTED - START:6.3f} s")
    for stage, seconds in SECONDS.most_common():
        print(f"  {stage:28} {seconds:6.3f} s  ({CALLS[stage]} calls)")


if __name__ == "__main__":
    main()
