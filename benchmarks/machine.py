"""A description of the machine and software the numbers were taken on."""
import os
import platform

import numpy as np

from benchmarks.peers import versions


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores():
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return f"{os.cpu_count()} cores" + (f" ({usable} usable)" if usable is not None else "")


def _torch_threads():
    try:
        import torch
        return f", torch threads {torch.get_num_threads()}"
    except Exception:
        return ""


def machine_lines():
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    lines = [f"machine: {cpu_model()}, {cores()}, {platform.system()} {platform.machine()}{load}",
             f"python {platform.python_version()}, numpy {np.__version__}" + _torch_threads()]
    lines.append(", ".join(f"{k} {v}" for k, v in versions().items()))
    env = [f"{k}={v}" for k, v in sorted(os.environ.items())
           if k.startswith(("OPENBLAS_", "OMP_", "MKL_")) and k != "OPENBLAS_VERBOSE"]
    if env:
        lines.append("environment: " + " ".join(env))
    return lines
