"""A host app that knows only `discover()` loads a `.keras` file using a fixture plugin's layer."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from harness_support import FIXTURES, fixture_env, run_python


def test_fresh_process_loads_plugin_model_through_discovery_alone(
    fixture_site: Path, tmp_path: Path
) -> None:
    sys.path.insert(0, str(FIXTURES))
    import keras

    from kph_fixtures.cases import build, make_data
    from kph_fixtures.layers import Scale

    x, y = make_data()
    model = build(Scale)()
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    expected = model.predict(x, verbose=0)
    np.save(tmp_path / "x.npy", x)

    host = (
        "import sys, numpy as np, keras\n"
        "from keras_plugin_harness import discover\n"
        f"model = keras.saving.load_model({str(path)!r},\n"
        "                                 custom_objects=discover().custom_objects())\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        f"np.save({str(tmp_path / 'got.npy')!r}, model.predict(x, verbose=0))\n"
    )
    # the host names no plugin: the fixture reaches it only as an installed entry point
    done = run_python(host, fixture_env(fixture_site, KERAS_BACKEND=keras.backend.backend()))
    assert done.returncode == 0, done.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "got.npy"), expected, atol=1e-6)
