"""pytest configuration for the chapters, which nbval runs (``make nbval``).

Before any kernel starts, progress bars are turned off and ``MPLBACKEND`` is removed, so
that matplotlib keeps the kernel's inline backend: a non-interactive backend exported
for the unit tests would make ``plt.show()`` warn and drop the figures a committed
notebook holds. When outputs are compared, standard error (warnings, progress bars) is
left out, as images already are.
"""

import os

os.environ["BEYOND_MLE_PROGRESS"] = "0"
os.environ.pop("MPLBACKEND", None)


def pytest_collectstart(collector):
    """Add ``stderr`` to the output keys nbval does not compare for each notebook."""
    skip_compare = getattr(collector, "skip_compare", None)
    if isinstance(skip_compare, tuple) and "stderr" not in skip_compare:
        collector.skip_compare = (*skip_compare, "stderr")
