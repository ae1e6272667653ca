"""How many ONNX Runtime threads a session gets, and whether idle ones spin.

Spinning (worker threads busy-wait for the next operator instead of sleeping) is what makes a
second thread pay off at batch 1, but on a busy machine the spinning threads steal CPU from the
other processes (and from foveal's own decoding threads). So the defaults follow the machine:

* ``threads``: the CPUs this process may use, less the ones other processes keep busy (the 1-minute
  load average without this process's own share, or, when smaller, the tasks of other processes
  runnable right now: the average lags by a minute; rounded), at least 1;
* ``spin``: on when the session has more than one thread and the machine has room for all of
  them (load + threads <= CPUs + 0.5); off otherwise.

Users override both: ``threads=`` / ``--threads`` / ``FOVEAL_THREADS=N`` and ``spin=`` /
``--spin`` / ``FOVEAL_SPIN=0|1`` (``auto`` keeps the rule above). ``docs/speed.md`` has the
measurements that chose these rules.

>>> plan_threads(2, spin=False)
ThreadPlan(threads=2, spin=False, why='threads given, spin given')
>>> plan_threads(1).spin
False
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass

from foveal.errors import ConfigError

SPIN_VALUES = {"1": True, "on": True, "true": True, "0": False, "off": False, "false": False}


@dataclass(frozen=True)
class ThreadPlan:
    """The intra-op thread count and spinning of one ONNX Runtime session, and why."""

    threads: int
    spin: bool
    why: str


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def machine_load() -> float:
    """The 1-minute load average (0.0 where the system does not report one)."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        return 0.0


LOAD_WINDOW_S = 60.0
"""The time constant of the kernel's 1-minute load average (an exponential moving average)."""


