"""The gauge grid at scale: one layout per batch, columns from the width, ticks that touch only the
gauges that changed (or whose age is counting) and repaint only the ones on screen."""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from widgets.gauge_base import GaugeBase
from widgets.gauge_grid import CARD_WIDTH, GaugeGrid, columns_for
from widgets.gauge_state import GaugeState
from widgets.gauges import BinaryLamp, DialGauge, ThermometerGauge


class _CountingDial(DialGauge):
    """Counts paint events and refreshes."""

    paints = 0
    refreshes = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        super().paintEvent(event)

    def refresh(self, paint: bool = True) -> bool:
        self.refreshes += 1
        return super().refresh(paint)


class _SpyGrid(GaugeGrid):
    """Counts full layouts (the quadratic part used to be one per ``add``)."""

    spied = 0

    def _relayout(self) -> None:
        self.spied += 1
        super()._relayout()


def _dials(count: int, prefix: str = "p") -> list[GaugeBase]:
    return [DialGauge(f"{prefix}{i}") for i in range(count)]


def test_a_batch_of_adds_costs_one_relayout(qtbot: QtBot) -> None:
    grid = _SpyGrid()
    qtbot.addWidget(grid)
    for gauge in _dials(5):
        grid.add(gauge)  # one at a time, as a page building its tabs does
    assert grid.spied == 0 and grid.layout_pending, "add() must not lay out at once"
    qtbot.waitUntil(lambda: not grid.layout_pending, timeout=2000)
    assert grid.spied == 1 == grid.relayouts
    grid.add_many(_dials(5, "q"))
    grid.add(DialGauge("r0"))
    qtbot.waitUntil(lambda: not grid.layout_pending, timeout=2000)
    assert grid.spied == 2, "a second batch: one more relayout"
    assert len(grid.gauges()) == 11


def test_3000_gauges_in_bounded_layout_work(qtbot: QtBot, themed_app: QApplication) -> None:
    """3,000 gauges: one relayout, each gauge placed a bounded number of times (not n² work)."""
    grid = _SpyGrid()
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setWidget(grid)
    scroll.resize(1000, 700)
    gauges = _dials(3000)
    grid.add_many(gauges)
    scroll.show()
    qtbot.waitExposed(scroll)
    qtbot.waitUntil(lambda: not grid.layout_pending, timeout=10_000)
    QApplication.processEvents()
    assert grid.spied == 1, f"{grid.spied} relayouts for one batch"
    # each resize of the grid places every gauge once: a handful of resizes at most, never n
    assert grid.placements <= 4 * 3000, grid.placements
    assert grid.columns() == columns_for(grid.width(), CARD_WIDTH, 3000) >= 4
    viewport = scroll.viewport()
    assert grid.width() <= viewport.width(), "no horizontal scrolling: columns follow the viewport"
    assert scroll.verticalScrollBar().maximum() > 0, "3,000 cards scroll vertically"
    last = gauges[-1]
    assert last.visibleRegion().isEmpty() and not gauges[0].visibleRegion().isEmpty()


def test_columns_follow_the_width_and_cards_stay_readable(qtbot: QtBot, themed_app: QApplication) -> None:
    """200 gauges used to need a 2,340 px window (ceil(sqrt(n)) columns); now the width decides."""
    assert columns_for(1000, CARD_WIDTH, 200) == 4
    assert columns_for(300, CARD_WIDTH, 200) == 1
    assert columns_for(5000, CARD_WIDTH, 3) == 3, "never more columns than gauges"
    assert columns_for(300, CARD_WIDTH, 200, fixed=4) == 4
    grid = GaugeGrid()
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setWidget(grid)
    grid.add_many(_dials(200))
    scroll.resize(1000, 600)
    scroll.show()
    qtbot.waitExposed(scroll)
    qtbot.waitUntil(lambda: grid.columns() == 4, timeout=3000)
    assert grid.minimumSizeHint().width() < 300, "the grid can shrink to one column"
    scroll.resize(520, 600)
    qtbot.waitUntil(lambda: grid.columns() == 2, timeout=3000)
    first, second = grid.gauges()[0], grid.gauges()[1]
    assert second.x() > first.x() and second.y() == first.y(), "two cards per row"
    assert first.width() >= first.minimumWidth()
    assert grid.width() <= scroll.viewport().width()


