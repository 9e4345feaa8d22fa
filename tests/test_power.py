"""Power: detection rates of simulated pilots."""

from __future__ import annotations

from stat_worlds import simulate_panel

from rvq.power import power, power_grid


def _stat_world(effect, lag, accounts, periods, seed):
    return simulate_panel(
        accounts, periods, effect={"profit": effect}, lag=lag, seed=seed, with_voc=False
    ).panel


def test_power_rises_with_the_effect():
    strong = power(0.6, 1, 300, 10, n_sims=4, seed=1, simulate=_stat_world)
    none = power(0.0, 1, 300, 10, n_sims=4, seed=1, simulate=_stat_world)
    assert strong["detection_rate"] == 1.0 and strong["lag_recovered_rate"] == 1.0
    assert none["detection_rate"] == 0.0
    assert strong["ci_low"] > none["ci_high"]


def test_power_grid_has_one_row_per_size():
    grid = power_grid(0.5, 1, [60, 200], [10], n_sims=2, seed=0, simulate=_stat_world)
    assert list(grid["accounts"]) == [60, 200]
    assert grid["detection_rate"].between(0, 1).all()
