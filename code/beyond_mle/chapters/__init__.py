"""One module per chapter notebook, named like it: the chapter's parameters, experiment and claims.

Each module holds, for the notebook ``book/<part>/<name>.ipynb``:

* its experiment functions: what the chapter runs, built from the package's methods, models,
  tasks and trainers;
* its configuration, one frozen :class:`~beyond_mle.config.ChapterConfig` subclass whose fields
  are the notebook's parameters (default, bounds, help) and whose class attributes are its
  presets; the registry of :mod:`beyond_mle.experiments` is built from these;
* the claims its chapter makes of a source (``CLAIMS``), with the quantity measured in the
  chapter's ``results.json`` and the test that decides it (:mod:`beyond_mle.claims`).

The module's name is the notebook's stem and the experiment's name. Chapter modules import
methods, models, tasks and training, never one another; no method module imports them.
"""
