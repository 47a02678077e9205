"""The garbage collector set for a process that resolves big batches (the server, the worker, a
command-line import)."""

from __future__ import annotations

import gc


def tune_for_batches() -> None:
    """Everything made so far lives as long as the process (or the job: a file read in): take it
    out of the collector's generations, so that collections during big batches do not rescan it.
    And collect less often: a batch allocates hundreds of thousands of short-lived objects, nearly
    none in cycles; at the default thresholds (700, 10, 10) the collector ran hundreds of times per
    batch, and a 5,000 batch spent ~15% of its time there (in-process, against 100,000 people)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
