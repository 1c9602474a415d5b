"""Home: the dataset in use, the saved models, and a quick start (demo data, another folder, upload)."""

import streamlit as st

from recsys import ui
from recsys.app.datasets import DEFAULT_MAX_BYTES, DEFAULT_MAX_TOTAL_BYTES
from recsys.app.workspace import OPTIONAL_FILES, REQUIRED_FILES

PAGE = "home"

ui.require_entry_point()  # a link straight to this page still gets the sidebar and ?dataset=
st.set_page_config(page_title="Pozytywka — group recommendations", page_icon=":material/queue_music:",
                   layout="wide")
st.title("Pozytywka group recommendations")
st.caption("Explore listening data, train models, compare them per user, and build groups of listeners.")

# -- dataset in use ----------------------------------------------------------------------------
ui.show_flash()
info = ui.dataset_info()
preparing = ui.preparation_of(info.name)
st.subheader("Dataset in use")
with st.container(border=True):
    name_col, status_col, size_col = st.columns(3)
    name_col.metric("Dataset", info.name, help="Switch datasets in the sidebar: the choice is part of the "
                                               "page's address, so a reload or a shared link keeps it.")
    running = preparing is not None and not preparing.finished
    status_col.metric("Status", "preparing" if running else info.status)
    size_col.metric("Raw files", f"{info.size_bytes / 2**20:,.1f} MiB")
    st.caption(f"Folder: `{info.path}` · prepared tables: `{info.prepared_path}` · data fingerprint "
               f"`{(info.fingerprint or '—')[:12]}`")
    if preparing is not None:
        ui.preparation_view(preparing)
    if running:
        st.caption("You can open other pages meanwhile: the sidebar shows the progress everywhere.")
    elif info.missing:
        st.warning(f"Missing files: {', '.join(info.missing)}. Generate the demo data or pick another "
                   "dataset below.", icon=":material/warning:")
    elif not info.prepared:
        if st.button("Prepare this dataset", key=ui.key(PAGE, "prepare"), type="primary",
                     help="Runs in the background: you can open other pages meanwhile."):
            with ui.show_error("Could not prepare the data"):
                ui.prepare_dataset()
                st.rerun()
    else:
        with ui.show_error("Could not load the prepared data"):
            summary = ui.cached_overview(ui.load_prepared()).summary
            cols = st.columns(5)
            cols[0].metric("Users", f"{summary.users:,}")
            cols[1].metric("Tracks", f"{summary.tracks:,}")
            cols[2].metric("Events", f"{summary.events:,}")
            cols[3].metric("Sessions", f"{summary.sessions:,}")
            cols[4].metric("Period", ui.days_text(summary.start, summary.end),
                           help=ui.date_range_text(summary.start, summary.end))
            st.page_link(ui.DATA_PAGE, label="Explore the data", icon=":material/bar_chart:")

# -- models ------------------------------------------------------------------------------------
st.subheader("Saved models")
with ui.show_error("Could not list the models"):
    models = ui.model_table(info.fingerprint, fitting_only=True)
    if not models.empty:
        st.caption(f"Trained on **{ui.escape_markdown(info.name)}**:")
        st.dataframe(models, hide_index=True, column_config=ui.model_table_columns(models))
    if info.prepared and not running:
        ui.models_section(PAGE, ui.load_prepared())
    elif models.empty:
        st.info(f"No models in `{ui.model_root()}` for this dataset yet: prepare it, then train the default "
                "basic and WMF models here or any model on the Train page.", icon=":material/info:")

# -- quick start -------------------------------------------------------------------------------
st.subheader("Quick start")
demo_tab, pick_tab, upload_tab = st.tabs(["Demo data", "Pick a dataset", "Upload files"])

with demo_tab:
    st.write("A generated dataset in the Pozytywka format with planted structure: 1,000 users, "
             "5,000 tracks, about 300,000 events. Generated on first use (about 20 s), then prepared.")
    if st.button("Use the demo data", key=ui.key(PAGE, "demo"), type="primary",
                 help="Generated and prepared in the background: you can open other pages meanwhile."):
        with ui.show_error("Could not set up the demo data"):
            ui.ensure_demo()
            st.rerun()

with pick_tab:
    datasets = ui.list_datasets()
    if not datasets:
        st.info(f"No dataset folders in `{ui.data_root()}`.", icon=":material/info:")
    else:
        names = [d.name for d in datasets]
        chosen = st.selectbox(
            "Dataset folder", names, key=ui.key(PAGE, "pick"),
            index=names.index(info.name) if info.name in names else 0,
            format_func=lambda n: f"{n} ({next(d.status for d in datasets if d.name == n)})",
        )
        if st.button("Use this dataset", key=ui.key(PAGE, "use"),
                     help="The same as choosing it in the sidebar; a dataset not prepared yet is prepared in "
                          "the background."):
            with ui.show_error("Could not use this dataset"):
                ui.use_dataset(chosen)
                st.rerun()

with upload_tab:
    limit = DEFAULT_MAX_BYTES
    st.write(f"Upload {', '.join(REQUIRED_FILES)} (and optionally {', '.join(OPTIONAL_FILES)}), "
             f"at most {limit // 2**20} MiB each and {DEFAULT_MAX_TOTAL_BYTES // 2**20} MiB together. "
             "They are validated and prepared before anything is saved.")
    with st.form(ui.key(PAGE, "upload_form"), clear_on_submit=False):
        files = st.file_uploader("JSON-lines files", type=["jsonl"], accept_multiple_files=True,
                                 key=ui.key(PAGE, "files"), max_upload_size=limit // 2**20)
        new_name = st.text_input("Dataset name", key=ui.key(PAGE, "new_name"), placeholder="release-2024-05")
        submitted = st.form_submit_button("Validate and save")
    if submitted:
        with ui.show_error("Upload rejected"):
            ui.save_upload(files or [], new_name, max_bytes=limit)
            # rerun at once: the card above, the sidebar and the address show the new dataset
            st.rerun()
