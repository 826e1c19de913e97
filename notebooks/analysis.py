"""Analysis notebook over an evaluation stats DB (marimo).

Interactive:  marimo edit notebooks/analysis.py -- --stats_db stats.duckdb
As a report:  marimo export html notebooks/analysis.py -o report.html -- --stats_db stats.duckdb
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from metta_lit.evaluation.stats_db import EvalStatsDB
    from metta_lit.commands.analyze import scorecard_figure

    return EvalStatsDB, mo, scorecard_figure


@app.cell
def _(EvalStatsDB, mo):
    path = mo.cli_args().get("stats_db") or "stats.duckdb"
    db = EvalStatsDB(str(path))
    policies = {f"{key}:v{version}": (key, version) for key, version in db.policies()}
    simulations = db.simulations()
    metrics = db.metrics()
    mo.md(
        f"# Evaluations in `{db.path}`\n\n{len(policies)} policies, {len(simulations)} simulations, "
        f"{db.count('episodes')} episodes, {len(metrics)} metrics."
    )
    return db, metrics, policies, simulations


@app.cell
def _(metrics, mo, policies, simulations):
    chosen_policies = mo.ui.multiselect(options=list(policies), value=list(policies), label="policies")
    chosen_sims = mo.ui.multiselect(options=simulations, value=simulations, label="simulations")
    metric = mo.ui.dropdown(options=metrics, value="reward" if "reward" in metrics else metrics[0], label="metric")
    mo.hstack([chosen_policies, chosen_sims, metric])
    return chosen_policies, chosen_sims, metric


@app.cell
def _(chosen_policies, chosen_sims, db, metric, mo, policies):
    # Names starting with "_" stay private to their cell (marimo lets one cell define a name).
    _rows = []
    for _name in chosen_policies.value:
        for _sim in chosen_sims.value:
            _summary = db.metric(policies[_name], _sim, metric.value)
            if _summary.samples:
                _rows.append(
                    {
                        "policy": _name,
                        "simulation": _sim,
                        "mean": round(_summary.mean, 4),
                        "std": round(_summary.std, 4),
                        "agent-episodes": _summary.samples,
                    }
                )
    mo.vstack([mo.md(f"## Mean {metric.value} per agent-episode"), mo.ui.table(_rows, selection=None)])
    return


@app.cell
def _(chosen_policies, chosen_sims, db, metric, mo, policies, scorecard_figure):
    _figure = scorecard_figure(db, metric.value, [policies[p] for p in chosen_policies.value], chosen_sims.value)
    mo.vstack([mo.md("## Scorecard"), _figure])
    return


@app.cell
def _(chosen_policies, chosen_sims, db, metric, mo, policies):
    import matplotlib.pyplot as plt

    _sims = chosen_sims.value
    _fig, _axes = plt.subplots(1, max(1, len(_sims)), figsize=(4 * max(1, len(_sims)), 3.2), squeeze=False)
    for _ax, _sim in zip(_axes[0], _sims, strict=False):
        _samples = {p: db.episode_means(policies[p], _sim, metric.value) for p in chosen_policies.value}
        _samples = {p: v for p, v in _samples.items() if v}
        if _samples:
            _ax.boxplot(list(_samples.values()), tick_labels=list(_samples), showmeans=True)
            _ax.tick_params(axis="x", rotation=30)
        _ax.set_title(_sim)
        _ax.set_ylabel(f"{metric.value} per episode")
    _fig.tight_layout()
    mo.vstack([mo.md("## Per-episode distributions"), _fig])
    return


@app.cell
def _(chosen_policies, chosen_sims, db, mo, policies):
    # Episode-level metrics (per team and per game), from team sims: empty for other evaluations.
    _rows = [
        dict(policy=_name, simulation=_sim, metric=_metric, mean=round(_mean, 4))
        for _name in chosen_policies.value
        for _sim in chosen_sims.value
        for _metric, _mean in db.episode_metric_means(policies[_name], _sim).items()
    ]
    _heading = mo.md(
        "## Cooperation\n\nPer-episode means of `coop/*`: each team's return and its inequality (Gini), "
        "assembler uses alone and together, items handed over, attacks and steals on own vs other team."
    )
    mo.vstack([_heading, mo.ui.table(_rows, selection=None)]) if _rows else mo.md("")
    return


if __name__ == "__main__":
    app.run()
