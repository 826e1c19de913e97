"""How many CPU threads torch gets while training, evaluating or recording, following the
machine's load.

Torch's OpenMP threads spin at every barrier, so a rank with more threads than the cores
other work leaves free collapses: measured on 2 cores with 2 busy processes started 25 s
after ``fit``, 819 agent-steps/s with 2 threads vs 3,686 with 1. Choosing once at start is not
enough (load arrives later: a compile, another run), so the count is re-decided every
couple of seconds of training (checked between minibatches and updates) from the cores
*other* processes kept busy since the last decision: the machine's
busy time (``/proc/stat``) minus this process's own CPU time. The load average would be
simpler but lags a minute and counts this process too.

Torch's thread count is one per process, so is its controller: :func:`configure_threads`
makes the process's (training does at fit start, an evaluation worker with one fixed thread),
and any loop that plays episodes (validation, ``evaluate``, ``compare``, ``replay``, the web
app's replays) follows it between steps through :func:`process_threads`, which configures one
the first time a process plays without.
"""

from __future__ import annotations

import os
import time


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container or taskset limit)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (Linux)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


class CoreMonitor:
    """Cores kept busy by this process and by all others between successive :meth:`measure` calls."""

    def __init__(self) -> None:
        self._last = (_machine_jiffies(), _own_cpu_seconds(), time.monotonic())

    def measure(self) -> tuple[float, float] | None:
        """(this process's busy cores, other processes' busy cores) since the last call
        (None: not measurable here)."""
        machine, own, now = _machine_jiffies(), _own_cpu_seconds(), time.monotonic()
        (machine0, own0, then), self._last = self._last, (machine, own, now)
        if machine is None or machine0 is None or machine[1] <= machine0[1] or now <= then:
            return None
        cores = os.cpu_count() or 1
        busy = cores * (machine[0] - machine0[0]) / (machine[1] - machine0[1])
        mine = (own - own0) / (now - then)
        return mine, max(0.0, busy - mine)


def busy_cores(interval: float = 0.25) -> float:
    """Cores kept busy by other work right now, measured over ``interval`` while this process waits."""
    monitor = CoreMonitor()
    time.sleep(interval)
    measured = monitor.measure()
    return measured[1] if measured else 0.0


class ThreadController:
    """Torch's thread count for one rank: its share of the cores others leave free, less the
    env's extra worker threads, re-decided at most every ``interval`` seconds (:meth:`follow`).

    With several ranks on one machine, the other ranks are not "other work": each is counted
    as busy as this one, and only load beyond them takes cores away.
    """

    def __init__(self, local_ranks: int = 1, env_threads: int = 1, interval: float = 2.0) -> None:
        self.local_ranks, self.env_threads, self.interval = max(1, local_ranks), env_threads, interval
        self.monitor = CoreMonitor()
        self.decided = time.monotonic()
        self.adaptive = True  # False: the count was fixed by the user; follow() keeps it

    def target(self, others_busy: float) -> int:
        free = max(1, available_cores() - round(others_busy))
        return max(1, free // self.local_ranks - (self.env_threads - 1))

    def start(self) -> int:
        """The count at fit start (measured while idle for a quarter second); applied."""
        import torch

        threads = self.target(busy_cores())
        torch.set_num_threads(threads)
        self.monitor, self.decided = CoreMonitor(), time.monotonic()
        return threads

    def follow(self) -> int:
        """Call often (between minibatches): once ``interval`` seconds passed since the last
        decision, the count follows the load measured over them. Returns the count in use."""
        import torch

        now = time.monotonic()
        if self.adaptive and now - self.decided >= self.interval:
            self.decided = now
            measured = self.monitor.measure()
            if measured is not None:
                mine, others = measured
                external = max(0.0, others - (self.local_ranks - 1) * mine)  # sibling ranks are ours
                if (threads := self.target(external)) != torch.get_num_threads():
                    torch.set_num_threads(threads)
        return torch.get_num_threads()


_process_controller: ThreadController | None = None  # the last configure_threads' (see the module doc)


def configure_threads(
    torch_threads: int | None = None, env_threads: int = 1, local_ranks: int = 1, device_type: str = "cpu"
) -> ThreadController:
    """Torch's threads at the start of a command: fixed when given (``torch_threads`` or
    ``OMP_NUM_THREADS``, or off the CPU), else this rank's share of the cores other work leaves
    free, following the load (call :meth:`ThreadController.follow`, or :func:`follow_load`,
    between minibatches or steps). It becomes the process's controller."""
    import torch

    global _process_controller
    controller = _process_controller = ThreadController(local_ranks, env_threads)
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    if torch_threads is not None or "OMP_NUM_THREADS" in os.environ or device_type != "cpu":
        controller.adaptive = False
    else:
        controller.start()
    return controller


def process_threads() -> ThreadController:
    """The process's controller; the first call without one configures it (by the load)."""
    return _process_controller if _process_controller is not None else configure_threads()