def process_age() -> float:
    """Seconds since this process started (from ``/proc``; 0.0 where that cannot be read)."""
    try:
        with open("/proc/self/stat") as stat:
            after_name = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        return max(0.0, up - int(after_name[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0.0


def own_load(*, cpu_seconds: float | None = None, age: float | None = None) -> float:
    """This process's own share of the 1-minute load average: its average CPU use so far (all
    threads) weighted by how much of the moving average its life covers,
    ``cpu / age * (1 - exp(-age / 60))``. A process that decoded and ran networks for a minute
    before opening a session must not count itself as "another process keeping a CPU busy".

    >>> own_load(cpu_seconds=0.0, age=30.0)
    0.0
    >>> round(own_load(cpu_seconds=120.0, age=120.0), 2)   # one CPU busy for 2 minutes
    0.86
    """
    age = process_age() if age is None else age
    if age <= 0.0:
        return 0.0
    cpu = time.process_time() if cpu_seconds is None else cpu_seconds
    return cpu / age * (1.0 - math.exp(-age / LOAD_WINDOW_S))


def running_now(samples: int = 8, interval: float = 0.002) -> float | None:
    """Tasks of *other* processes runnable right now: the kernel's count of runnable tasks
    (``/proc/loadavg``) less this process's own running threads, averaged over ``samples`` reads
    ``interval`` seconds apart; ``None`` where ``/proc`` cannot be read.

    The 1-minute load average lags: a command that ended 20 seconds ago still counts about 0.7
    of a CPU in it. This says what the machine does now.
    """
    seen: list[int] = []
    for k in range(samples):
        if k:
            time.sleep(interval)
        try:
            with open("/proc/loadavg") as fh:
                runnable = int(fh.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        seen.append(max(0, runnable - own_running_threads()))
    return sum(seen) / len(seen)


def own_running_threads() -> int:
    """This process's threads the kernel has running or ready to run (state ``R``), at least 1
    (the caller)."""
    running = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split(None, 1)[0]
        except (OSError, IndexError):
            continue
        running += state == "R"
    return max(1, running)


def env_threads() -> int | None:
    """``FOVEAL_THREADS`` as a thread count, ``None`` when unset or ``auto``.

    Raises:
        ConfigError: a value that is not a whole number >= 1.
    """
    raw = os.environ.get("FOVEAL_THREADS", "").strip()
    if not raw or raw.lower() == "auto":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(
            f"FOVEAL_THREADS={raw!r} is not a thread count; set it to a whole number >= 1 "
            "(or 'auto', or unset it)"
        )
    return value


def parse_spin(value: str | bool | None, *, where: str = "FOVEAL_SPIN") -> bool | None:
    """``"1"/"on"/"true"`` -> True, ``"0"/"off"/"false"`` -> False, ``None``/``""``/``"auto"``
    -> None (decide from the load).

    >>> parse_spin("on"), parse_spin("0"), parse_spin("auto")
    (True, False, None)

    Raises:
        ConfigError: any other value.
    """
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "auto"):
        return None
    if text not in SPIN_VALUES:
        raise ConfigError(f"{where}={value!r} is not a spin setting; use 0, 1 or auto")
    return SPIN_VALUES[text]


def plan_threads(
    threads: int | None = None,
    spin: bool | None = None,
    *,
    cpus: int | None = None,
    load: float | None = None,
) -> ThreadPlan:
    """Threads and spinning for a new session: the arguments, else ``FOVEAL_THREADS`` /
    ``FOVEAL_SPIN``, else the rules of this module's docstring on ``cpus`` and ``load``
    (default: this process's CPUs, and the current 1-minute load average less :func:`own_load`;
    a ``load`` given is taken as the other processes' load).

    >>> plan_threads(cpus=2, load=0.1)
    ThreadPlan(threads=2, spin=True, why='idle machine: 2 CPUs, load 0.10')
    >>> plan_threads(cpus=2, load=1.7)
    ThreadPlan(threads=1, spin=False, why='busy machine: 2 CPUs, load 1.70')

    Raises:
        ConfigError: ``threads`` below 1, or a bad ``FOVEAL_THREADS`` / ``FOVEAL_SPIN``.
    """
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1
    ):
        raise ConfigError(
            f"threads must be a whole number >= 1 (or None for the automatic plan), got {threads!r}"
        )
    given_threads = threads is not None or env_threads() is not None
    count = int(threads) if threads is not None else env_threads()
    if spin is None:
        spin = parse_spin(os.environ.get("FOVEAL_SPIN"))
    given_spin = spin is not None
    if count is not None and given_spin:
        return ThreadPlan(count, bool(spin), "threads given, spin given")
    n = usable_cpus() if cpus is None else cpus
    own = 0.0
    now: float | None = None
    if load is None:
        load = machine_load()
        own = min(own_load(), load)
        if load - own >= 0.25:  # the average says busy: is the machine busy now?
            now = running_now()
    busy = load - own if now is None else min(load - own, now)
    free = max(1, min(n, math.floor(n - busy + 0.5)))
    count = free if count is None else count
    room = busy + count <= n + 0.5
    if not given_spin:
        spin = count > 1 and room
    state = "idle" if room else "busy"
    why = f"{state} machine: {n} CPUs, load {load - own:.2f}"
    if own >= 0.01:
        why += f" from other processes ({load:.2f} with this one)"
    if now is not None:
        why += f", {now:.2f} running now"
    if given_threads or given_spin:
        why = ("threads given, " if given_threads else "spin given, ") + why
    return ThreadPlan(count, bool(spin), why)


def quiet_opencv() -> None:
    """Turn OpenCV's own thread pool off (``cv2.setNumThreads(1)``) for this process.

    Called when an ONNX Runtime session spins on every CPU: OpenCV's pool threads (woken by a
    resize or a channel split while decoding the next image) then only fight the spinning
    network threads. Measured on MobileNetV2 from file, 2 CPUs, 2 spinning threads vs 1 thread:
    1.16-1.22x with OpenCV's pool, 1.36x without (docs/speed.md). Call ``cv2.setNumThreads(n)``
    after making predictors, or run with ``FOVEAL_SPIN=0``, to keep OpenCV's threads.
    """
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
