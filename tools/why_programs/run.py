"""Run the learner-style buggy programs in this folder and check what agv.why() says of each.

    .venv/bin/python tools/why_programs/run.py [NAME_PART ...]

Each pNN_*.py is a small program as a learner writes it (a forum's "why is my grad None"), ending in
``result = agv.why(...)`` and ``expect = (cause, marker)``: the expected ``.cause``, and the ``# marker``
that ends the learner's line ``.where`` must name (None: no line). Some also assert on ``.message``.
Not a unit test (tests/test_why*.py hold the representative ones): a corpus to run after a change.
"""
import os
import runpy
import sys
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
warnings.simplefilter("ignore")


def main(parts):
    bad = 0
    for path in sorted(HERE.glob("p[0-9]*.py")):
        if parts and not any(p in path.name for p in parts):
            continue
        try:
            found = runpy.run_path(str(path), run_name="__main__")
        except Exception:  # noqa: BLE001 -- a failed assertion in the program is a wrong answer
            print("FAIL", path.name)
            traceback.print_exc(limit=1)
            bad += 1
            continue
        answer, (cause, marker) = found["result"], found["expect"]
        lines = path.read_text().splitlines()
        where = f"{path}:{[i + 1 for i, t in enumerate(lines) if t.rstrip().endswith('# ' + marker)][0]}" if marker else None
        ok = (answer.cause, answer.where) == (cause, where)
        bad += not ok
        shown = answer.where and os.path.basename(answer.where)
        print("ok  " if ok else "FAIL", path.name, answer.cause, shown, "" if ok else f"(expected {cause}, {marker})")
    print(f"{bad} wrong")
    return bad


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
