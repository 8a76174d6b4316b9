"""Where and how a results page was measured: the machine, the versions and
the command that reproduces it, written the same way by every benchmark."""

import os
import platform
import sys
import time

import numpy as np
import sklearn
import torch

import sklearn_ae


def command_line(program, argv):
    """The shell command that reran ``program`` with ``argv`` (None: sys.argv)."""
    given = sys.argv[1:] if argv is None else list(argv)
    return " ".join([program, *given])


def _fit_threads():
    bound = sklearn_ae.get_config()["max_threads"]
    threads = torch.get_num_threads()
    return threads if bound is None else min(bound, threads)


def provenance(command, device):
    """Date, machine, versions, device and command, for ``run.json`` and pages."""
    return {
        "command": command,
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
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


def measured_sentence(info):
    """The page's first sentence: when, where, with what, and how to rerun.

    Adds the run's duration when ``info`` has ``total_seconds``.
    """
    versions = info["versions"]
    duration = ""
    if "total_seconds" in info:
        duration = f" ({info['total_seconds'] / 60:.1f} minutes)"
    return (
        f"Measured {info['date']} on {info['machine']} ({info['cpu_count']} CPUs, "
        f"device {info['device']}), with sklearn-ae {versions['sklearn_ae']}, "
        f"torch {versions['torch']}, scikit-learn {versions['scikit-learn']}. "
        f"Reproduce with `{info['command']}`{duration}."
    )
