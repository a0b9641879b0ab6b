"""Every developer and CI entry point. `nox -s tests` is CI's command; `nox -s conformance` is the
main job. Sessions reuse their virtualenvs and install with pip, which reads this machine's
local wheel folder (where the CPU build of torch lives); uv would not."""

from __future__ import annotations

import email
import os
import shutil
import zipfile
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent
PACKAGES = sorted(f"packages/{p.parent.name}" for p in (ROOT / "packages").glob("*/pyproject.toml"))
# benchmark code stays out of the wheels: packages/<dist>/benchmarks/<package>_bench.py
BENCHMARKS = [f"{p}/benchmarks" for p in PACKAGES if (ROOT / p / "benchmarks").is_dir()]
BACKENDS = ("tensorflow", "jax", "torch")
# plugins built on other plugins (required, or optional but tested): unpublished, so installed
# from their folders
PLUGIN_DEPENDENCIES = {
    "packages/keras-gan-arch": ["packages/keras-lipschitz", "packages/keras-ema"]
}
# CPU builds only: plain `torch` would pull several GB of CUDA wheels.
BACKEND_REQUIREMENTS = ["tensorflow-cpu==2.21.0", "jax[cpu]==0.10.2", "torch==2.13.0+cpu"]
RUNTIME = ["keras==3.15.1", "scikit-learn>=1.4", "matplotlib>=3.8"]
TEST_TOOLS = ["pytest>=8", "pytest-timeout>=2.3", "pytest-xdist>=3.5"]
DOCS_REQUIREMENTS = [
    "mkdocs==1.6.1",
    "mkdocs-material==9.8.1",
    "mkdocstrings[python]==1.0.8",
    "mkdocstrings-python==2.0.11",
    "ruff>=0.6",  # mkdocstrings formats signatures with it
]
REQUIRED_METADATA = (
    "License-Expression",
    "License-File",
    "Classifier",
    "Requires-Python",
    "Project-URL",
)
PARALLEL = ["-n", "2", "--dist", "loadfile"]
REQUIRE_GPU = {"KERAS_PLUGINS_REQUIRE_GPU": "1"}
PARALLEL_GROUPS = ["-n", "2", "--dist", "loadgroup"]  # a conformance case's checks share a worker
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def install_everything(session: nox.Session, *extra: str) -> None:
    """Backends, the harness and every plugin (editable) into the session's venv."""
    editable = [arg for package in ["harness", *PACKAGES] for arg in ("-e", package)]
    session.install(*BACKEND_REQUIREMENTS, *RUNTIME, *TEST_TOOLS, *extra, *editable)


def backends(session: nox.Session) -> list[str]:
    """`nox -s tests -- jax,torch` limits the backends."""
    chosen = session.posargs[0].split(",") if session.posargs else list(BACKENDS)
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        session.error(f"unknown backend(s) {sorted(unknown)}; choose from {BACKENDS}")
    return chosen


