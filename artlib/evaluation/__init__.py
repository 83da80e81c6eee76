"""How good a model is and how sure that is.

* :mod:`.metrics`: classification metrics (scikit-learn) for single- and multitask predictions;
* :mod:`.significance`: confidence intervals and paired comparisons of classifiers;
* :mod:`.results`: a run's headline results with their 95 % intervals, saved per notebook, and their table.
"""
