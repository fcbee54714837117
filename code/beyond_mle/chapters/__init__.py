"""One module per chapter notebook, named like it: the chapter's claims (``CLAIMS``).

Each module declares the claims its chapter makes of a source, with the quantity measured in the
chapter's ``results.json`` and the test that decides it (:mod:`beyond_mle.claims`). Chapter modules
import methods, models, tasks and training, never one another.
"""
