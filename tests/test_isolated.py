"""Our benchmark timers in worker processes of their own: values come back, failures are one line, nothing lingers."""
import os

import pytest

from gluon_gan.bench import isolated


class CountingTimer:
    """Returns (its process id, how many repeats it has timed): proves where and how often it ran."""

    def __init__(self, start):
        self.count = start

    def time_once(self):
        self.count += 1
        return os.getpid(), self.count


class FailingTimer:
    def __init__(self, when):
        if when == "build":
            raise ValueError("no such data set: faces")

    def time_once(self):
        raise RuntimeError("the step diverged")


def test_each_timer_runs_in_a_process_of_its_own_and_keeps_its_state():
    first, second = isolated.start("a", CountingTimer, 10), isolated.start("b", CountingTimer, start=100)
    try:
        (pid_a, n1), (pid_b, m1), (pid_a2, n2) = first.time_once(), second.time_once(), first.time_once()
        assert pid_a == pid_a2 and len({pid_a, pid_b, os.getpid()}) == 3
        assert (n1, n2, m1) == (11, 12, 101)  # one timer, built once, timed repeat after repeat
    finally:
        first.close(), second.close()
    assert not first._process.is_alive() and first._process.exitcode == 0


@pytest.mark.parametrize("when, message", [("build", "ValueError: no such data set: faces"),
                                           ("time", "RuntimeError: the step diverged")])
def test_a_failing_timer_is_one_line_naming_it(when, message):
    timer = isolated.start("dcgan28", FailingTimer, when)
    try:
        with pytest.raises(isolated.WorkerError) as err:
            timer.wait_ready().time_once()
        assert str(err.value) == "dcgan28: " + message
    finally:
        timer.close()


def test_a_worker_that_dies_is_reported_not_waited_for():
    timer = isolated.start("style", CountingTimer, 0).wait_ready()
    timer._process.kill()
    timer._process.join()
    with pytest.raises(isolated.WorkerError, match="style: the timing process ended"):
        timer.time_once()
    timer.close()
