"""Where and how a results page was measured: the code, the machine, the
versions and the command that reproduces it, written the same way by every
benchmark.

The autoencoders' figures reproduce bit for bit on the same machine, but
not across CPUs: torch's and the BLAS libraries' math kernels take a path
by the instruction set they find (AVX-512, AVX2, ...), and a different path
rounds differently. So a page records the commit, the CPU model, torch's
CPU capability and the BLAS libraries with their threading, which is what
explains a rerun that differs (see the reproducibility section of the user
guide).
"""

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch

import sklearn_ae

_ROOT = Path(__file__).resolve().parent.parent
# Environment variables that change which math kernels run, or on how many
# threads: recorded when set.
KERNEL_VARIABLES = (
    "MKL_ENABLE_INSTRUCTIONS",
    "ATEN_CPU_CAPABILITY",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
)


def command_line(program, argv):
    """The shell command that reran ``program`` with ``argv`` (None: sys.argv)."""
    given = sys.argv[1:] if argv is None else list(argv)
    return " ".join([program, *given])


def _fit_threads():
    bound = sklearn_ae.get_config()["max_threads"]
    threads = torch.get_num_threads()
    return threads if bound is None else min(bound, threads)


def _git(*args):
    try:
        done = subprocess.run(
            ["git", *args], cwd=_ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state():
    """``{"commit": sha, "dirty": bool}`` of the checkout, or Nones outside git.

    Dirty means tracked files differ from the commit (untracked files, such
    as a run's own output folder, do not count).
    """
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if changed is None else bool(changed)}


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else the platform's."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def math_libraries():
    """The BLAS and OpenMP libraries loaded, with their version and threads.

    From threadpoolctl (a scikit-learn dependency): one dict per library with
    ``internal_api`` (openblas, mkl, openmp...), ``version``,
    ``num_threads``, ``threading_layer`` and ``architecture`` (the kernel
    path OpenBLAS chose) where known. Libraries loaded later (torch's MKL
    at its first matrix product) are listed when loaded by then.
    """
    from threadpoolctl import threadpool_info

    keep = ("internal_api", "version", "num_threads", "threading_layer", "architecture")
    return [
        {key: info[key] for key in keep if info.get(key) is not None}
        | {"library": Path(info["filepath"]).name}
        for info in threadpool_info()
    ]


def torch_math_libraries():
    """The math libraries torch was built with (MKL, oneDNN), from its config.

    torch links them statically, so threadpoolctl does not list them; they
    follow torch's own thread count.
    """
    names = ("Math Kernel Library", "MKL-DNN", "oneDNN")
    found = []
    for line in torch.__config__.show().splitlines():
        line = line.strip().removeprefix("- ")
        if any(name in line for name in names):
            found.append(line.split(" for ")[0].split(" (Git Hash")[0])
    return found


def _load_average():
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def provenance(command, device):
    """Date, code, machine, versions, device and command, for ``run.json``."""
    return {
        "command": command,
        "date": time.strftime("%Y-%m-%d"),
        **git_state(),
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        # Runnable processes over the last 1, 5 and 15 minutes: a load above
        # the CPU count means the times are a shared machine's.
        "load_average": _load_average(),
        # The instruction set torch's kernels dispatch to (AVX512, AVX2,
        # DEFAULT); numbers computed on another path may differ.
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "math_libraries": math_libraries(),
        "torch_math_libraries": torch_math_libraries(),
        "environment": {
            name: os.environ[name] for name in KERNEL_VARIABLES if name in os.environ
        },
        # The threads the fits computed with: torch's count under the
        # package's bound (sklearn_ae.set_config).
        "torch_threads": _fit_threads(),
        "device": device,
        "versions": {
            "sklearn_ae": sklearn_ae.__version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }


def _libraries_text(libraries):
    """``openblas 0.3.30 (pthreads, SkylakeX, 2 threads)``, one per library."""
    texts = []
    for library in libraries:
        details = [
            library[key]
            for key in ("threading_layer", "architecture")
            if library.get(key)
        ]
        if "num_threads" in library:
            details.append(f"{library['num_threads']} threads")
        name = " ".join(
            str(library[key]) for key in ("internal_api", "version") if library.get(key)
        )
        texts.append(f"{name} ({', '.join(details)})" if details else name)
    # The same library loaded twice (numpy's and scipy's OpenBLAS) reads once
    # per distinct description.
    return ", ".join(dict.fromkeys(texts))


def machine_sentence(info):
    """The code and the math-kernel path a page was measured with.

    Empty for a page recorded before these fields were (an older
    ``run.json``).
    """
    parts = []
    if info.get("commit"):
        state = " with uncommitted changes" if info.get("dirty") else ""
        parts.append(f"Code: commit {info['commit'][:10]}{state}.")
    if info.get("cpu_model"):
        text = f"CPU: {info['cpu_model']}"
        if info.get("torch_cpu_capability"):
            text += f", torch CPU capability {info['torch_cpu_capability']}"
        if "torch_threads" in info:
            text += f", torch threads per fit: {info['torch_threads']}"
        parts.append(text + ".")
    if info.get("torch_math_libraries"):
        parts.append(f"torch's math: {', '.join(info['torch_math_libraries'])}.")
    if info.get("math_libraries"):
        parts.append(
            "numpy's and scipy's math (threadpoolctl): "
            f"{_libraries_text(info['math_libraries'])}."
        )
    loads = [
        f"{info[key][0]:.1f} at the {when}"
        for key, when in (("load_average_at_start", "start"), ("load_average", "end"))
        if info.get(key)
    ]
    if loads:
        parts.append(
            f"Load average (1 minute): {' and '.join(loads)}, on "
            f"{info['cpu_count']} CPUs; above that count the times are a shared "
            "machine's."
        )
    if info.get("environment"):
        settings = ", ".join(f"{k}={v}" for k, v in info["environment"].items())
        parts.append(f"Environment: {settings}.")
    return " ".join(parts)


def measured_sentence(info):
    """The page's first sentences: when, where, with what, and how to rerun.

    Adds the run's duration when ``info`` has ``total_seconds``, and the
    commit, CPU and math libraries (:func:`machine_sentence`) when recorded.
    """
    versions = info["versions"]
    duration = ""
    if "total_seconds" in info:
        duration = f" ({info['total_seconds'] / 60:.1f} minutes)"
    sentence = (
        f"Measured {info['date']} on {info['machine']} ({info['cpu_count']} CPUs, "
        f"device {info['device']}), with sklearn-ae {versions['sklearn_ae']}, "
        f"torch {versions['torch']}, scikit-learn {versions['scikit-learn']}. "
        f"Reproduce with `{info['command']}`{duration}."
    )
    machine = machine_sentence(info)
    return f"{sentence} {machine}" if machine else sentence
