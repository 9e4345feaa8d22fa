"""Synthetic pilot worlds with a planted truth (``rvq demo``; the back-test's ground truth).

A world is a B2B customer history in the canonical layout (contract 1, `docs/contracts.md`):
``interactions``, ``accounts``, ``outcomes`` and ``voc`` (the shipped catalog scores the
interactions; no catalog table is written). Its causal model is known exactly and written
to ``truth.json``; ``docs/synthetic-worlds.md`` explains it in words. In short:

* every account has a time-varying *propensity* P (AR(1) around an account baseline made
  of industry, contact source, rep skill and noise) that shifts how many interactions
  happen and their mix between forward (RV >= 0) and backward (RV < 0) catalog rows;
* the realised RV flow F (sum of catalog RV over the account's interactions in a period)
  drives a latent relationship strength S_t = rho * S_{t-1} + F~_t + sigma_eta * eta_t,
  where F~ is F standardized across the accounts active in that period;
* each outcome o (profit, revenue growth, share of wallet) depends on z_{t-L_o}, the
  strength L_o periods earlier in within-SD units, with correlation beta_o
  (``effect``); beta = 0 is the null world, where nothing links RV to the outcome;
* ``reverse=True`` cuts that link and lets the propensity respond to past outcomes
  instead, so RV follows the money;
* the confounder options (account trends and size, ramp-up and churn, rescue effort,
  feedback, mechanical links) tie RV and the money together outside the planted lead;
  `WORLDS` names a world for each (``rvq demo --world NAME``).

Generation is vectorized over accounts and events; the only Python loop is over periods.

Modules: `spec` (ModelConstants, WorldSpec, World), `accounts` (the accounts' fixed
traits), `catalog` (the catalog's streams), `generate` (`generate_world` and the latent
dynamics), `tables` (the latents as the canonical input tables), `confounders` (the
confounder options), `truth` (truth.json), `files` (`write_world`), `shards` (a book too
large to hold, written shard by shard) and `worlds` (the named presets).
"""

from rvq.synth.accounts import CONTACT_ROLES
from rvq.synth.files import write_world
from rvq.synth.generate import generate_world
from rvq.synth.spec import (
    DEFAULT_EFFECT,
    DEFAULT_LAG,
    MODEL,
    OUTCOME_NAMES,
    ModelConstants,
    World,
    WorldSpec,
)
from rvq.synth.worlds import WORLDS, world_spec

__all__ = [
    "CONTACT_ROLES",
    "DEFAULT_EFFECT",
    "DEFAULT_LAG",
    "MODEL",
    "OUTCOME_NAMES",
    "WORLDS",
    "ModelConstants",
    "World",
    "WorldSpec",
    "generate_world",
    "world_spec",
    "write_world",
]
