"""The series' studies as reusable functions: each trains several models alike and compares them.

* :mod:`.attention`: RLA-ResNet with and without attention (notebook 06);
* :mod:`.hpo`, :mod:`.hpo_worker`: hyper-parameter search with Optuna, one shared study, any number of workers
  (notebook 04).
"""
