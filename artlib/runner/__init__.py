"""Running the notebook series.

* :mod:`.notebook`: the first cell of every notebook (``cfg = start(OVERRIDES)``) and its ``guard``;
* :mod:`.run_notebooks`: execute the numbered series in order (``python -m artlib.runner``);
* :mod:`.status`: what each run used and what it could not do;
* :mod:`.notebook_files`: the notebooks as files (valid, output-free, a story in markdown, <= 100 code lines).
"""
