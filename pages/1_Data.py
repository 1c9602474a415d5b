"""Data: signal check, summary, cleaning report, data sanity, distributions, sparsity, train/validation
overlap."""

import streamlit as st

from recsys import ui
from recsys.app import charts
from recsys.app.exploration import stored_overlap, stored_sparsity

PAGE = "data"

ui.require_entry_point()  # a link straight to this page still gets the sidebar and ?dataset=
st.set_page_config(page_title="Data — Pozytywka", page_icon=":material/bar_chart:", layout="wide")
st.title("Data")
prepared = ui.require_prepared(PAGE)
overview = ui.cached_overview(prepared)
st.caption(f"Dataset **{ui.escape_markdown(ui.dataset_name())}** · "
           f"fingerprint `{str(prepared.fingerprint)[:12]}`")

ui.sanity_banner(overview.report)  # repeated ids, unknown users, odd times: never silent

# -- signal check ------------------------------------------------------------------------------
with ui.show_error("Could not run the signal check"):
    ui.signal_check_card(prepared)

# -- summary cards -----------------------------------------------------------------------------
summary = overview.summary
cols = st.columns(6)
cols[0].metric("Users", f"{summary.users:,}", help=f"{summary.active_users:,} with listening events")
cols[1].metric("Tracks", f"{summary.tracks:,}", help=f"{summary.played_tracks:,} played at least once")
cols[2].metric("Artists", f"{summary.artists:,}")
cols[3].metric("Events", f"{summary.events:,}", help="after cleaning")
cols[4].metric("Sessions", f"{summary.sessions:,}")
cols[5].metric("Period", ui.days_text(summary.start, summary.end),
               help=ui.date_range_text(summary.start, summary.end))

# Lazy tabs: only the open tab's section runs and is drawn, so the first render stays light.
events_tab, tail_tab, genres_tab, cleaning_tab, sanity_tab, sparsity_tab, overlap_tab = st.tabs(
    ["Events", "Long tail", "Genres", "Cleaning report", "Data sanity", "Sparsity",
     "Train/validation overlap"],
    key=ui.key(PAGE, "section"), on_change="rerun",
)

with events_tab:
    if events_tab.open:
        left, right = st.columns([1, 2])
        left.plotly_chart(charts.events_by_type_chart(overview.by_type), key=ui.key(PAGE, "by_type"))
        right.plotly_chart(charts.events_over_time_chart(overview.over_time), key=ui.key(PAGE, "over_time"))

with tail_tab:
    if tail_tab.open:
        st.caption("Rank against count on log-log axes: a straight, steep line is a long tail.")
        left, right = st.columns(2)
        with ui.show_error("Could not draw the long tails"):
            left.plotly_chart(charts.long_tail_chart(overview.activity, noun="users"),
                              key=ui.key(PAGE, "activity"))
            right.plotly_chart(charts.long_tail_chart(overview.popularity, noun="tracks"),
                               key=ui.key(PAGE, "popularity"))

with genres_tab:
    if genres_tab.open:
        with ui.show_error("Could not draw the genres"):
            st.plotly_chart(charts.genres_chart(overview.genres), key=ui.key(PAGE, "genres"))

with cleaning_tab:
    if cleaning_tab.open:
        with ui.show_error("Could not show the cleaning report"):
            ui.cleaning_report(prepared, overview)

with sanity_tab:
    if sanity_tab.open:
        with ui.show_error("Could not show the data sanity checks"):
            ui.sanity_section(prepared, overview)

with sparsity_tab:
    if sparsity_tab.open:
        st.caption("Users sorted by activity (top = most active), tracks by popularity (left = most played), "
                   "binned into blocks; colour = filled (user, track) pairs per block on a log scale, "
                   "blank = none. Hover a block for its counts and rank ranges.")
        split = st.segmented_control("Split", ["train", "val", "test"], default="train",
                                     key=ui.key(PAGE, "sparsity_split"))
        with ui.show_error("Could not draw the sparsity heatmap"):
            matrix = ui.cached(stored_sparsity, prepared, split or "train")
            st.plotly_chart(charts.sparsity_heatmap(matrix), key=ui.key(PAGE, "heatmap"))

with overlap_tab:
    if overlap_tab.open:
        per_user = None
        with ui.show_error("Could not compute the overlap"):
            pairs, per_user = ui.cached(stored_overlap, prepared)
            left, right = st.columns(2)
            left.plotly_chart(charts.pair_overlap_chart(pairs), key=ui.key(PAGE, "pairs"))
            right.plotly_chart(charts.overlap_share_chart(per_user), key=ui.key(PAGE, "share"))
        st.markdown("**Overlap against accuracy.** The customer's first analysis found that the users a "
                    "model scored well on were those whose validation tracks were already in their training "
                    "history.")
        if per_user is not None:
            with ui.show_error("Could not evaluate the model"):
                ui.overlap_vs_ndcg_section(PAGE, prepared, per_user)
