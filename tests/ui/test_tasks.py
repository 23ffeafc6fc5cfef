"""Background calls: outcomes come back as signals on the GUI thread; tasks may watch a cancel token."""

from __future__ import annotations

import threading
from functools import partial

from pytestqt.qtbot import QtBot

from app.workers import CancelToken
from ui.tasks import BackgroundCall, LatestCall, takes_token


def test_a_plain_task_is_called_without_arguments(qtbot: QtBot) -> None:
    call = BackgroundCall("plain", lambda: 42)
    with qtbot.waitSignal(call.succeeded, timeout=5000) as blocker:
        call.start()
    assert blocker.args == [42]
    assert call.wait(5)


def test_a_task_that_takes_the_token_is_cancelled_and_ends_early(qtbot: QtBot) -> None:
    seen: list[CancelToken] = []
    entered = threading.Event()

    def task(token: CancelToken) -> str:
        seen.append(token)
        entered.set()
        return "cancelled" if token.wait(10) else "ran out"

    call = BackgroundCall("cancellable", task)
    with qtbot.waitSignal(call.succeeded, timeout=5000) as blocker:
        call.start()
        assert entered.wait(5)
        assert not call.token.cancelled
        call.cancel()
    assert blocker.args == ["cancelled"]
    assert seen == [call.token]
    assert call.wait(5)


def test_abandon_cancels_the_token_and_drops_the_outcome(qtbot: QtBot) -> None:
    entered = threading.Event()
    outcomes: list[object] = []

    def task(token: CancelToken) -> bool:
        entered.set()
        return token.wait(10)

    call = BackgroundCall("abandoned", task)
    call.succeeded.connect(outcomes.append)
    call.failed.connect(outcomes.append)
    call.start()
    assert entered.wait(5)
    call.abandon()
    assert call.token.cancelled
    assert call.wait(5)  # ended at once: it watched the token
    qtbot.wait(50)  # any queued signal would be delivered by now
    assert outcomes == []


def test_latest_call_close_cancels_the_running_task(qtbot: QtBot) -> None:
    entered = threading.Event()
    ended = threading.Event()

    def task(token: CancelToken) -> None:
        entered.set()
        token.wait(10)
        ended.set()

    latest = LatestCall("latest")
    latest.submit(task)
    assert entered.wait(5)
    latest.close()
    assert ended.wait(5)
    qtbot.waitUntil(lambda: not latest.is_running(), timeout=5000)
    latest.deleteLater()


def test_which_tasks_take_the_token() -> None:
    def plain() -> None: ...

    def with_default(x: int = 1) -> None: ...

    def with_token(token: CancelToken) -> None: ...

    def two(a: int, token: CancelToken) -> None: ...

    assert not takes_token(plain)
    assert not takes_token(with_default)
    assert not takes_token(lambda: None)
    assert takes_token(with_token)
    assert takes_token(lambda token: None)
    assert takes_token(partial(two, 1))
    assert not takes_token(print)  # a builtin: called without arguments
