"""The demo's Ctrl-C (core.processes.StopSignals): once, never lost."""

import gc
import signal

import pytest

from core import processes


class _Dropped:
    """An object whose __del__ is where the signal lands, as a weakref finalizer was."""

    def __init__(self, signals: processes.StopSignals):
        self.signals = signals

    def __del__(self):
        self.signals._on_signal(signal.SIGINT, None)  # the handler, as Python calls it


# The Stop raised in __del__ is what Python reports as unraisable: expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_lost_in_a_finalizer_is_raised_again_at_the_next_check():
    signals = processes.StopSignals()  # not installed: the test calls the handler itself
    signals.check()  # nothing received: nothing raised
    _Dropped(signals)  # Python prints the Stop raised in __del__ and goes on
    gc.collect()
    assert signals.received == signal.SIGINT
    with pytest.raises(processes.Stop):
        signals.check()
    with pytest.raises(processes.Stop):
        signals.check()  # until the shutdown has begun
    signals.handled()
    signals.check()


def test_a_stop_inside_held_waits_for_the_block_and_is_not_raised_twice():
    signals = processes.StopSignals()
    with pytest.raises(processes.Stop), signals.held():
        signals._on_signal(signal.SIGTERM, None)
        signals.check()  # held: a child being started is started first
    signals.handled()
    signals._on_signal(signal.SIGINT, None)  # a second Ctrl-C is ignored
    assert signals.received == signal.SIGTERM
