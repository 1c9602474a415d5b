"""Group builder: pick listeners, see who they are, compare two models' playlists for them side by side."""

import streamlit as st

from recsys import ui
from recsys.app import charts
from recsys.app import group_builder as gb
from recsys.models.group import STRATEGIES

PAGE = "group"
MEMBERS = ui.key(PAGE, "members")
DEFAULT_MODELS = ("basic", "wmf")
KIND_HELP = {"similar": "Members with close tastes (cosine of histories)",
             "divergent": "Members with the most different tastes"}

st.set_page_config(page_title="Group builder — Pozytywka", page_icon=":material/groups:", layout="wide")
st.title("Group builder")
prepared = ui.require_prepared(PAGE)
directory = ui.cached(gb.user_directory_of, prepared)
labels_all = ui.cached(gb.user_labels_of, prepared)
history = ui.cached(gb.history_matrix, prepared)

# -- models ----------------------------------------------------------------------------------------------
saved = ui.model_table(str(prepared.fingerprint))
names = saved[saved["error"].isna()]["name"].tolist() if len(saved) else []
missing = [name for name in DEFAULT_MODELS if name not in names]
if missing:
    st.warning(f"No {' or '.join(f'`{m}.pt`' for m in missing)} in `{ui.model_root()}`: the side-by-side "
               "view compares the basic model with WMF.", icon=":material/warning:")
    if st.button(f"Train the default {' and '.join(missing)} model(s)", key=ui.key(PAGE, "bootstrap"),
                 icon=":material/model_training:"):
        with ui.show_error("Could not train the default models"):
            ui.train_defaults(prepared, missing)
            st.rerun()


# -- build the group -------------------------------------------------------------------------------------
def _suggest(kind: str) -> None:
    seed_key = ui.key(PAGE, "seed")
    st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
    with ui.show_error(f"Could not draw a {kind} group"):
        st.session_state[MEMBERS] = gb.suggest_group(
            history, kind, size=st.session_state[ui.key(PAGE, "size")], seed=st.session_state[seed_key])


def _add(chosen: list) -> None:
    st.session_state[MEMBERS] = gb.add_members(st.session_state.get(MEMBERS, []), chosen)


st.subheader("Members")
search_col, pick_col = st.columns([2, 3], gap="large")
with search_col:
    query_col, field_col = st.columns([3, 2])
    query = query_col.text_input("Search users", placeholder="id, name, city or genre",
                                 key=ui.key(PAGE, "query"))
    field = field_col.selectbox("in", gb.SEARCH_FIELDS, key=ui.key(PAGE, "field"))
    with ui.show_error("Search failed"):
        hits = gb.search_users(directory, query, field=field, limit=200)
        picked = st.dataframe(hits, hide_index=True, height=220, on_select="rerun",
                              selection_mode="multi-row", key=ui.key(PAGE, "hits"))
        chosen = hits.iloc[picked.selection.rows]["user_id"].tolist()
        st.button(f"Add {len(chosen)} selected", disabled=not chosen, key=ui.key(PAGE, "add"),
                  icon=":material/person_add:", on_click=_add, args=(chosen,))

with pick_col:
    st.multiselect("Group members (type to search, x to remove)", list(labels_all),
                   format_func=labels_all.get, key=MEMBERS, placeholder="Add members...")
    size_col, *kind_cols = st.columns([3] + [2] * len(gb.GROUP_KINDS), vertical_alignment="bottom")
    size_col.number_input("Suggested group size", min_value=2, max_value=10, value=3,
                          key=ui.key(PAGE, "size"))
    for kind_col, kind in zip(kind_cols, gb.GROUP_KINDS, strict=True):
        kind_col.button(kind.capitalize(), on_click=_suggest, args=(kind,), key=ui.key(PAGE, kind),
                        width="stretch", help=KIND_HELP.get(kind))

members = list(st.session_state.get(MEMBERS, []))
if not members:
    st.info("Add members above, or draw a random, similar or divergent group.", icon=":material/group_add:")
    st.stop()

frame = ui.cached(gb.history_frame, prepared)
cards = st.columns(min(len(members), 4))
for i, uid in enumerate(members):
    with ui.show_error(f"No card for {uid}"):
        card = gb.member_card(uid, prepared.users, frame, prepared.tracks)
        ui.member_card_view(card, cards[i % len(cards)])

# -- two models side by side -------------------------------------------------------------------------------
st.subheader("Recommendations side by side")
if not names:
    st.stop()
a_col, b_col, strategy_col, n_col, discovery_col = st.columns([2, 2, 2, 1, 2], vertical_alignment="bottom")
left, right = gb.default_pair(names, DEFAULT_MODELS)
model_a = a_col.selectbox("Left model", names, index=left, key=ui.key(PAGE, "model_a"))
model_b = b_col.selectbox("Right model", names, index=right, key=ui.key(PAGE, "model_b"))
strategy = strategy_col.selectbox("Aggregation strategy", STRATEGIES, key=ui.key(PAGE, "strategy"),
                                  format_func=lambda s: s.replace("_", " "))
n = n_col.number_input("Tracks", min_value=1, max_value=50, value=10, key=ui.key(PAGE, "n"))
discovery = discovery_col.toggle("New tracks only", key=ui.key(PAGE, "discovery"),
                                 help="Leave out tracks any member already heard")

with ui.show_error("Could not recommend"):
    chosen_models = {model_a: ui.load_model(model_a), model_b: ui.load_model(model_b)}
    comparison = gb.compare_models(chosen_models, members, prepared.tracks, n=int(n), strategy=strategy,
                                   history=history, exclude_seen=discovery,
                                   labels=gb.member_labels(directory, members))
    st.caption(f"**{len(comparison.overlap)} of {int(n)}** tracks are on both lists (highlighted).")
    columns = st.columns(len(comparison.lists), gap="large")
    for col, group_list in zip(columns, comparison.lists, strict=True):
        with col:
            st.markdown(f"#### {group_list.model}")
            st.dataframe(charts.overlap_styler(gb.display_table(group_list.table)), hide_index=True,
                         column_config=ui.playlist_columns(), key=ui.key(PAGE, f"list.{group_list.model}"))
            st.caption(gb.status_text(group_list.members))
            st.plotly_chart(charts.affinity_heatmap(group_list.affinity,
                                                    f"{group_list.model}: who each pick serves"),
                            key=ui.key(PAGE, f"heatmap.{group_list.model}"))
            csv_col, json_col = st.columns(2)
            csv_col.download_button("Playlist CSV", gb.playlist_csv(group_list.table),
                                    file_name=f"playlist-{group_list.model}-{strategy}.csv", mime="text/csv",
                                    key=ui.key(PAGE, f"csv.{group_list.model}"), icon=":material/download:")
            playlist = gb.playlist_json(group_list.table, model=group_list.model, strategy=strategy)
            json_col.download_button("Playlist JSON", playlist,
                                     file_name=f"playlist-{group_list.model}-{strategy}.json",
                                     mime="application/json", key=ui.key(PAGE, f"json.{group_list.model}"),
                                     icon=":material/download:")
