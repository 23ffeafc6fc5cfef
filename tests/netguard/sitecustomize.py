"""Start-up hook of every child Python a test runs: install the tests' network guard.

Python imports ``sitecustomize`` at start-up from the first folder on ``sys.path`` that has one; the
suite's autouse fixture (tests/conftest.py) puts this folder first on ``PYTHONPATH`` and sets
``WARDROOM_TEST_NETGUARD_LOG``, so every ``wardroom`` command or helper script a test starts refuses
non-loopback connects just like the test process does, and reports each attempt to that file. Any
other ``sitecustomize`` further down ``sys.path`` (a distribution's own) is still run afterwards.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def _chain_next_sitecustomize() -> None:
    """Run the ``sitecustomize`` this one shadows, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or spec.origin == os.path.abspath(__file__):
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


try:
    from wardroom_netguard import install_in_child

    install_in_child()
finally:
    _chain_next_sitecustomize()
