"""Calibration studies: do the methods keep their promises on simulated profiles with a known truth?

Each analysis family has a module here with ``study(n_profiles, seed=..., progress=...) -> DataFrame``
(one row per method and scenario: ``analysis``, ``method``, ``scenario``, ``true_lift``, ``runs``,
``rejection_rate``, ``coverage``, ``mean_lift``, ``target``). ``python -m toolkit.calibration``
(``make validate``) runs the full studies and writes their tables to ``reports/validation.md``
(``docs/validation.md`` reads them); ``make test`` runs small versions. ``robustness`` bends the
simulated account's assumptions (posting rate, sparsity, autocorrelation, overdispersion, gaps,
content mix); too long for that run, it has its own command, ``python -m
toolkit.calibration.robustness``. ``extras`` measures the smaller figures ``docs/validation.md``
quotes beside that study, one command each (``python -m toolkit.calibration.extras NAME``).
"""

STUDY_COLUMNS = (
    "analysis", "method", "scenario", "true_lift", "runs", "rejection_rate", "coverage",
    "mean_lift", "target",
)
