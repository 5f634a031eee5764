"""One module per transformation tag; importing this package registers every one of them.

Modules are discovered, so a new transformation is a new module here and nothing else. Modules whose
names start with ``_`` are helpers.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
