"""Facts about this machine, for run folders, model cards, benchmarks and the device setup.

This module imports no Paddle (nor anything beyond the standard library), so that the run
folder (srgan.runs), the CLI and the benchmark scripts' parent processes can use it cheaply.
"""

from __future__ import annotations

import os
import platform


def machine_description() -> str:
    """This machine in one line, for config.json and the model card: "x86_64, 2 CPU cores, Linux ..."."""
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def cpu_fields(cpuinfo: str | None = None) -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo ("vendor_id", "model name", "flags", ...);
    {} where there is no such file (not Linux).

    Args:
        cpuinfo: the file's text (for tests); None reads the file.
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read(1 << 16)  # the first processor's lines are enough
        except OSError:
            return {}
    fields = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """The CPU's model name ("AMD EPYC ...") for benchmark reports; the platform's guess elsewhere."""
    return cpu_fields().get("model name") or platform.processor() or platform.machine()


def cpu_threads() -> int:
    """CPU cores this process may use (respects taskset / container CPU sets)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
