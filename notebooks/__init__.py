"""The seven pilot notebooks, installed as package `rvq.notebooks` (see pyproject.toml) so
that `rvq pilot` finds them in a wheel as well as in this checkout."""
