"""Evaluate: metrics with confidence intervals, per-user table, paired comparison, groups, beyond accuracy."""

from functools import partial

import streamlit as st

from recsys import ui
from recsys.app import charts
from recsys.app import evaluation_report as er
from recsys.app.group_builder import strategy_label
from recsys.app.workspace import model_path
from recsys.evaluation.groups import GROUP_KINDS, PROTOCOLS
from recsys.models.group import STRATEGIES, STRATEGY_HELP

PAGE = "evaluate"
RUN_GROUPS = ui.key(PAGE, "groups_on")

ui.require_entry_point()  # a link straight to this page still gets the sidebar and ?dataset=
st.set_page_config(page_title="Evaluate — Pozytywka", page_icon=":material/analytics:", layout="wide")
st.title("Evaluate")
prepared = ui.require_prepared(PAGE)
fingerprint = str(prepared.fingerprint)
# only the models trained on this data: another release's model would evaluate to "0 users" and nan
found = ui.models_section(PAGE, prepared)
names = found.names
if not names:
    st.page_link(ui.TRAIN_PAGE, label="Or train any model on the Train page",
                 icon=":material/model_training:")
    st.stop()

# -- settings ----------------------------------------------------------------------------------------
default = ui.preferred_models(found) or names[:1]
models_col, split_col, k_col, threshold_col, regime_col = st.columns([3, 1.4, 2, 1.2, 2],
                                                                    vertical_alignment="bottom")
chosen = models_col.multiselect("Models (one or two)", names, default=default, max_selections=2,
                                select_all=False, key=ui.key(PAGE, "models"))
split = split_col.selectbox("Split", er.SPLITS, key=ui.key(PAGE, "split"),
                            format_func={"val": "validation", "test": "test"}.get)
ks = k_col.multiselect("k", [1, 5, 10, 20, 30, 50], default=[5, 10, 30], key=ui.key(PAGE, "k"))
threshold = threshold_col.number_input("Relevance threshold", value=1.0, step=0.5, min_value=0.0,
                                       max_value=1000.0, key=ui.key(PAGE, "threshold"),
                                       help="A track is relevant when its score in the split is at least "
                                            "this (the original prototype used 1 and 2).")
regime = regime_col.segmented_control("Regime", list(er.REGIMES), default=er.DEFAULT_REGIME,
                                      key=ui.key(PAGE, "regime"),
                                      help=" ".join(er.REGIME_QUESTIONS.values())) or er.DEFAULT_REGIME
if not chosen or not ks:
    st.info("Pick at least one model and one k.", icon=":material/info:")
    st.stop()

ui.signal_banner(prepared, chosen)

paths = tuple(str(model_path(n, ui.model_root())) for n in chosen)
versions = tuple(ui.file_version(p) for p in paths)
k_values = tuple(sorted(ks))
# a large release is evaluated on a seeded sample first (stated below), every user on request
sample, in_split = ui.evaluation_sample(PAGE, prepared, split)
by_regime = None
everyone = sample is None and in_split > er.SAMPLE_USERS
waiting = f"Evaluating all {in_split:,} users (a minute or more)..." if everyone else "Evaluating..."
with ui.show_error("Could not evaluate"), st.spinner(waiting):
    # both regimes, so the verdict can name the winner of each (cached per data and model version)
    by_regime = ui.cached(er.evaluate_both_regimes, prepared, paths, versions, split, k_values,
                          float(threshold), sample)
if by_regime is None:
    st.stop()
evaluations = by_regime[regime]

# -- headline cards ------------------------------------------------------------------------------------
main_k = 10 if 10 in k_values else k_values[0]
headline = [f"ndcg@{main_k}", f"precision@{main_k}", f"recall@{main_k}", f"hit_rate@{main_k}"]
split_name = {"val": "validation", "test": "test"}[split]
st.subheader(f"Headline metrics · {split_name} · {regime} · {next(iter(evaluations.values())).users:,} users")
st.caption(er.REGIME_QUESTIONS[regime] + ui.sample_note(sample, in_split))
verdict = er.regime_verdict(er.regime_results(by_regime, f"ndcg@{main_k}"))
if verdict:
    st.markdown(f"**Which model wins depends on the question.** {verdict}")
