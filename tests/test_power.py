"""Power: detection rates of simulated pilots."""

from __future__ import annotations

from stat_worlds import simulate_panel

from rvq.stats.power import power, power_grid


def _stat_world(effect, lag, accounts, periods, seed):
    return simulate_panel(
        accounts, periods, effect={"profit": effect}, lag=lag, seed=seed, with_voc=False
    ).panel


def test_power_rises_with_the_effect():
    strong = power(0.6, 1, 300, 10, n_sims=4, seed=1, horizons=(1, 2), simulate=_stat_world)
    none = power(0.0, 1, 300, 10, n_sims=4, seed=1, horizons=(1, 2), simulate=_stat_world)
    assert strong["detection_rate"] == 1.0 and strong["lag_recovered_rate"] == 1.0
    assert none["detection_rate"] == 0.0
    assert strong["ci_low"] > none["ci_high"]


def test_power_grid_has_one_row_per_size():
    grid = power_grid(0.5, 1, [60, 200], [10], n_sims=2, seed=0, simulate=_stat_world)
    assert list(grid["accounts"]) == [60, 200]
    assert grid["detection_rate"].between(0, 1).all()


def test_power_through_rvq_synth_detects_a_large_effect_and_not_a_null():
    """The default path: rvq.synth worlds, scored by rvq.scoring.panels, back-tested. A large
    planted effect (0.8 at lag 1) in 400 accounts x 10 quarters is found at its lag;
    a null world is not called leading."""
    strong = power(0.8, 1, 400, 10, n_sims=3, seed=2)
    none = power(0.0, 1, 400, 10, n_sims=3, seed=2)
    assert strong["detection_rate"] >= 2 / 3 and strong["lag_recovered_rate"] >= 2 / 3, strong
    assert none["detection_rate"] <= 1 / 3, none


def test_power_in_two_processes_gives_the_same_answer():
    one = power(0.4, 1, 150, 10, n_sims=4, seed=3, horizons=(1, 2), simulate=_stat_world)
    two = power(0.4, 1, 150, 10, n_sims=4, seed=3, horizons=(1, 2), simulate=_stat_world, workers=2)
    assert one == two
