"""Report charts drawn with pyqtgraph and exported as images (pyqtgraph's ``ImageExporter``).

White background and black ink, because they are printed; the same plot items the trend page uses,
so a chart on paper looks like the one on screen.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QImage

from app.reports.model import BarChart, LineChart

WIDTH_PX = 1400
HEIGHT_PX = 520
INK = "k"
LINE_COLOURS = ("#1f4e79", "#b03a2e", "#1e8449", "#7d3c98")


def _plot(font: QFont, title: str, bottom: pg.AxisItem | None = None) -> tuple[pg.PlotWidget, pg.PlotItem]:
    """A plot in a never-shown view (the exporter reads the view's background)."""
    axes = {"bottom": bottom} if bottom is not None else None
    view = pg.PlotWidget(axisItems=axes, background="w")
    view.resize(WIDTH_PX, HEIGHT_PX)
    plot = view.getPlotItem()
    assert plot is not None
    # A view that is never shown gets no resize event: size the plot itself, as the exporter reads it.
    plot.setGeometry(QRectF(0, 0, WIDTH_PX, HEIGHT_PX))
    del title  # printed as the chart's caption, under it, in the report's own font
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(INK))
        axis.setTextPen(pg.mkPen(INK))
        axis.setStyle(tickFont=font)
        axis.enableAutoSIPrefix(False)
    # Room for the large print font: the automatic expansion needs an event loop the export lacks.
    plot.getAxis("left").setWidth(int(font.pointSizeF() * 6))
    plot.getAxis("bottom").setHeight(int(font.pointSizeF() * 3))
    plot.showGrid(x=True, y=True, alpha=0.25)
    return view, plot


def _export(plot: pg.PlotItem) -> QImage:
    plot.layout.activate()
    exporter = ImageExporter(plot)
    exporter.parameters()["width"] = WIDTH_PX
    exporter.parameters()["background"] = pg.mkColor("w")
    image = exporter.export(toBytes=True)
    assert isinstance(image, QImage)
    return image


def line_chart(chart: LineChart, font: QFont) -> QImage:
    """A trend: each series as a line broken at NaN (outages), the alarm times as dashed red marks."""
    view, plot = _plot(font, chart.title, pg.DateAxisItem(orientation="bottom"))
    for i, series in enumerate(chart.series):
        ts = np.asarray(series.ts, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)
        if ts.size:
            pen = pg.mkPen(LINE_COLOURS[i % len(LINE_COLOURS)], width=3)
            plot.plot(ts, values, pen=pen, connect="finite")
    for at in chart.marks:
        plot.addItem(
            pg.InfiniteLine(at, angle=90, pen=pg.mkPen("#c0392b", width=2, style=Qt.PenStyle.DashLine))
        )
    plot.setLabel("left", chart.unit, color="#000", **{"font-size": f"{font.pointSizeF():g}pt"})
    image = _export(plot)
    view.close()
    view.deleteLater()
    return image


def bar_chart(chart: BarChart, font: QFont) -> QImage:
    """Counts as bars, each labelled under its bar."""
    view, plot = _plot(font, chart.title)
    n = len(chart.values)
    if n:
        plot.addItem(
            pg.BarGraphItem(x=np.arange(n), height=np.asarray(chart.values), width=0.6, brush="#5d6d7e")
        )
        plot.getAxis("bottom").setTicks([[(i, label) for i, label in enumerate(chart.labels)]])
        plot.setXRange(-0.6, n - 0.4, padding=0)
        plot.setYRange(0, max(chart.values) * 1.15 or 1, padding=0)
    image = _export(plot)
    view.close()
    view.deleteLater()
    return image
