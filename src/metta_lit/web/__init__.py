"""``metta-lit serve``: the replay viewer, live play and the runs dashboard (Starlette)."""
