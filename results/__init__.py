"""Reporting: metrics as pure functions over long-format result tables, tables and plots.

* :mod:`hpobench.results.load` — read a study directory into frames
* :mod:`hpobench.results.regret` — incumbent trajectories, normalised regret, anytime curves
* :mod:`hpobench.results.report` — Markdown table and anytime-regret plot
"""
