"""Power: detection and false-alarm rates of simulated whole pilots."""

from __future__ import annotations

import inspect

import numpy as np
from stat_worlds import simulate_panel

from rvq.schema import OUTCOME_NAMES
from rvq.stats.identification import HORIZONS, decide_lead, lead_evidence
from rvq.stats.power import (
    PILOT_GRANGER_BOOT,
    PILOT_N_BOOT,
    pilot_decisions,
    power,
    power_grid,
)


def _stat_world(effect, lag, accounts, periods, seed):
    """Effect on profit only; revenue and share of wallet are null."""
    return simulate_panel(
        accounts, periods, effect={"profit": effect}, lag=lag, seed=seed, with_voc=False
    ).panel


def _share_also_leads(effect, lag, accounts, periods, seed):
    """Profit AND share of wallet get the effect: share is a lead `power` does not know of."""
    return simulate_panel(
        accounts,
        periods,
        effect={"profit": effect, "share_of_wallet": 0.8},
        lag=lag,
        seed=seed,
        with_voc=False,
    ).panel


def test_power_rises_with_the_effect():
    strong = power(0.6, 1, 300, 10, n_sims=4, seed=1, horizons=(1, 2), simulate=_stat_world)
    none = power(0.0, 1, 300, 10, n_sims=4, seed=1, horizons=(1, 2), simulate=_stat_world)
    assert strong["detection_rate"] == 1.0 and strong["lag_recovered_rate"] == 1.0
    assert none["detection_rate"] == 0.0
    assert strong["ci_low"] > none["ci_high"]
    # the other outcomes of the same pilots are null, and so is every outcome at effect 0
    assert strong["false_alarm_rate"] == 0.0 and none["familywise_false_alarm_rate"] == 0.0


def test_power_grid_has_one_row_per_size():
    grid = power_grid(0.5, 1, [60, 200], [10], n_sims=2, seed=0, simulate=_stat_world)
    assert list(grid["accounts"]) == [60, 200]
    assert grid["detection_rate"].between(0, 1).all()


def test_power_through_rvq_synth_detects_a_large_effect_and_not_a_null():
    """The default path: rvq.synth worlds, scored by rvq.scoring.panels, decided as the
    pilot is. A large planted effect (0.8 at lag 1) in 400 accounts x 10 quarters is found
    at its lag; a null world is not called leading, on any outcome."""
    strong = power(0.8, 1, 400, 10, n_sims=3, seed=2)
    none = power(0.0, 1, 400, 10, n_sims=3, seed=2)
    assert strong["detection_rate"] >= 2 / 3 and strong["lag_recovered_rate"] >= 2 / 3, strong
    assert none["detection_rate"] <= 1 / 3, none
    assert none["familywise_false_alarm_rate"] <= 1 / 3, none


def test_power_in_two_processes_gives_the_same_answer():
    one = power(0.4, 1, 150, 10, n_sims=4, seed=3, horizons=(1, 2), simulate=_stat_world)
    two = power(0.4, 1, 150, 10, n_sims=4, seed=3, horizons=(1, 2), simulate=_stat_world, workers=2)
    assert one == two


def test_a_simulated_pilot_is_decided_over_the_pilots_family():
    """Every outcome x the pilot's 4 horizons: 12 forward tests in one Holm family, the
    pilot's bootstrap sizes, the pilot's rule: the same Decision as lead_evidence ->
    decide_lead on the whole panel, and not the one a test of profit alone (4 tests)
    would give."""
    assert inspect.signature(lead_evidence).parameters["n_boot"].default == PILOT_N_BOOT
    assert inspect.signature(lead_evidence).parameters["granger_boot"].default == (
        PILOT_GRANGER_BOOT
    )
    options = dict(effect=0.15, lag=1, accounts=200, periods=10, alpha=0.05)
    pilot = pilot_decisions(7, horizons=HORIZONS, simulate=_stat_world, **options)
    assert set(pilot) == set(OUTCOME_NAMES)

    panel = _stat_world(0.15, 1, 200, 10, 7)
    evidence = lead_evidence(panel, seed=7)
    for outcome in OUTCOME_NAMES:
        assert pilot[outcome].to_dict() == decide_lead(evidence[outcome]).to_dict()

    family = [t for ev in evidence.values() for t in ev.forward]
    assert len(family) == 12
    smallest = min(family, key=lambda t: t.p_value)
    assert np.isclose(smallest.p_adjusted, min(1.0, 12 * smallest.p_value))
    alone = lead_evidence(panel, outcomes=("profit",), seed=7)["profit"]
    h = pilot["profit"].best_horizon
    in_family = pilot["profit"].condition("forward").numbers["p_adjusted"]
    assert in_family > next(t for t in alone.forward if t.horizon == h).p_adjusted


def test_false_alarms_count_the_null_outcomes_as_rates():
    """The columns are there and are rates; a lead on an outcome `power` takes for null
    (share of wallet, planted behind its back) is counted as a false alarm in every pilot:
    1 of the 2 null outcomes, family-wise in all pilots."""
    clean = power(0.6, 1, 300, 10, n_sims=3, seed=4, horizons=(1, 2), simulate=_stat_world)
    alarmed = power(0.6, 1, 300, 10, n_sims=3, seed=4, horizons=(1, 2), simulate=_share_also_leads)
    for row in (clean, alarmed):
        rates = ("false_alarm_rate", "familywise_false_alarm_rate", "familywise_ci_low")
        assert all(0.0 <= row[k] <= 1.0 for k in (*rates, "familywise_ci_high"))
        assert row["familywise_ci_low"] <= row["familywise_false_alarm_rate"]
        assert row["familywise_false_alarm_rate"] <= row["familywise_ci_high"]
        assert row["false_alarm_rate"] <= row["familywise_false_alarm_rate"]
    assert clean["false_alarm_rate"] == 0.0
    assert alarmed["false_alarm_rate"] == 0.5 and alarmed["familywise_false_alarm_rate"] == 1.0
    assert alarmed["familywise_ci_low"] > 0.0 == clean["familywise_ci_low"]
