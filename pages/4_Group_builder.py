"""Group builder: pick listeners, see who they are, compare two models' playlists for them side by side,
see why each track is there and for whom, and every aggregation strategy side by side."""

import streamlit as st

from recsys import ui
from recsys.app import charts
from recsys.app import group_builder as gb
from recsys.models.group import STRATEGIES, STRATEGY_HELP, WEIGHTED_STRATEGIES

PAGE = "group"
MEMBERS = ui.key(PAGE, "members")
QUERY = ui.key(PAGE, "query")
SIZE = ui.key(PAGE, "size")
KIND_HELP = {"random": "A new group of listeners drawn at random",
             "similar": "Add listeners with tastes close to the current members",
             "divergent": "Add listeners with tastes far from the current members",
             "outlier": "Add close listeners, then one who fits least"}

ui.require_entry_point()  # a link straight to this page still gets the sidebar and ?dataset=
st.set_page_config(page_title="Group builder — Pozytywka", page_icon=":material/groups:", layout="wide")
st.title("Group builder")
prepared = ui.require_prepared(PAGE)
directory, search_index = ui.cached(gb.directory_index_of, prepared)  # built once per dataset
labels_all = ui.cached(gb.user_labels_of, prepared)
history = ui.cached(gb.history_matrix, prepared)

# -- models: only those trained on this data (another release's ids may coincide: never used silently) ----
found = ui.models_section(PAGE, prepared)
names = found.names
ui.signal_banner(prepared, ui.preferred_models(found))  # with the default models' figure against random

# -- build the group -------------------------------------------------------------------------------------
ui.members_from_url(MEMBERS, labels_all, PAGE)
st.subheader("Members")
search_col, pick_col = st.columns([2, 3], gap="large")
with search_col:
    query_col, field_col = st.columns([3, 2])
    # an exact user id followed by Enter adds that user (the placeholder says so: no tooltip needed)
    query = query_col.text_input("Search users", placeholder="id (Enter adds), name, city, genre", key=QUERY,
                                 on_change=ui.add_exact_user, args=(PAGE, MEMBERS, QUERY, directory))
    field = field_col.selectbox("in", gb.SEARCH_FIELDS, key=ui.key(PAGE, "field"))
    hits = directory.head(0)  # the search's matches, below
    with ui.show_error("Search failed"):
        every = gb.search_users(directory, query, field=field, limit=None, index=search_index)
        hits = every.head(gb.SEARCH_LIMIT)
        picked = st.dataframe(hits, hide_index=True, height=220, on_select="rerun",
                              selection_mode="multi-row", key=ui.key(PAGE, "hits"),
                              column_config=ui.labelled_columns(hits))
        if len(every) > len(hits):
            st.caption(f"Showing the first {len(hits)} of {len(every):,} matches: type more to narrow them.")
        chosen = hits.iloc[picked.selection.rows]["user_id"].tolist()
        st.button(f"Add {len(chosen)} selected", disabled=not chosen, key=ui.key(PAGE, "add"),
                  icon=":material/person_add:", on_click=ui.add_chosen, args=(PAGE, MEMBERS, chosen))

with pick_col:
    # a large release lists only the members and the search's hits (not 50,000 labels per rerun)
    options = gb.picker_options(list(labels_all), st.session_state.get(MEMBERS, []),
                                hits["user_id"].tolist())
    st.multiselect("Group members (type to search, x to remove)", options,
                   format_func=labels_all.get, key=MEMBERS, placeholder="Add members...",
                   max_selections=gb.MAX_GROUP_SIZE, select_all=False)
    size_col, *kind_cols = st.columns([3] + [2] * len(gb.GROUP_KINDS), vertical_alignment="bottom")
    # no max on the box: a size out of range gets a message naming the range, not a silent default
    size_col.number_input("Group size", min_value=1, value=3, step=1, key=SIZE,
                          help=f"{gb.MIN_GROUP_SIZE} to {gb.MAX_GROUP_SIZE} members. Random draws a new "
                               "group of this size; the other kinds grow the current group to it.")
    for kind_col, kind in zip(kind_cols, gb.GROUP_KINDS, strict=True):
        kind_col.button(kind.capitalize(), on_click=ui.suggest_members,
                        args=(PAGE, MEMBERS, history, kind, SIZE), key=ui.key(PAGE, kind), width="stretch",
                        help=KIND_HELP.get(kind))
ui.group_message(PAGE)

members = list(st.session_state.get(MEMBERS, []))
ui.members_to_url(members)
if not members:
    st.info("Add members above, or draw a suggested group.", icon=":material/group_add:")
    st.stop()

tracks = ui.cached(gb.track_info_of, prepared)  # built once per dataset, not per card and rerun
with ui.show_error("Could not show the member cards"):
    # one pass over everyone's history for all the members (not one per card)
    ui.member_cards_view(gb.member_cards(members, prepared.users, ui.cached(gb.history_frame, prepared),
                                         tracks), PAGE)