def run_conformance(
    session: nox.Session, backends: list[str], out: str, *pytest_args: str, **env: str
) -> None:
    """The conformance suite through its one spelling, `keras-plugins check`: a fresh
    interpreter per backend, the matrix printed and written into `out`."""
    command = ["keras-plugins", "check", "--backend", ",".join(backends), "--out", out]
    session.run(*command, "--", *pytest_args, env={**QUIET_ENV, **env})


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Unit tests of the harness and every plugin, then conformance, on each backend."""
    install_everything(session)
    test_dirs = ["harness/tests", *[f"{p}/tests" for p in PACKAGES]]
    session.log("==== doctests (every public docstring example) and the host-app example ====")
    session.run(
        "python",
        "-m",
        "pytest",
        "examples/host-app/tests",
        "--doctest-modules",
        "harness/src",
        *[f"{p}/src" for p in PACKAGES],
        "--ignore=harness/src/keras_plugin_harness/conformance/test_conformance.py",
        "--ignore-glob=*/__main__.py",
        "-p",
        "no:cacheprovider",
        env={**QUIET_ENV, "KERAS_BACKEND": "tensorflow"},
    )
    shutil.rmtree(".conformance", ignore_errors=True)  # the matrix of this run only
    for backend in backends(session):
        env = {**QUIET_ENV, "KERAS_BACKEND": backend}
        session.log(f"==== unit tests on {backend} ====")
        # two workers: the 2-core CI machine is mostly idle while one interpreter dispatches ops
        session.run("python", "-m", "pytest", *test_dirs, *PARALLEL, "--timeout=900", env=env)
        session.log(f"==== conformance on {backend} ====")
        run_conformance(session, [backend], ".conformance", *PARALLEL_GROUPS, "--timeout=1800")


@nox.session(python="3.11")
def conformance(session: nox.Session) -> None:
    """The main job: every installed plugin x every check x every backend -> docs/compat.md."""
    install_everything(session)
    session.run("keras-plugins", "list")
    run_conformance(session, backends(session), "docs", *PARALLEL_GROUPS)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Every BenchCase side by side; ratios and tables into docs/benchmarks.md."""
    install_everything(session)
    args = ["--backend", ",".join(backends(session)), "--benchmarks", *BENCHMARKS]
    plugin = os.environ.get("BENCH_PLUGIN")
    session.run(
        "keras-plugins", "bench", *args, *(["--plugin", plugin] if plugin else []), env=QUIET_ENV
    )


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """The host app in examples/host-app: discovers the installed plugins, trains digits with
    them, reloads the model in a fresh process through discovery. `nox -s demo -- --epochs 5`
    passes options to the app; KERAS_PLUGINS_ALLOW=keras-ema runs it with fewer plugins."""
    editable = [arg for package in ["harness", *PACKAGES] for arg in ("-e", package)]
    session.install(BACKEND_REQUIREMENTS[0], *RUNTIME, *editable)
    session.run(
        "python",
        "examples/host-app/host_app.py",
        *session.posargs,
        env={**QUIET_ENV, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")},
    )


@nox.session(python="3.11")
def gpu(session: nox.Session) -> None:
    """Conformance `gpu` check where a GPU must be present: fails, not skips, without one."""
    install_everything(session)
    gpu_only = ["-k", "gpu"]
    run_conformance(session, backends(session), ".conformance-gpu", *gpu_only, **REQUIRE_GPU)


@nox.session(python="3.11")
def distributed(session: nox.Session) -> None:
    """One case per plugin under MultiWorkerMirroredStrategy: 2 worker processes on 127.0.0.1."""
    install_everything(session)
    session.run("python", "-m", "keras_plugin_harness.multiworker", env=QUIET_ENV)


@nox.session(python="3.11", reuse_venv=False)
@nox.parametrize("package", PACKAGES)
def isolation(session: nox.Session, package: str) -> None:
    """A fresh venv with only one plugin (and its plugin dependencies): its tests pass and
    `keras-plugins list` shows only it."""
    needed = PLUGIN_DEPENDENCIES.get(package, [])
    editable = [arg for p in ["harness", *needed, package] for arg in ("-e", p)]
    session.install(BACKEND_REQUIREMENTS[1], *RUNTIME, *TEST_TOOLS, *editable)
    listed = session.run("keras-plugins", "list", silent=True)
    session.log(listed)
    name = Path(package).name
    others = [
        Path(p).name
        for p in PACKAGES
        if Path(p).name != name and f"{Path(p).name} " in (listed or "")
    ]
    if set(others) - {Path(p).name for p in needed}:
        session.error(f"`keras-plugins list` shows other plugins: {others}")
    session.run(
        "python", "-m", "pytest", f"{package}/tests", env={**QUIET_ENV, "KERAS_BACKEND": "jax"}
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy over the harness and every plugin's src/ (Keras itself is not installed: its
    names type as Any, which keeps the run short and the errors ours)."""
    session.install("mypy>=1.11", "numpy>=1.26", "pluggy>=1.5", "pytest>=8")
    session.install("--no-deps", *[arg for p in ["harness", *PACKAGES] for arg in ("-e", p)])
    session.run("mypy", "harness/src", *[f"{p}/src" for p in PACKAGES])


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The documentation site into site/ (`mkdocs build --strict`: broken links and warnings
    fail). `nox -s docs -- --screenshots` then screenshots the home page and a plugin page with
    headless Chromium (Debian's `chromium` package) into docs/images/."""
    session.install(*DOCS_REQUIREMENTS)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    if "--screenshots" in session.posargs:
        session.run("python", "docs/_mkdocs/screenshots.py", "site", "docs/images")


@nox.session(python="3.11")
def build(session: nox.Session) -> None:
    """Wheels and sdists of every package into a fresh dist/; `twine check --strict`, then
    every wheel must declare a license expression and ship its license file, have classifiers
    (no legacy license classifier), Requires-Python and project URLs. Then each plugin wheel
    alone in a fresh venv with one backend: every module it ships imports with only its declared
    dependencies, its README's first example runs as written, and with the harness beside it
    discovery lists it without importing Keras (tools/check_wheel.py)."""
    session.install("build>=1.2", "twine>=6.1")  # twine 6.1: metadata 2.4 (License-Expression)
    shutil.rmtree("dist", ignore_errors=True)
    for package in ["harness", *PACKAGES]:
        session.run("python", "-m", "build", "--outdir", "dist", package)
    session.run("twine", "check", "--strict", *sorted(str(p) for p in Path("dist").glob("*")))
    problems = []
    for wheel in sorted(Path("dist").glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.message_from_bytes(archive.read(name))
        for field in REQUIRED_METADATA:
            if not metadata.get_all(field):
                problems.append(f"{wheel.name}: no {field}")
        legacy = [c for c in metadata.get_all("Classifier", []) if c.startswith("License ::")]
        if legacy:  # PEP 639: superseded by License-Expression; PyPI rejects both together
            problems.append(f"{wheel.name}: license classifier next to License-Expression")
    if problems:
        session.error("wheel metadata:\n" + "\n".join(problems))
    session.log(f"metadata complete in {len(list(Path('dist').glob('*.whl')))} wheels")
    for package in PACKAGES:
        check_wheel_alone(session, package)


def check_wheel_alone(session: nox.Session, package: str) -> None:
    """`package`'s wheel in a fresh venv with JAX (the lightest backend) and its plugin
    dependencies from dist/, then the harness wheel beside it."""
    distribution = Path(package).name
    (wheel,) = Path("dist").glob(f"{distribution.replace('-', '_')}-*.whl")
    venv = Path(session.create_tmp()) / f"alone-{distribution}"
    session.run("python", "-m", "venv", "--clear", str(venv))
    python = str(venv / "bin" / "python")
    pins = [BACKEND_REQUIREMENTS[1], RUNTIME[0]]  # the versions the tests use
    requirement = f"{distribution}[jax] @ {wheel.resolve().as_uri()}"
    install = [python, "-m", "pip", "install", "-q", "--find-links", "dist"]
    session.run(*install, requirement, *pins, external=True)
    env = {**QUIET_ENV, "KERAS_BACKEND": "jax"}
    check = [python, "tools/check_wheel.py"]
    session.run(*check, "modules", str(wheel), f"{package}/README.md", env=env, external=True)
    (harness,) = Path("dist").glob("keras_plugin_harness-*.whl")
    session.run(*install, str(harness), external=True)
    session.run(
        *check,
        "discovery",
        str(wheel),
        env={**env, "PATH": f"{venv}/bin:{os.environ['PATH']}"},
        external=True,
    )


# `nox -s keras-versions` pins a TensorFlow and a JAX of each tested Keras' time: TensorFlow 2.21
# needs Keras >= 3.12 (2.20: >= 3.10); Keras 3.8 fails to import with JAX 0.10 (`jax.spmd_mode`),
# and JAX 0.4.38 rounds keras-ema's 50-step reference 1 ulp off. A package declaring a new Keras
# floor needs its row here.
KERAS_BACKENDS = {
    "3.8": {"tensorflow": "tensorflow-cpu==2.18.1", "jax": "jax[cpu]==0.5.2"},
    "3.9": {"tensorflow": "tensorflow-cpu==2.18.1", "jax": "jax[cpu]==0.5.2"},
    "3.10": {"tensorflow": "tensorflow-cpu==2.18.1", "jax": "jax[cpu]==0.6.0"},
    "3.15": {"tensorflow": BACKEND_REQUIREMENTS[0], "jax": BACKEND_REQUIREMENTS[1]},
    "3.15.1": {"tensorflow": BACKEND_REQUIREMENTS[0], "jax": BACKEND_REQUIREMENTS[1]},
}
NEWEST_KERAS = RUNTIME[0].removeprefix("keras==")


def keras_floor(package: str) -> str:
    """The X.Y of `keras>=X.Y` in a package's dependencies."""
    import tomllib  # here rather than at the top: this session's helpers stay together

    project = tomllib.loads((ROOT / package / "pyproject.toml").read_text())["project"]
    (floor,) = [d.split(">=")[1] for d in project["dependencies"] if d.startswith("keras>=")]
    return floor


def release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


KERAS_FLOORS = {package: keras_floor(package) for package in PACKAGES}


@nox.session(python="3.11", name="keras-versions")
@nox.parametrize("backend", ["tensorflow", "jax"])
@nox.parametrize("keras", sorted({*KERAS_FLOORS.values(), NEWEST_KERAS}, key=release))
def keras_versions(session: nox.Session, keras: str, backend: str) -> None:
    """Unit tests of each plugin under the lowest Keras it declares, and of every plugin and
    the harness under the newest, on TensorFlow and JAX, one venv each (`nox -s keras-versions
    -k jax` runs JAX's only)."""
    if keras not in KERAS_BACKENDS:
        session.error(f"no TensorFlow/JAX pins for Keras {keras}: add them to KERAS_BACKENDS")
    # installed: every package this Keras satisfies (plugins build on plugins); tested: those
    # whose floor it is; the harness's tests need every plugin installed
    installed = [p for p in PACKAGES if release(KERAS_FLOORS[p]) <= release(keras)]
    tested = [f"{p}/tests" for p in installed if keras in (KERAS_FLOORS[p], NEWEST_KERAS)]
    if installed == PACKAGES:
        tested.insert(0, "harness/tests")
    editable = [arg for package in ["harness", *installed] for arg in ("-e", package)]
    others = [r for r in RUNTIME if not r.startswith("keras==")]
    # one resolve with Keras pinned, so pip cannot move it; torch: keras-lipschitz's tests
    # compare with PyTorch's spectral norm
    pins = [KERAS_BACKENDS[keras][backend], f"keras=={keras}", BACKEND_REQUIREMENTS[2]]
    session.install(*pins, *others, *TEST_TOOLS, *editable)
    env = {**QUIET_ENV, "KERAS_BACKEND": backend}
    session.run("python", "-m", "pytest", *tested, *PARALLEL, "--timeout=900", env=env)
