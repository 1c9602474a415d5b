"""Train: choose a model and its settings, train in the background with live curves, manage saved models."""

import streamlit as st

from recsys import ui
from recsys.app import charts, jobs
from recsys.app.model_catalog import delete_model
from recsys.app.model_fit import default_model_name
from recsys.models import MODELS, check_fingerprint

PAGE = "train"

ui.require_entry_point()  # a link straight to this page still gets the sidebar and ?dataset=
st.set_page_config(page_title="Train — Pozytywka", page_icon=":material/model_training:", layout="wide")
st.title("Train")
prepared = ui.require_prepared(PAGE)
st.caption(f"Dataset **{ui.escape_markdown(ui.dataset_name())}** · models are saved in `{ui.model_root()}`")
found = ui.data_models(prepared)

# -- jobs running in this server (any browser tab) ---------------------------------------------------
running = jobs.list_jobs(running_only=True)
if running:
    st.info("Training now: " + "; ".join(jobs.progress_text(job) for job in running), icon=":material/sync:")

setup, live = st.columns([2, 3], gap="large")

with setup:
    st.subheader("New training")
    kind = st.selectbox("Model", list(MODELS), index=list(MODELS).index("wmf") if "wmf" in MODELS else 0,
                        key=ui.key(PAGE, "kind"),
                        help="basic: the original prototype's group model (what the members played, then "
                             "popular tracks); wmf: weighted matrix factorisation (learns tastes, finds new "
                             "tracks); popularity and random: baselines.")
    settings = ui.settings_inputs(kind, PAGE)
    val_users = ui.val_users_input(PAGE) if kind == "wmf" else "all"  # only WMF validates every epoch
    name = st.text_input("Save as", value=default_model_name(kind, found), key=ui.key(PAGE, f"name.{kind}"),
                         help="The model file will be model_files/<name>.pt (an existing file is replaced). "
                              "The suggested name never replaces a model of another dataset.")
    if name.strip() in {o.entry.name for o in found.others}:
        st.warning(f"A model named {ui.escape_markdown(name.strip())} was trained on other data: training "
                   "replaces it.", icon=":material/warning:")
    busy = ui.running_job(name)
    if busy is not None:
        st.warning(f"{busy.name} is being trained (maybe from another tab): follow it on the right.",
                   icon=":material/hourglass_top:")
    if st.button("Start training", type="primary", disabled=busy is not None, key=ui.key(PAGE, "start"),
                 icon=":material/play_arrow:"):
        with ui.show_error("Could not start training"):
            job = ui.start_training(name, kind, settings, prepared, val_users=val_users)
            st.session_state[ui.key(PAGE, "watch")] = job.name

with live:
    st.subheader("Live training")
    watch = st.session_state.get(ui.key(PAGE, "watch")) or (running[0].name if running else None)
    if watch is None or jobs.get_job(watch) is None:
        st.caption("Start a training on the left: its loss curves, validation NDCG@10 and time left show "
                   "here as it runs.")
    else:
        ui.job_monitor(PAGE, watch)

# -- saved models ----------------------------------------------------------------------------------
st.subheader("Saved models")
table = ui.model_table(str(prepared.fingerprint), fitting_only=True)
if table.empty:
    st.caption(f"No saved models trained on {ui.escape_markdown(found.dataset)} yet.")
else:
    st.dataframe(table, hide_index=True, column_config=ui.model_table_columns(table),
                 key=ui.key(PAGE, "saved"))
ui.other_data_models(PAGE, prepared, found)
every = ui.model_table(str(prepared.fingerprint))
if not every.empty:
    trained_on = {o.entry.name: o.trained_on for o in found.others}
    pick_col, load_col, delete_col = st.columns([3, 1, 1], vertical_alignment="bottom")
    picked = pick_col.selectbox("Model", every["name"].tolist(), key=ui.key(PAGE, "picked"),
                                format_func=lambda n: f"{n} ({trained_on[n]})" if n in trained_on else n)
    if load_col.button("Load", key=ui.key(PAGE, "load"), icon=":material/upload_file:"):
        st.session_state[ui.key(PAGE, "loaded")] = picked
    confirm = delete_col.toggle("Confirm delete", key=ui.key(PAGE, "confirm_delete"))
    if delete_col.button("Delete", key=ui.key(PAGE, "delete"), disabled=not confirm,
                         icon=":material/delete:"):
        with ui.show_error("Could not delete"):
            delete_model(picked, ui.model_root())
            st.session_state.pop(ui.key(PAGE, "loaded"), None)
            st.rerun()

loaded = st.session_state.get(ui.key(PAGE, "loaded"))
if loaded:
    with ui.show_error(f"Could not load {loaded}"):
        model = ui.load_model(loaded)
        st.markdown(f"**{loaded}** — {model.kind}, {len(model.user_ids):,} users x "
                    f"{len(model.item_ids):,} tracks, {len(model.history)} epoch(s)")
        warning = check_fingerprint(model, str(prepared.fingerprint), source=loaded)
        if warning:
            st.warning(warning, icon=":material/warning:")
        left, right = st.columns([3, 2])
        if any("train_loss" in row or "val_loss" in row for row in model.history):
            left.plotly_chart(charts.training_curves(jobs.numbered(model.history)),
                              key=ui.key(PAGE, "loaded_curves"))
        right.json({"config": model.config_dict(), "metrics": model.metrics}, expanded=1)
