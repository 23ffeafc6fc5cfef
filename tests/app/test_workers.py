"""The worker helper: a named thread that sees its cancel token and stops by a deadline."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from app.workers import CancelToken, Worker


def test_cancel_token_wakes_a_waiter_and_stays_cancelled() -> None:
    token = CancelToken()
    assert not token.cancelled
    assert token.wait(0.01) is False
    woke = threading.Event()

    def sleeper() -> None:
        if token.wait(10):
            woke.set()

    thread = threading.Thread(target=sleeper)
    thread.start()
    token.cancel()
    thread.join(5)
    assert woke.is_set()
    assert token.cancelled
    assert token.wait(0) is True


def test_the_target_gets_the_token_and_stops_within_the_deadline() -> None:
    seen: list[CancelToken] = []
    names: list[str] = []

    def run(token: CancelToken) -> None:
        seen.append(token)
        names.append(threading.current_thread().name)
        while not token.wait(0.01):
            pass

    worker = Worker("test-worker", run).start()
    assert worker.is_alive()
    started = time.monotonic()
    assert worker.stop(2.0) is True
    assert time.monotonic() - started < 1.0
    assert not worker.is_alive()
    assert seen == [worker.token]
    assert seen[0].cancelled
    assert names == ["test-worker"]
    assert threading.current_thread().name != "test-worker"


def test_on_cancel_wakes_work_the_token_cannot_reach() -> None:
    wake = threading.Event()

    def run(token: CancelToken) -> None:
        wake.wait(10)  # e.g. a queue or an event loop: only on_cancel reaches it

    worker = Worker("test-on-cancel", run, on_cancel=wake.set).start()
    assert worker.stop(2.0) is True


@pytest.mark.allow_threads("test-stuck", reason="the stuck worker is released at the end of the test")
def test_a_stuck_thread_is_reported_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def run(token: CancelToken) -> None:
        release.wait(10)  # ignores its token

    worker = Worker("test-stuck", run).start()
    try:
        with caplog.at_level(logging.ERROR, logger="wardroom.workers"):
            started = time.monotonic()
            assert worker.stop(0.2) is False
            elapsed = time.monotonic() - started
        assert 0.15 <= elapsed < 2.0
        assert worker.is_alive()
        assert worker.token.cancelled
        assert any("test-stuck did not stop within 0.2 s" in r.getMessage() for r in caplog.records)
    finally:
        release.set()
        assert worker.join(5)


def test_stuck_level_lowers_the_report(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    worker = Worker("test-slow", lambda _token: release.wait(10), stuck_level=logging.INFO).start()
    try:
        with caplog.at_level(logging.INFO, logger="wardroom.workers"):
            assert worker.stop(0.05) is False
        assert [r.levelno for r in caplog.records if "test-slow" in r.getMessage()] == [logging.INFO]
    finally:
        release.set()
        assert worker.join(5)


def test_a_worker_starts_once_and_stopping_from_inside_does_not_deadlock() -> None:
    results: list[bool] = []
    holder: list[Worker] = []
    ready = threading.Event()

    def run(token: CancelToken) -> None:
        ready.wait(5)
        results.append(holder[0].stop(1.0))  # cannot join itself: cancels and reports it runs

    worker = Worker("test-self-stop", run)
    holder.append(worker)
    assert worker.join(0) is True  # never started: nothing to wait for
    worker.start()
    with pytest.raises(RuntimeError):
        worker.start()
    ready.set()
    assert worker.join(5)
    assert results == [False]
    assert worker.token.cancelled
