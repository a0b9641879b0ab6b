"""The fresh process of the `saves` check: load saved models through discovery alone.

``python -m keras_plugin_harness.conformance.reload MANIFEST`` reads a JSON list of
``{"plugin", "case", "path", "out"}``; for each entry it loads ``path`` with
``keras.saving.load_model(path, custom_objects=discover().custom_objects())``, records the
predictions and state, fits one more epoch, records the state again, and pickles the result (or
the error) to ``out``. One process serves every artifact: starting a backend costs seconds.
"""

from __future__ import annotations

import json
import pickle
import sys
import traceback
from pathlib import Path
from typing import Any

from ..cases import ConformanceCase
from ..manager import discover


def measure(case: ConformanceCase, model: Any) -> dict[str, Any]:
    """What the `saves` check compares, read from ``model``; trains it one more epoch."""
    from . import runs

    found = {"predictions": runs.predictions(case, model), "state": runs.state(case, model)}
    runs.fit(case, model, epochs=1)
    found["after_step"] = runs.state(case, model)
    return found


def write_atomically(path: Path, payload: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(pickle.dumps(payload))
    tmp.replace(path)


def main(manifest: str) -> int:
    import keras

    plugins = discover()
    custom_objects = plugins.custom_objects()
    for entry in json.loads(Path(manifest).read_text()):
        out = Path(entry["out"])
        try:
            cases = {c.name: c for c in plugins.conformance_cases(entry["plugin"])}
            case = cases[entry["case"]]
            keras.utils.set_random_seed(case.seed)
            model = keras.saving.load_model(entry["path"], custom_objects=custom_objects)
            write_atomically(out, measure(case, model))
        except Exception as error:
            detail = traceback.format_exception_only(type(error), error)[-1].strip()
            write_atomically(out, {"error": detail, "traceback": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