# -- two models side by side -------------------------------------------------------------------------------
st.subheader("Recommendations side by side")
if not names:
    st.stop()
a_col, b_col, strategy_col, n_col, discovery_col = st.columns([2, 2, 2, 1, 2], vertical_alignment="bottom")
left, right = ui.preferred_pair(found)
# bound to the address (?group.model_a=...): a reload or a shared link shows the same two models
model_a = a_col.selectbox("Left model", names, index=left, key=ui.key(PAGE, "model_a"), bind="query-params")
model_b = b_col.selectbox("Right model", names, index=right, key=ui.key(PAGE, "model_b"), bind="query-params")
strategy = strategy_col.selectbox("Aggregation strategy", STRATEGIES, key=ui.key(PAGE, "strategy"),
                                  format_func=gb.strategy_label, help="\n\n".join(
                                      f"**{gb.strategy_label(s)}**: {STRATEGY_HELP[s]}" for s in STRATEGIES))
n = n_col.number_input("Tracks", min_value=1, max_value=50, value=10, key=ui.key(PAGE, "n"))
discovery = discovery_col.toggle("New tracks only", key=ui.key(PAGE, "discovery"),
                                 help="Leave out tracks any member already heard")
st.caption(f"**{gb.strategy_label(strategy)}**: {STRATEGY_HELP[strategy]}")
member_labels = gb.member_labels(directory, members)
with st.expander("Member weights", icon=":material/balance:"):
    weights = ui.weight_sliders(members, member_labels, PAGE)
    if strategy not in WEIGHTED_STRATEGIES:
        st.caption(f"{gb.strategy_label(strategy)} looks at one member per track: weights do not change it.")
uneven = len(set(weights)) > 1 and strategy in WEIGHTED_STRATEGIES

with ui.show_error("Could not recommend"):
    chosen_models = {model_a: ui.load_model(model_a), model_b: ui.load_model(model_b)}
    comparison = gb.compare_models(chosen_models, members, tracks, n=int(n), strategy=strategy,
                                   history=history, exclude_seen=discovery, labels=member_labels,
                                   weights=weights if uneven else None)
    st.caption(f"**{len(comparison.overlap)} of {int(n)}** tracks are on both lists (highlighted). "
               "Click a track to see why it is there and for whom.")
    columns = st.columns(len(comparison.lists), gap="large")
    for col, group_list in zip(columns, comparison.lists, strict=True):
        with col:
            st.markdown(f"#### {ui.escape_markdown(group_list.model)}")
            clicked = st.dataframe(charts.overlap_styler(gb.display_table(group_list.table)), hide_index=True,
                                   column_config=ui.playlist_columns(), on_select="rerun",
                                   selection_mode="single-row", key=ui.key(PAGE, f"list.{group_list.model}"))
            st.caption(ui.escape_markdown(gb.status_text(group_list.members)))
            if clicked.selection.rows:
                with ui.show_error("Could not explain the track"):
                    why = gb.explain_list(chosen_models[group_list.model], group_list.recommendation,
                                          tracks, history=history, labels=member_labels)
                    ui.explanation_view(why[clicked.selection.rows[0]])
            st.plotly_chart(charts.affinity_heatmap(group_list.affinity,
                                                    f"{group_list.model}: who each pick serves"),
                            key=ui.key(PAGE, f"heatmap.{group_list.model}"))
            csv_col, json_col = st.columns(2)
            file_name = ui.file_slug("playlist", group_list.model, strategy)
            csv_col.download_button("Playlist CSV", gb.playlist_csv(group_list.table, member_labels),
                                    file_name=f"{file_name}.csv", mime="text/csv",
                                    key=ui.key(PAGE, f"csv.{group_list.model}"), icon=":material/download:")
            playlist = gb.playlist_json(group_list.table, model=group_list.model, strategy=strategy,
                                        labels=member_labels)
            json_col.download_button("Playlist JSON", playlist, file_name=f"{file_name}.json",
                                     mime="application/json", key=ui.key(PAGE, f"json.{group_list.model}"),
                                     icon=":material/download:")

# -- every strategy side by side ---------------------------------------------------------------------------
st.subheader("Every strategy for this group")
if st.toggle("Compare every aggregation strategy", key=ui.key(PAGE, "all_strategies"),
             help="Each strategy's list for the same members, with how the least-served member fares"):
    model_name = st.selectbox("Model", names, index=right, key=ui.key(PAGE, "strategies.model"))
    with ui.show_error("Could not compare the strategies"), st.spinner("Making every strategy's list..."):
        every = gb.compare_strategies(ui.load_model(model_name), members, tracks, n=int(n),
                                      history=history, exclude_seen=discovery,
                                      weights=weights if len(set(weights)) > 1 else None,
                                      heldout=ui.cached(gb.heldout_matrix, prepared), labels=member_labels)
        ui.strategy_comparison_view(every, PAGE)
