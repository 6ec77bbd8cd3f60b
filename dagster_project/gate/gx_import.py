"""Great Expectations, imported without loading what the gate never uses.

GX's import took ~1.9 s of every run that validates anything (a re-run with one daily
export at bench scale 480 took ~10 s in all). ~0.75 s of it were two libraries loaded by
one expectation module at import time: `altair` (charts for GX's rendered docs) and
`scipy.stats` (the KL-divergence and KS-test expectations; no suite here uses them).
`import_gx` puts a stand-in for each into `sys.modules` before GX is imported; the
stand-in imports the real library the first time anything reads from it, so an
expectation that does need scipy still works (tests/gate/test_gx_import.py), it only pays
the import then. (`importlib.util.LazyLoader` does not do here: Python 3.11's `import`
statement reads a module's `__spec__`, which makes a lazily loaded module load.)

Nothing in GX is replaced: should a later GX version read from either library while
importing, the stand-in loads it there and only the saving is lost.
"""

from __future__ import annotations

import importlib
import sys
import types

DEFERRED_MODULES = ("altair", "scipy.stats")


class DeferredModule(types.ModuleType):
    """Stands in `sys.modules` for a module not imported yet; imports it on first use."""

    def _real(self) -> types.ModuleType:
        real = self.__dict__.get("_deferred_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]  # so that the import below finds the module
            real = importlib.import_module(self.__name__)
            self.__dict__["_deferred_real"] = real
        return real

    def __getattr__(self, name: str):
        return getattr(self._real(), name)

    def __dir__(self):
        return dir(self._real())


def import_gx() -> types.ModuleType:
    """`great_expectations`, imported (once per process) with `DEFERRED_MODULES` deferred."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED_MODULES:
            if name not in sys.modules:
                sys.modules[name] = DeferredModule(name)
    import great_expectations

    return great_expectations
