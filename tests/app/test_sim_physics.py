"""The simulator's physics: trips cross each point's own alarm limits in bounded time, deterministically."""

from __future__ import annotations

from typing import Any

import pytest

from app.sim.physics import Plant, approach, trip_description, trip_direction, trip_target
from app.sim.values import from_raw, to_raw
from app.site.schema import Point

DT = 0.5


def point(**fields: Any) -> Point:
    base: dict[str, Any] = {"plc": "panel", "address": "hr:0", "type": "uint16"}
    return Point.model_validate({**base, **fields})


def sprinkler(id_: str = "b3.sprinkler.pressure", building: str | None = "B3", **extra: Any) -> Point:
    """The site-file contract's own example point."""
    fields: dict[str, Any] = {
        "id": id_,
        "kind": "pressure",
        "scale": 0.001,
        "unit": "MPa",
        "building": building,
        "range": [0.0, 1.6],
        "alarms": [
            {"limit": "low", "value": 0.10, "priority": "high", "deadband": 0.01, "delay_s": 2},
            {"limit": "low-low", "value": 0.05, "priority": "urgent"},
        ],
    }
    return point(**{**fields, **extra})


def served(p: Point, value: float) -> float:
    return from_raw(p, to_raw(p, value))


def run_until(plant: Plant, condition: Any, limit_s: float) -> float | None:
    """Step the plant until ``condition()``; the simulated seconds it took, or None."""
    elapsed = 0.0
    while elapsed <= limit_s:
        if condition():
            return elapsed
        plant.step(DT)
        elapsed += DT
    return None


# Pressure points of many shapes: the targets must come from each point's own limits and range.
PRESSURES = [
    sprinkler(),
    sprinkler(
        "hydrant",
        alarms=[{"limit": "low", "value": 0.15, "deadband": 0.01}, {"limit": "low-low", "value": 0.10}],
    ),
    point(id="no-range", kind="pressure", scale=0.01, alarms=[{"limit": "low", "value": 2.0}]),
    point(
        id="bar-float",
        kind="pressure",
        type="float32",
        unit="bar",
        range=[0.0, 16.0],
        alarms=[{"limit": "low-low", "value": 3.5}, {"limit": "low", "value": 6.0, "deadband": 0.5}],
    ),
    point(
        id="offset",
        kind="pressure",
        type="int16",
        scale=0.1,
        offset=-50.0,
        range=[-50.0, 50.0],
        alarms=[{"limit": "low", "value": -10.0}, {"limit": "high", "value": 40.0}],
    ),
    point(
        id="high-only-range", kind="pressure", range=[0.0, 1000.0], alarms=[{"limit": "low", "value": 300.0}]
    ),
]


def lowest_low(p: Point) -> float:
    return min(a.value for a in p.alarms if a.limit in ("low", "low-low") and a.value is not None)


def low_clear(p: Point) -> float:
    """Above every low limit including its deadband: the alarm has cleared."""
    return max(
        a.value + a.deadband for a in p.alarms if a.limit in ("low", "low-low") and a.value is not None
    )


@pytest.mark.parametrize("p", PRESSURES, ids=lambda p: p.id)
def test_pressure_trip_falls_below_lowest_limit_in_10_s_and_restore_recovers_in_30_s(p: Point) -> None:
    plant = Plant([p], seed=7)
    for _ in range(40):  # let it drift a while first: the bound must hold from anywhere calm
        plant.step(DT)
    assert plant.value(p.id) >= low_clear(p)
    plant.trip(p.id)
    fell = run_until(plant, lambda: served(p, plant.value(p.id)) < lowest_low(p), 10.0)
    assert fell is not None and fell <= 4.0, plant.value(p.id)
    for _ in range(20):  # stays down while tripped
        plant.step(DT)
        assert served(p, plant.value(p.id)) < lowest_low(p)
    plant.restore(p.id)
    rose = run_until(plant, lambda: served(p, plant.value(p.id)) >= low_clear(p), 30.0)
    assert rose is not None and rose <= 15.0, plant.value(p.id)
    assert not plant.is_tripped(p.id)


def test_trip_targets_follow_the_site_file_not_demo_constants() -> None:
    assert trip_target(sprinkler()) == pytest.approx(0.025)  # halfway between low-low 0.05 and range 0
    assert trip_direction(sprinkler()) == "down"
    shed = point(
        id="shed",
        kind="temperature",
        type="int16",
        scale=0.1,
        range=[-20.0, 120.0],
        alarms=[{"limit": "high", "value": 45.0}, {"limit": "high-high", "value": 60.0}],
    )
    assert trip_direction(shed) == "up" and trip_target(shed) == pytest.approx(90.0)
    # a level with both sides limited still trips low (a tank empties); flow trips high
    tank = point(
        id="tank",
        kind="level",
        range=[0.0, 4.0],
        scale=0.001,
        alarms=[{"limit": "low", "value": 1.5}, {"limit": "high", "value": 3.9}],
    )
    assert trip_direction(tank) == "down" and trip_target(tank) == pytest.approx(0.75)
    flow = point(
        id="flow", kind="flow", scale=0.1, range=[0.0, 50.0], alarms=[{"limit": "high", "value": 1.0}]
    )
    assert trip_target(flow) == pytest.approx(25.5)
    assert trip_description(sprinkler()) == "falls to 0.025 MPa"
    # clamped to what the type can hold: uint16 cannot go below 0
    floor = point(id="floor", kind="pressure", alarms=[{"limit": "low", "value": 0.0}])
    assert trip_target(floor) == 0.0