for name in evaluations:
    cols = st.columns(len(headline) + 1)
    cols[0].markdown(f"**{ui.escape_markdown(name)}**")
    for col, card in zip(cols[1:], er.metric_cards({name: evaluations[name]}, headline), strict=False):
        col.metric(ui.metric_label(card.metric), f"{card.mean:.3f}", er.lift_text(card), delta_color="off",
                   delta_arrow=er.lift_arrow(card),
                   help=f"Mean over {card.users:,} users; 95% confidence interval "
                        f"{ui.interval_text(card.ci_low, card.ci_high)}; a random list expects "
                        f"{card.random:.3f}.")
        col.caption(f"95% CI {ui.interval_text(card.ci_low, card.ci_high)}")

# Lazy tabs: only the open tab's section runs and is drawn.
table_tab, dist_tab, compare_tab, groups_tab, beyond_tab = st.tabs(
    ["Per-user table", "Distributions", "Comparison", "Groups", "Beyond accuracy"],
    key=ui.key(PAGE, "section"), on_change="rerun")

with table_tab:
    if table_tab.open:
        # over the evaluated users only (the sample on a large release)
        user_overlap = ui.cached(er.user_overlap_of, prepared, float(threshold), split, sample)
        shown_metrics = st.multiselect("Metrics in the table", er.metric_names(evaluations),
                                       default=[f"ndcg@{main_k}", f"precision@{main_k}", f"recall@{main_k}"],
                                       key=ui.key(PAGE, "table_metrics"), format_func=ui.metric_label)
        per_user = er.per_user_table(evaluations, user_overlap, shown_metrics or None)
        for name, ev in evaluations.items():
            ui.store_per_user_metrics(name, fingerprint, ev.per_user)
        search_col, column_col, range_col = st.columns([2, 2, 3])
        query = search_col.text_input("Search user id", key=ui.key(PAGE, "query"))
        metric_cols, preferred = er.filter_columns(per_user, prefer=f"ndcg@{main_k}")
        column = column_col.selectbox("Filter on", metric_cols, index=preferred,
                                      key=ui.key(PAGE, "filter_col"), format_func=ui.metric_label)
        low, high = range_col.slider("Range", 0.0, 1.0, (0.0, 1.0), key=ui.key(PAGE, "range"))
        chart_metric = st.selectbox("Metric in the chart", er.metric_names(evaluations),
                                    index=er.metric_names(evaluations).index(f"ndcg@{main_k}"),
                                    key=ui.key(PAGE, "chart_metric"), format_func=ui.metric_label)
        brushed, opened = ui.per_user_chart_view(evaluations, chart_metric)
        shown = er.filter_per_user(per_user, query=query, column=column,
                                   low=None if low <= 0 else low, high=None if high >= 1 else high)
        if brushed is not None:
            shown = shown[shown["user_id"].isin(brushed)].reset_index(drop=True)
        # paged: a 50,000-user table is sent to the browser er.PAGE_ROWS rows at a time
        page_no = 1
        if len(shown) > er.PAGE_ROWS:
            pages = -(-len(shown) // er.PAGE_ROWS)
            # no max: when a filter leaves fewer pages, a stored page past the end shows the last one
            page_no = st.number_input(f"Page (of {pages:,}, {er.PAGE_ROWS:,} users each)", min_value=1,
                                      value=1, step=1, key=ui.key(PAGE, "table_page"))
        page_rows, _ = er.page_of(shown, int(page_no))
        st.caption(f"{len(shown):,} of {len(per_user):,} users · click a column header to sort the page · "
                   "share already heard: the user's validation tracks they had heard in training")
        st.dataframe(page_rows, hide_index=True, key=ui.key(PAGE, "per_user"),
                     column_config=ui.per_user_columns(page_rows))
        st.download_button("Download CSV", partial(er.per_user_csv, shown),  # every row; made on click
                           file_name=f"{ui.file_slug('per-user', split_name, regime)}.csv",
                           mime="text/csv", key=ui.key(PAGE, "csv"), icon=":material/download:")
        if opened is not None:
            ui.user_detail_view(prepared, chosen, opened, split=split, n=main_k,
                                exclude_seen=er.REGIMES[regime])

with dist_tab:
    if dist_tab.open:
        metric = st.selectbox("Metric", er.metric_names(evaluations), key=ui.key(PAGE, "dist_metric"),
                              format_func=ui.metric_label)
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
            label = ui.metric_label(metric)
            cols = st.columns(3)
            cols[0].metric(f"{b} − {a}", f"{result.diff:+.3f}", help=f"Mean {label} difference over the "
                                                                     f"{result.n:,} users both evaluated")
            cols[1].metric("Chance it is luck", ui.p_value_text(result.p_value),
                           help="How often a difference at least this large would appear if the two models "
                                "were equally good (a permutation test over users; a Wilcoxon signed-rank "
                                f"test gives {ui.p_value_text(result.p_wilcoxon)}). Below 0.05: a real "
                                "difference.")
            cols[2].metric("Users compared", f"{result.n:,}")
            st.caption(f"95% confidence interval of the difference: "
                       f"{ui.interval_text(result.ci_low, result.ci_high, signed=True)}")
            st.markdown(er.comparison_sentence(result, a, b, metric))
        else:
            st.caption("Pick a second model to compare them user by user.")

with groups_tab:
    if groups_tab.open:
        kind_col, size_col, n_col, strategy_col, protocol_col = st.columns(5)
        kind = kind_col.selectbox("Group kind", GROUP_KINDS, key=ui.key(PAGE, "group_kind"))
        size = size_col.number_input("Group size", 2, 20, 5, key=ui.key(PAGE, "group_size"))
        n_groups = n_col.number_input("Groups", 10, 5000, 200, step=50, key=ui.key(PAGE, "n_groups"))
        strategy = strategy_col.selectbox("Strategy", STRATEGIES, key=ui.key(PAGE, "group_strategy"),
                                          format_func=strategy_label, help="; ".join(
                                              f"{strategy_label(s)}: {STRATEGY_HELP[s]}" for s in STRATEGIES))
        protocol = protocol_col.selectbox("Relevant means", PROTOCOLS, key=ui.key(PAGE, "group_protocol"),
                                          format_func={"coupled": "played later",
                                                       "decoupled": "own list"}.get,
                                          help="played later: the tracks each member played in the split; "
                                               "own list: the tracks the member's own list would hold")
        if st.button("Run the group protocol", key=ui.key(PAGE, "run_groups"), type="primary",
                     icon=":material/play_arrow:", help="Draws the groups and scores every model's list for "
                                                        "them; it follows the settings above from then on."):
            st.session_state[RUN_GROUPS] = True
        if st.session_state.get(RUN_GROUPS):
            with ui.show_error("Could not evaluate groups"), st.spinner("Evaluating groups..."):
                groups = ui.cached(er.group_protocol, prepared, paths, versions, split, kind, int(size),
                                   int(n_groups), main_k, strategy, float(threshold), er.REGIMES[regime],
                                   protocol)
                intervals = [c for c in groups.columns if c.endswith((" ci_low", " ci_high"))]
                st.dataframe(groups, hide_index=True, key=ui.key(PAGE, "groups_table"),
                             column_config=ui.labelled_columns(groups, hidden=intervals))
                with st.expander("The same figures with their 95% confidence intervals"):
                    st.dataframe(groups, hide_index=True, key=ui.key(PAGE, "groups_intervals"),
                                 column_config=ui.labelled_columns(groups))
                st.caption(f"Precision@{main_k}: share of the group list relevant to at least one member · "
                           "members' mean and worst-served member's NDCG of the group list · worst over "
                           "best member · evenness: how evenly the members are served (1 = evenly) · "
                           "members' mean and worst recall: share of each member's relevant tracks on the "
                           "list · members with nothing relevant · first relevant track: how early each "
                           "member's first relevant track comes (1 = first).")
        st.divider()
        ui.group_study_section(prepared, paths, versions, split=split, k=main_k, threshold=float(threshold),
                               exclude_seen=er.REGIMES[regime])

with beyond_tab:
    if beyond_tab.open:
        with ui.show_error("Could not compute beyond-accuracy metrics"):
            beyond = ui.cached(er.beyond_table_of, prepared, paths, versions, split, k_values,
                               float(threshold), er.REGIMES[regime], sample)
            st.dataframe(beyond, hide_index=True, key=ui.key(PAGE, "beyond"),
                         column_config=ui.labelled_columns(beyond))
            st.caption("Catalogue coverage: share of the catalogue in any list · novelty: how rarely the "
                       "listed tracks were played (higher is rarer) · listeners per listed track: how "
                       "popular the lists are · genre diversity: how different the genres within a list "
                       "are.")
