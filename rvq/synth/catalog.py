"""The catalog as the generator draws from it: its rows grouped into streams (main,
community, emotional, voc), each sampled by stage and the sign of RV, never by code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rvq.schema import FUNCTIONS, STAGES
from rvq.synth.spec import MODEL


@dataclass(frozen=True)
class Stream:
    """Weighted sampling of catalog rows for one stream, by (stage, sign) group.

    Group g = stage * 2 + (rv >= 0). Slots of group g carry cumulative weights in
    (g, g + 1], so one ``searchsorted`` draws a row for events of any group at once.
    A group with no rows of its sign takes the stage's rows of the other sign; a stage
    with no rows at all in the stream draws -1 (no event): stages are never mixed.
    """

    rows: np.ndarray
    cdf: np.ndarray

    @classmethod
    def build(cls, mask: np.ndarray, stage: np.ndarray, up: np.ndarray, weight: np.ndarray):
        rows, cdf = [], []
        for g in range(2 * len(STAGES)):
            s, sign = divmod(g, 2)
            idx = np.flatnonzero(mask & (stage == s) & (up == bool(sign)))
            if idx.size == 0:
                idx = np.flatnonzero(mask & (stage == s))
            if idx.size == 0:
                rows.append(np.array([-1]))
                cdf.append(np.array([g + 1.0]))
                continue
            w = np.cumsum(weight[idx]) / weight[idx].sum()
            w[-1] = 1.0
            rows.append(idx)
            cdf.append(g + w)
        return cls(np.concatenate(rows), np.concatenate(cdf))

    @property
    def empty(self) -> bool:
        return bool((self.rows < 0).all())

    def draw(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One catalog row per event (-1 where the event's stage has no row)."""
        return self.rows[np.searchsorted(self.cdf, group + u, side="right")]


@dataclass(frozen=True)
class Catalog:
    codes: np.ndarray
    rv: np.ndarray
    cost: np.ndarray
    function: np.ndarray  # index into FUNCTIONS
    is_voc: np.ndarray
    emotional: np.ndarray
    streams: dict[str, Stream]

    @classmethod
    def build(cls, catalog: pd.DataFrame) -> Catalog:
        """Streams by attributes: main (major, not community, not emotional), community
        (function community, both kinds: members only), emotional (top |RV| among major
        rows, both signs), voc (kind voc, not community)."""
        cat = catalog.reset_index(drop=True)
        rv = cat["rv"].to_numpy(dtype=float)
        cost = cat["cost"].to_numpy(dtype=float)
        stage = cat["stage"].map({s: i for i, s in enumerate(STAGES)}).to_numpy()
        function = cat["function"].map({f: i for i, f in enumerate(FUNCTIONS)}).to_numpy()
        if np.isnan(stage.astype(float)).any() or np.isnan(function.astype(float)).any():
            raise ValueError("catalog has stages or functions outside the canonical enums")
        stage, function = stage.astype(int), function.astype(int)
        is_voc = (cat["kind"] == "voc").to_numpy()
        major = ~is_voc
        community = function == FUNCTIONS.index("community")
        up = rv >= 0
        emotional = np.zeros(len(cat), bool)
        if major.any():
            threshold = np.quantile(np.abs(rv[major]), MODEL.emotional_quantile)
            emotional = major & (np.abs(rv) >= threshold) & (rv != 0)
            for sign in (True, False):  # at least one delight and one missed expectation
                pool = major & (up == sign) & (rv != 0)
                if pool.any() and not (emotional & (up == sign)).any():
                    emotional[np.flatnonzero(pool)[np.argmax(np.abs(rv[pool]))]] = True
        weight = 1.0 / np.sqrt(1.0 + np.clip(cost, 0, None))
        streams = {
            "main": Stream.build(major & ~community & ~emotional, stage, up, weight),
            "community": Stream.build(community & ~emotional, stage, up, weight),
            "emotional": Stream.build(emotional, stage, up, np.ones(len(cat))),
            "voc": Stream.build(is_voc & ~community, stage, up, weight),
        }
        codes = cat["interaction_code"].astype(str).to_numpy()
        return cls(codes, rv, cost, function, is_voc, emotional, streams)
