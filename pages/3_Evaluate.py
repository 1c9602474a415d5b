"""Evaluate: metrics with confidence intervals, per-user table, paired comparison, groups, beyond accuracy."""

import streamlit as st

from recsys import ui
from recsys.app import charts
from recsys.app import evaluation_report as er
from recsys.app.exploration import prepared_overlap
from recsys.app.workspace import model_path
from recsys.evaluation.groups import GROUP_KINDS
from recsys.models.group import STRATEGIES

PAGE = "evaluate"

st.set_page_config(page_title="Evaluate — Pozytywka", page_icon=":material/analytics:", layout="wide")
st.title("Evaluate")
prepared = ui.require_prepared(PAGE)
fingerprint = str(prepared.fingerprint)
saved = ui.model_table(fingerprint)
names = er.evaluable_models(saved)
if not names:
    st.info("No saved models yet: train one on the Train page.", icon=":material/info:")
    st.page_link(ui.TRAIN_PAGE, label="Go to Train", icon=":material/model_training:")
    st.stop()

# -- settings ----------------------------------------------------------------------------------------
default = [n for n in ("basic", "wmf") if n in names] or names[:1]
models_col, split_col, k_col, threshold_col, regime_col = st.columns([3, 1.4, 2, 1.2, 2],
                                                                    vertical_alignment="bottom")
chosen = models_col.multiselect("Models (one or two)", names, default=default, max_selections=2,
                                key=ui.key(PAGE, "models"))
split = split_col.selectbox("Split", er.SPLITS, key=ui.key(PAGE, "split"),
                            format_func={"val": "validation", "test": "test"}.get)
ks = k_col.multiselect("k", [1, 5, 10, 20, 30, 50], default=[5, 10, 30], key=ui.key(PAGE, "k"))
threshold = threshold_col.number_input("Relevance threshold", value=1.0, step=0.5,
                                       key=ui.key(PAGE, "threshold"),
                                       help="A track is relevant when its score in the split is at least "
                                            "this (the notebook used 1 and 2).")
regime = regime_col.segmented_control("Regime", list(er.REGIMES), default="all tracks",
                                      key=ui.key(PAGE, "regime"),
                                      help="discovery: tracks the user heard in training are removed from "
                                           "the ranking and from the relevant set") or "all tracks"
if not chosen or not ks:
    st.info("Pick at least one model and one k.", icon=":material/info:")
    st.stop()

with ui.show_error("Could not check the data's signal"):
    verdict = ui.signal_verdict(prepared)
    if verdict == "none":
        st.error("**No detectable structure in this data** (signal check on the Data page): every model "
                 "scores like random here, so differences between models are noise.",
                 icon=":material/warning:")

paths = tuple(str(model_path(n, ui.model_root())) for n in chosen)
versions = tuple(ui.file_version(p) for p in paths)
k_values = tuple(sorted(ks))
evaluations = None
with ui.show_error("Could not evaluate"), st.spinner("Evaluating..."):
    evaluations = ui.cached(er.evaluate_saved, prepared, paths, versions, split, k_values, float(threshold),
                            er.REGIMES[regime])
if evaluations is None:
    st.stop()

# -- headline cards ------------------------------------------------------------------------------------
main_k = 10 if 10 in k_values else k_values[0]
headline = [f"ndcg@{main_k}", f"precision@{main_k}", f"recall@{main_k}", f"hit_rate@{main_k}"]
st.subheader(f"Headline metrics · {split} · {regime} · {next(iter(evaluations.values())).users:,} users")
for name in evaluations:
    cols = st.columns(len(headline) + 1)
    cols[0].markdown(f"**{name}**")
    for col, card in zip(cols[1:], er.metric_cards({name: evaluations[name]}, headline), strict=False):
        col.metric(card.metric, f"{card.mean:.4f}", er.lift_text(card), delta_color="off",
                   help=f"95% CI [{card.ci_low:.4f}, {card.ci_high:.4f}] over {card.users:,} users; "
                        f"a random list expects {card.random:.4f}")
        col.caption(f"CI [{card.ci_low:.3f}, {card.ci_high:.3f}]")

# Lazy tabs: only the open tab's section runs and is drawn.
table_tab, dist_tab, compare_tab, groups_tab, beyond_tab = st.tabs(
    ["Per-user table", "Distributions", "Comparison", "Groups", "Beyond accuracy"],
    key=ui.key(PAGE, "section"), on_change="rerun")

