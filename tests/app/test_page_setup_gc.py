"""The pages' set-up freezes the long-lived objects once per newly imported module, so Streamlit's
collection after every script run scans only what is new (bench/bench_load.py measures the CPU)."""

import gc
import sys
import types

from ui import page


def test_long_lived_objects_are_frozen_once_per_new_import():
    try:
        # a module imported since any earlier freeze (pages run in this process too): this call freezes
        sys.modules["_convatlas_probe_a"] = types.ModuleType("_convatlas_probe_a")
        page.freeze_long_lived()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the interpreter, streamlit, pandas, plotly... already loaded here
        assert len(gc.get_objects()) < frozen / 10  # what a collection still scans

        kept = [[i] for i in range(5000)]  # objects made by a page run
        page.freeze_long_lived()  # nothing imported since: no new full collection, nothing frozen
        assert gc.get_freeze_count() <= frozen

        sys.modules["_convatlas_probe_b"] = types.ModuleType("_convatlas_probe_b")  # a run imported a module
        page.freeze_long_lived()
        assert gc.get_freeze_count() >= frozen + len(kept) // 2  # (some objects frozen before are gone)
    finally:
        sys.modules.pop("_convatlas_probe_a", None)
        sys.modules.pop("_convatlas_probe_b", None)
        gc.unfreeze()
