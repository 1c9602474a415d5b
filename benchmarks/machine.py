"""What every results file records about the machine it was measured on."""

from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["load_average", "machine"]


def _proc_field(path: str, key: str) -> str | None:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return None


def machine() -> dict[str, str]:
    """nproc, CPU model, RAM, platform and Python version."""
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "nproc": str(os.cpu_count()),
        "cpu": _proc_field("/proc/cpuinfo", "model name") or "unknown",
        "ram": f"{int(mem_kb.split()[0]) / 1024**2:.1f} GiB" if mem_kb else "unknown",
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def load_average() -> str:
    """The 1/5/15-minute load averages (other people's work on a shared machine skews timings)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
