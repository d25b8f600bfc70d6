"""What each gunicorn worker does once its app is loaded: `caseflow serve` sets these hooks, and
bench/bench_load.py hands this module to gunicorn (``-c python:caseflow.serving.hooks``).

Python's cycle collector runs every 700 new objects by default: a page loading and rendering
fifty cases ran it about once a request, going over the app's own objects each time (~5 % of a
request's CPU, measured). The objects made while loading the app live as long as the process:
they are frozen out of the collector's sight, and the youngest generation is collected after
50,000 new objects instead (most of a request's objects go by reference counting anyway).
"""

from __future__ import annotations

import gc

GC_YOUNGEST_THRESHOLD = 50_000


def post_worker_init(_worker) -> None:
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, gen1, gen2)
