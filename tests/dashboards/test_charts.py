"""The SVG charts: accessible, escaped, deterministic, and drawn to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from caseflow.dashboards import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: Markup) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def _bars(root: ET.Element) -> list[float]:
    return [float(r.get("width")) for r in root.iter(f"{SVG}rect")]


@pytest.mark.parametrize("make", [
    lambda: charts.bar_chart("誤りの件数", [("青森市", 3), ("弘前市", 1)], chart_id="c1"),
    lambda: charts.stacked_bar_chart("A/B/C", ["A", "B", "C"], [("全国", (87, 7, 6))], chart_id="c1"),
    lambda: charts.line_chart("推移", ["9/1", "9/8"], [("検出", (1, 2)), ("確認中", (0, 3))], chart_id="c1"),
])
def test_every_chart_is_an_image_with_a_title_and_a_description(make):
    markup = make()
    assert isinstance(markup, Markup)
    root = _parse(markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title" and root.get("aria-describedby") == "c1-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == "c1-title" and title.text
    assert desc.get("id") == "c1-desc" and desc.text
    assert "style" not in str(markup)  # the CSP allows no inline style


def test_bar_chart_prints_each_value_at_its_bar_and_scales_the_bars():
    root = _parse(charts.bar_chart("誤りの件数", [("青森市", 40), ("弘前市", 10), ("八戸市", 0)], chart_id="c"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["青森市", "40件", "弘前市", "10件", "八戸市", "0件"]
    widths = _bars(root)
    assert widths[0] == pytest.approx(4 * widths[1], rel=0.01) and widths[2] == 0
    assert root.find(f"{SVG}desc").text == "青森市：40件、弘前市：10件、八戸市：0件"


def test_a_long_label_is_cut_but_kept_whole_in_the_tooltip_and_description():
    label = "とても長い名前の紐付け実施機関" * 4
    root = _parse(charts.bar_chart("t", [(label, 1)], chart_id="c", width=400))
    shown = next(root.iter(f"{SVG}text")).text
    assert shown.endswith("…") and len(shown) < len(label)
    assert label in root.find(f"{SVG}desc").text
    assert label in root.find(f"{SVG}g/{SVG}title").text


def test_labels_and_titles_are_escaped():
    evil = '<script>alert("x")</script>&'
    for markup in (
        charts.bar_chart(evil, [(evil, 1)], chart_id="c"),
        charts.stacked_bar_chart(evil, [evil, "B"], [(evil, (1, 2))], chart_id="c"),
        charts.line_chart(evil, [evil], [(evil, (1,))], chart_id="c"),
    ):
        text = str(markup)
        assert "<script>" not in text and "&lt;script&gt;" in text
        root = _parse(markup)
        assert root.find(f"{SVG}title").text == evil  # the parsed text reads as written


def test_the_same_figures_give_the_same_markup():
    def draw():
        return charts.line_chart("推移", ["9/1", "9/8", "9/15"], [("検出", (5, 3, 1)), ("通知済", (0, 2, 4))],
                                 chart_id="c")

    assert draw() == draw()


def test_stacked_bar_shares_add_up_to_the_whole_bar():
    root = _parse(charts.stacked_bar_chart("A/B/C", ["A", "B", "C"], [("全国", (870, 70, 60)), ("空", (0, 0, 0))],
                                           chart_id="c", width=640))
    segments = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(r.get("width")) for r in segments]
    assert len(widths) == 3  # the empty row draws no segment
    assert widths[0] / sum(widths) == pytest.approx(0.87, abs=0.001)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "87%" in texts and "計1,000件" in texts and "計0件" in texts
    assert "A 870件（87.0%）" in root.find(f"{SVG}desc").text


def test_line_chart_draws_one_polyline_per_series_with_axis_ticks_and_a_legend():
    root = _parse(charts.line_chart("推移", ["9/1", "9/8", "9/15"], [("検出", (5, 3, 1)), ("通知済", (0, 2, 14))],
                                    chart_id="c"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert all(len(p.get("points").split()) == 3 for p in lines)
    assert lines[0].get("stroke") != lines[1].get("stroke")
    assert lines[0].get("stroke-dasharray") != lines[1].get("stroke-dasharray")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ["0", "5", "10", "15"] == [t for t in texts if re.fullmatch(r"[\d,]+", t)]
    assert {"9/1", "9/8", "9/15", "検出", "通知済"} <= set(texts)
    # The highest value is drawn higher (smaller y) than the lowest.
    ys = [float(pt.split(",")[1]) for pt in lines[1].get("points").split()]
    assert ys[2] < ys[1] < ys[0]


@pytest.mark.parametrize(("maximum", "ticks"), [
    (0, [0, 1]), (1, [0, 1]), (4, [0, 1, 2, 3, 4]), (14, [0, 5, 10, 15]), (95, [0, 20, 40, 60, 80, 100]),
    (1234, [0, 500, 1000, 1500]),
])
def test_nice_ticks(maximum, ticks):
    assert charts.nice_ticks(maximum) == ticks


def test_empty_charts_say_there_is_no_data():
    for markup in (charts.bar_chart("t", [], chart_id="c"), charts.stacked_bar_chart("t", ["A"], [], chart_id="c"),
                   charts.line_chart("t", [], [], chart_id="c")):
        root = _parse(markup)
        assert root.find(f"{SVG}desc").text == "データはありません"
