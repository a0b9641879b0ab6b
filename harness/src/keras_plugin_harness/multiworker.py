"""`nox -s distributed`: one case per plugin under MultiWorkerMirroredStrategy.

``python -m keras_plugin_harness.multiworker`` starts two TensorFlow worker processes on
127.0.0.1 (``TF_CONFIG`` set here); each builds and fits every plugin's first case inside the
strategy's scope, and this process compares worker 0's weights and plugin state with a
single-device run of the same case. Bounded: the workers are killed after ``--timeout`` s.

Keras 3.15's TensorFlow trainer cannot ``fit`` under this strategy as shipped:
``_maybe_symbolic_build`` reduces a ``PerReplica`` batch eagerly ("Attempt to convert a value
(PerReplica...)") and ``reduce_per_replica`` reduces scalar logs over ``axis=0`` ("Invalid
reduction dimension 0"). ``_work_around_keras_multi_worker`` disables both in the worker
processes only: the optimizer is built up front and logs are averaged per worker (gradients are
still all-reduced by the strategy, which is what the comparison checks).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .cases import ConformanceCase
from .manager import discover


def first_cases() -> dict[str, ConformanceCase]:
    """Each plugin's first case on which `distributed` is not skipped."""
    plugins = discover()
    chosen = {}
    for plugin in plugins:
        for case in plugins.conformance_cases(plugin):
            if case.skip_reason("distributed", "tensorflow") is None:
                chosen[plugin] = case
                break
    return chosen


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _work_around_keras_multi_worker(model: Any) -> None:
    """See the module docstring: build eagerly, skip the broken symbolic build."""
    import keras.src.backend.tensorflow.trainer as tf_trainer

    tf_trainer._collective_all_reduce_multi_worker = lambda strategy: False
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = lambda self, **kwargs: None
    model.optimizer.build(model.trainable_variables)


def worker(index: int, out: Path) -> int:
    """One worker process: fit each plugin's first case, write the state to ``out``."""
    import traceback

    import tensorflow as tf

    from .conformance import runs

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    results: dict[str, Any] = {}
    for plugin, case in first_cases().items():
        try:
            with strategy.scope():
                model = runs.build(case)
                _work_around_keras_multi_worker(model)
                history = runs.fit(case, model)
            results[plugin] = {
                "case": case.name,
                "loss": history.get("loss", []),
                "state": runs.state(case, model),
            }
        except Exception:
            results[plugin] = {"case": case.name, "error": traceback.format_exc()[-1500:]}
    out.with_name(f"worker{index}.pickle").write_bytes(pickle.dumps(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args(argv)
    from .conformance import runs

    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "worker0.pickle"
        processes = []
        for index in range(2):
            env = dict(
                os.environ,
                KERAS_BACKEND="tensorflow",
                TF_CONFIG=json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}}
                ),
            )
            command = [
                sys.executable,
                "-c",
                f"from keras_plugin_harness.multiworker import worker; from pathlib import Path; "
                f"worker({index}, Path({str(out)!r}))",
            ]
            processes.append(subprocess.Popen(command, env=env))
        for process in processes:
            try:
                process.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                for p in processes:
                    p.kill()
                print(f"workers did not finish within {args.timeout} s", file=sys.stderr)
                return 1
        if not out.exists():
            print("worker 0 wrote no result", file=sys.stderr)
            return 1
        distributed = pickle.loads(out.read_bytes())
    failures = 0
    for plugin, case in first_cases().items():
        result = distributed.get(plugin, {"error": "missing from worker output"})
        label = f"{plugin}::{case.name}::multi-worker"
        try:
            if "error" in result:
                raise AssertionError(result["error"])
            single, _ = runs.train(case)
            runs.assert_close(
                runs.state(case, single),
                result["state"],
                "2 workers vs single device",
                case.atol,
                rtol=1e-3,
            )
            print(f"PASS {label}")
        except AssertionError as error:
            failures += 1
            print(f"FAIL {label}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
