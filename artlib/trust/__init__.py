"""How far to trust an answer: calibrated probabilities, "none of these", prediction sets, where the model looked.

* :mod:`.calibration`: ECE, NLL, reliability bins; temperature scaling (classes), Platt scaling (pairs).
* :mod:`.conformal`: split-conformal prediction sets with a coverage guarantee (MAPIE's LAC sets).
* :mod:`.open_set`: a rule that says "none of the classes this model knows" (max probability or deep k-NN).
* :mod:`.task_trust`: the three fitted on validation for one task, stored in the model card.
* :mod:`.evaluation`: what they achieve on held-out paintings, with 95 % intervals.
* :mod:`.classifier_trust`: all of it for a trained classifier and its card (notebook 08, ``benchmarks/trust.py``).
* :mod:`.cam`: Grad-CAM heat maps (pytorch-grad-cam) of any artlib classifier.
"""

from .calibration import (
    PlattScaler,
    TemperatureScaler,
    binary_ece,
    calibration_test,
    debiased_ece,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)
from .classifier_trust import (
    OPEN_TASKS,
    ReferenceCheck,
    classifier_set_methods,
    classifier_trust_report,
    fit_classifier_trust,
    fit_reference_check,
    split_predictions,
)
from .conformal import conformal_threshold, prediction_sets, set_coverage
from .evaluation import headline, task_trust_report
from .open_set import OpenSetBank, OpenSetRule, fit_open_set, knn_similarity
from .task_trust import DEFAULT_COVERAGE, TaskTrust, fit_task_trust

__all__ = [
    "OPEN_TASKS",
    "OpenSetBank",
    "classifier_set_methods",
    "classifier_trust_report",
    "fit_classifier_trust",
    "fit_reference_check",
    "ReferenceCheck",
    "headline",
    "task_trust_report",
    "split_predictions",
    "DEFAULT_COVERAGE",
    "OpenSetRule",
    "PlattScaler",
    "TaskTrust",
    "TemperatureScaler",
    "binary_ece",
    "calibration_test",
    "debiased_ece",
    "conformal_threshold",
    "expected_calibration_error",
    "fit_open_set",
    "fit_task_trust",
    "knn_similarity",
    "negative_log_likelihood",
    "prediction_sets",
    "reliability_bins",
    "set_coverage",
]