with table_tab:
    if table_tab.open:
        _, user_overlap = ui.cached(prepared_overlap, prepared, float(threshold))
        shown_metrics = st.multiselect("Metrics in the table", er.metric_names(evaluations),
                                       default=[f"ndcg@{main_k}", f"precision@{main_k}", f"recall@{main_k}"],
                                       key=ui.key(PAGE, "table_metrics"))
        per_user = er.per_user_table(evaluations, user_overlap, shown_metrics or None)
        for name, ev in evaluations.items():
            ui.store_per_user_metrics(name, fingerprint, ev.per_user)
        search_col, column_col, range_col = st.columns([2, 2, 3])
        query = search_col.text_input("Search user id", key=ui.key(PAGE, "query"))
        metric_cols, preferred = er.filter_columns(per_user, prefer=f"ndcg@{main_k}")
        column = column_col.selectbox("Filter on", metric_cols, index=preferred,
                                      key=ui.key(PAGE, "filter_col"))
        low, high = range_col.slider("Range", 0.0, 1.0, (0.0, 1.0), key=ui.key(PAGE, "range"))
        shown = er.filter_per_user(per_user, query=query, column=column,
                                   low=None if low <= 0 else low, high=None if high >= 1 else high)
        st.caption(f"{len(shown):,} of {len(per_user):,} users · click a column header to sort · "
                   "overlap_share = share of the user's validation tracks already heard in training")
        st.dataframe(shown, hide_index=True, key=ui.key(PAGE, "per_user"),
                     column_config={"overlap_share": st.column_config.ProgressColumn(
                         "overlap_share", min_value=0.0, max_value=1.0, format="percent")})
        st.download_button("Download CSV", er.per_user_csv(shown), file_name=f"per-user-{split}-{regime}.csv",
                           mime="text/csv", key=ui.key(PAGE, "csv"), icon=":material/download:")

with dist_tab:
    if dist_tab.open:
        metric = st.selectbox("Metric", er.metric_names(evaluations), key=ui.key(PAGE, "dist_metric"))
        st.plotly_chart(charts.metric_distribution_chart(er.metric_long(evaluations, metric), metric),
                        key=ui.key(PAGE, "dist"))

with compare_tab:
    if compare_tab.open:
        metric = f"ndcg@{main_k}"
        st.plotly_chart(charts.against_random_chart(er.against_random(evaluations, metric), metric),
                        key=ui.key(PAGE, "random"))
        st.caption("The random expectation is analytic (a uniformly random list over the same candidates).")
        if len(evaluations) == 2:
            a, b = list(evaluations)
            result = er.paired(evaluations[b], evaluations[a], metric)
            cols = st.columns(4)
            cols[0].metric(f"{b} − {a}", f"{result.diff:+.4f}", help=f"mean {metric} difference over "
                                                                      f"{result.n:,} users evaluated by both")
            cols[1].metric("95% CI", f"[{result.ci_low:+.4f}, {result.ci_high:+.4f}]")
            cols[2].metric("p-value (permutation)", f"{result.p_value:.4f}")
            cols[3].metric("p-value (Wilcoxon)", f"{result.p_wilcoxon:.2g}")
            st.markdown(er.comparison_sentence(result, a, b, metric))
        else:
            st.caption("Pick a second model to compare them user by user.")

with groups_tab:
    if groups_tab.open:
        kind_col, size_col, n_col, strategy_col = st.columns(4)
        kind = kind_col.selectbox("Group kind", GROUP_KINDS, key=ui.key(PAGE, "group_kind"))
        size = size_col.number_input("Group size", 2, 20, 5, key=ui.key(PAGE, "group_size"))
        n_groups = n_col.number_input("Groups", 10, 5000, 200, step=50, key=ui.key(PAGE, "n_groups"))
        strategy = strategy_col.selectbox("Strategy", STRATEGIES, key=ui.key(PAGE, "group_strategy"))
        run_groups = st.toggle("Run the group protocol", key=ui.key(PAGE, "run_groups"))
        if run_groups:
            with ui.show_error("Could not evaluate groups"), st.spinner("Evaluating groups..."):
                groups = ui.cached(er.group_protocol, prepared, paths, versions, split, kind, int(size),
                                   int(n_groups), main_k, strategy, float(threshold), er.REGIMES[regime])
                st.dataframe(groups, hide_index=True, key=ui.key(PAGE, "groups_table"))
                st.caption(f"precision@{main_k}: share of the group list relevant to at least one member; "
                           "ndcg_mean / ndcg_min: the members' mean and worst NDCG of the group list "
                           "(fairness).")

with beyond_tab:
    if beyond_tab.open:
        with ui.show_error("Could not compute beyond-accuracy metrics"):
            beyond = ui.cached(er.beyond_table_of, prepared, paths, versions, split, k_values,
                               float(threshold), er.REGIMES[regime])
            st.dataframe(beyond, hide_index=True, key=ui.key(PAGE, "beyond"))
            st.caption("coverage: share of the catalogue in any list; novelty: mean self-information of "
                       "listed tracks; avg_popularity: users per listed track; diversity: genre intra-list "
                       "diversity.")