def test_set_points_takes_a_binary_flag(qtbot: QtBot) -> None:
    grid = GaugeGrid()
    qtbot.addWidget(grid)
    grid.set_points([("h1", "heat", "Heat detector", True), ("t1", "heat", "Shed temperature", False)])
    grid.set_points(
        [*[(g.point_id, "heat", "x", g.point_id == "h1") for g in grid.gauges()], ("p1", "pressure", "P")]
    )
    assert isinstance(grid.gauge("h1"), BinaryLamp), "a bool heat point is a contact: a lamp"
    assert isinstance(grid.gauge("t1"), ThermometerGauge)
    assert isinstance(grid.gauge("p1"), DialGauge), "three-field tuples still work"


def test_tick_visits_only_dirty_and_ageing_gauges(qtbot: QtBot, themed_app: QApplication) -> None:
    now = [1000.0]
    grid = GaugeGrid()
    qtbot.addWidget(grid)
    gauges = [_CountingDial(f"p{i}", clock=lambda: now[0]) for i in range(300)]
    grid.add_many(gauges)
    grid.resize(1000, 800)
    grid.show()
    qtbot.waitExposed(grid)
    grid.tick()
    grid.tick()
    assert grid.refreshed_last_tick == 0, "nothing changed: a tick touches no gauge"
    assert sum(g.refreshes for g in gauges) <= 2 * 300
    grid.set_state("p3", GaugeState(0.5, "MPa", "good", 0.1, (0, 1)))
    before = sum(g.refreshes for g in gauges)
    grid.tick()
    assert grid.refreshed_last_tick == 1 and sum(g.refreshes for g in gauges) == before + 1
    grid.set_state("p4", GaugeState(0.5, "MPa", "comm-fail", 5.0, (0, 1)))
    grid.tick()
    now[0] += 1.0
    grid.tick()
    assert grid.refreshed_last_tick == 1, "the comm-fail gauge stays in the ageing set"
    assert grid.gauge("p4").status_text() == "comm-fail · last 6 s ago"
    grid.set_state("p4", GaugeState(0.5, "MPa", "good", 0.1, (0, 1)))
    grid.tick()
    grid.tick()
    assert grid.refreshed_last_tick == 0, "back to good: no longer ageing"


def test_gauges_out_of_sight_are_not_repainted(qtbot: QtBot, themed_app: QApplication) -> None:
    grid = GaugeGrid()
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setWidget(grid)
    gauges = [_CountingDial(f"p{i}") for i in range(60)]
    grid.add_many(gauges)
    scroll.resize(700, 500)
    scroll.show()
    qtbot.waitExposed(scroll)
    qtbot.waitUntil(lambda: grid.ticks >= 2, timeout=3000)
    near, far = gauges[0], gauges[-1]
    assert not near.visibleRegion().isEmpty() and far.visibleRegion().isEmpty()
    QApplication.processEvents()
    painted_near, painted_far = near.paints, far.paints
    for gauge in (near, far):
        grid.set_state(gauge.point_id, GaugeState(0.2, "bar", "comm-fail", 3.0, (0, 1)))
    grid.tick()
    QApplication.processEvents()
    assert far.property("quality") == "comm-fail", "properties follow even out of sight (QSS, tests)"
    assert far.paints == painted_far, "a gauge scrolled away is not repainted"
    qtbot.waitUntil(lambda: near.paints > painted_near, timeout=2000)
    scroll.ensureWidgetVisible(far)
    qtbot.waitUntil(lambda: far.paints > painted_far, timeout=2000)  # Qt paints it when exposed
    assert "comm-fail" in far.status_text()


def test_clear_and_empty_label(qtbot: QtBot) -> None:
    grid = GaugeGrid()
    qtbot.addWidget(grid)
    grid.add_many(_dials(3))
    grid.flush_layout()
    grid.clear()
    grid.flush_layout()
    assert grid.gauges() == []
    grid.add(DialGauge("p0"))  # the same id again after a clear is fine
    try:
        grid.add_many([DialGauge("x"), DialGauge("x")])
    except ValueError as exc:
        assert "'x'" in str(exc)
    else:
        raise AssertionError("a duplicate id must be refused")
    assert [g.point_id for g in grid.gauges()] == ["p0"], "a refused batch adds nothing"
