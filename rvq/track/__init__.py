"""After the pilot: RV tracking and the operational lists (`rvq track`).

`history` holds the one input every list works from (:class:`TrackHistory`: the scored
interactions, the account x period panel, the accounts and the optional plans and
campaigns); each list is its own module and returns a frame with a plain-words ``reason``
on every row.
"""