def test_temperature_of_a_charging_shed_rises_past_its_highest_limit_and_cools_back() -> None:
    shed = point(
        id="shed",
        kind="temperature",
        type="int16",
        scale=0.1,
        range=[-20.0, 120.0],
        alarms=[{"limit": "high", "value": 45.0, "deadband": 1.0}, {"limit": "high-high", "value": 60.0}],
    )
    plant = Plant([shed], seed=3)
    start = plant.value("shed")
    plant.trip("shed")
    plant.step(DT)
    assert plant.value("shed") > start  # rises, not jumps
    assert plant.value("shed") < 60.0
    assert run_until(plant, lambda: plant.value("shed") > 60.0, 25.0) is not None
    plant.restore("shed")
    assert run_until(plant, lambda: plant.value("shed") < 44.0, 30.0) is not None


def test_open_sprinkler_makes_its_buildings_flow_rise_and_the_tank_drain_then_refill() -> None:
    b3_flow = point(
        id="b3.flow",
        kind="flow",
        building="B3",
        scale=0.1,
        range=[0.0, 50.0],
        alarms=[{"limit": "high", "value": 1.0, "deadband": 0.2}],
    )
    b1_flow = point(
        id="b1.flow",
        kind="flow",
        building="B1",
        scale=0.1,
        range=[0.0, 50.0],
        alarms=[{"limit": "high", "value": 1.0}],
    )
    tank = point(
        id="tank",
        kind="level",
        scale=0.001,
        range=[0.0, 4.0],
        alarms=[{"limit": "low", "value": 1.5, "deadband": 0.05}],
    )
    plant = Plant([sprinkler(), b3_flow, b1_flow, tank], seed=11, vary=False)
    calm_tank = plant.value("tank")
    plant.trip("b3.sprinkler.pressure")
    assert run_until(plant, lambda: plant.value("b3.flow") > 1.0, 5.0) is not None
    for _ in range(120):  # one minute of water flowing
        plant.step(DT)
    assert plant.value("b1.flow") < 1.0  # another building's flow switch stays quiet
    drained = calm_tank - plant.value("tank")
    assert 0.1 < drained < 1.0  # slowly: minutes, not seconds, to a low tank
    plant.restore("b3.sprinkler.pressure")
    assert run_until(plant, lambda: plant.value("b3.flow") < 0.8, 10.0) is not None
    assert run_until(plant, lambda: plant.value("tank") == pytest.approx(calm_tank), 120.0) is not None


def test_detectors_call_points_and_doors_trip_to_their_alarm_state() -> None:
    smoke = point(
        id="smoke",
        kind="smoke",
        type="bool",
        address="di:0",
        alarms=[{"limit": "on", "priority": "fire", "category": "fire"}],
    )
    call = point(id="call", kind="call-point", type="bool", address="di:1")
    door = point(id="door", kind="door", type="bool", address="di:2", alarms=[{"limit": "off"}])
    plant = Plant([smoke, call, door], seed=1)
    assert plant.values() == {"smoke": 0.0, "call": 0.0, "door": 1.0}
    for pid in ("smoke", "call", "door"):
        plant.trip(pid)
    assert sorted(plant.step(DT)) == ["call", "door", "smoke"]
    assert plant.values() == {"smoke": 1.0, "call": 1.0, "door": 0.0}
    assert plant.step(DT) == []  # no change, nothing to write
    plant.restore("smoke")
    plant.restore("door")
    assert plant.step(DT) == ["smoke", "door"]
    assert plant.values() == {"smoke": 0.0, "call": 1.0, "door": 1.0}
    assert plant.tripped == frozenset({"call"})


def test_same_seed_same_history_and_no_drift_without_vary() -> None:
    points = [*PRESSURES, point(id="tank", kind="level", range=[0.0, 4.0], scale=0.001)]

    def history(seed: int, vary: bool = True) -> list[dict[str, float]]:
        plant = Plant(points, seed=seed, vary=vary)
        out = []
        for i in range(60):
            if i == 10:
                plant.trip("hydrant")
            plant.step(DT)
            out.append(plant.values())
        return out

    assert history(5) == history(5)
    assert history(5) != history(6)
    still = history(5, vary=False)
    assert still[-1]["bar-float"] == still[0]["bar-float"]  # calm points do not move without drift
    assert still[-1]["tank"] < still[0]["tank"]  # but the open hydrant drains the tank


def test_pinned_values_are_left_alone_until_a_drill_takes_over() -> None:
    writable = point(id="setpoint", kind="other", range=[0.0, 100.0], writable=True)
    plant = Plant([sprinkler(), writable], seed=2)
    plant.pin("b3.sprinkler.pressure", 0.5)
    for _ in range(20):
        plant.step(DT)
    assert plant.value("b3.sprinkler.pressure") == 0.5
    assert plant.value("setpoint") == 50.0  # a writable point never drifts on its own
    plant.trip("b3.sprinkler.pressure")
    assert run_until(plant, lambda: plant.value("b3.sprinkler.pressure") < 0.05, 5.0) is not None
    plant.pin("b3.sprinkler.pressure", 1.2)
    plant.restore("b3.sprinkler.pressure")  # returns to calm from the pinned value
    assert run_until(plant, lambda: plant.value("b3.sprinkler.pressure") < 0.9, 15.0) is not None
    with pytest.raises(KeyError, match="nope"):
        plant.trip("nope")


def test_approach_is_never_slower_than_its_line() -> None:
    value, elapsed = 1.0, 0.0
    while value > 0.0 and elapsed < 10:
        value = approach(value, 0.0, 0.1, 3.0, 1.0)
        elapsed += 0.1
    assert value == 0.0 and elapsed <= 3.0 + 1e-9
    assert approach(0.5, 0.5, 0.1, 3.0, 1.0) == 0.5
