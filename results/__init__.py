"""Reporting: metrics as pure functions over long-format result tables, tables, plots and HTML.

* :mod:`hpobench.results.load` — read a study directory into frames (partial directories too)
* :mod:`hpobench.results.regret` — incumbent trajectories, regret normalised by reference optima
* :mod:`hpobench.results.curves` — anytime curves on a grid with bootstrap / order-statistic intervals
* :mod:`hpobench.results.ranks` — ranks within blocks, over time and at the final budget
* :mod:`hpobench.results.stats` — the block definition; Friedman + Nemenyi critical difference,
  Wilcoxon + Holm, each with its smallest attainable p-value
* :mod:`hpobench.results.significance` — what the report says about blocks and the tests' power
* :mod:`hpobench.results.profiles` — ECDF over regret targets (COCO style)
* :mod:`hpobench.results.speedup` — expected running time relative to random search
* :mod:`hpobench.results.tables` — Markdown, LaTeX and HTML tables
* :mod:`hpobench.results.plots` — matplotlib figures (PNG and SVG)
* :mod:`hpobench.results.plot_style` — the figures' shared look: method colours and markers, titles,
  legends, saving
* :mod:`hpobench.results.hypervolume_regret` — multi-objective scores: hypervolume regret against a
  task's reference front, IGD+, anytime and final, and the runs' found fronts
* :mod:`hpobench.results.attainment` — empirical attainment surfaces of two-objective runs
* :mod:`hpobench.results.mo_plots` — found fronts and attainment surfaces per task
* :mod:`hpobench.results.mo_report` — the report's multi-objective section
* :mod:`hpobench.results.html` — the self-contained HTML page
* :mod:`hpobench.results.report_analysis` — every number of the single-objective report
* :mod:`hpobench.results.report_sections` — the report's Markdown, LaTeX and HTML documents
* :mod:`hpobench.results.report_figures` — the report's single-objective figures
* :mod:`hpobench.results.report` — :func:`~hpobench.results.report.write_report`, all of the above
"""
