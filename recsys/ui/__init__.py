"""The dashboard's Streamlit adapter: the only package of ``recsys`` that imports ``streamlit``.

Pages stay thin by calling these helpers, one module per concern:

* :mod:`.state`: page-private session keys (:func:`key`), the dataset in use this session
  (:func:`current_dataset`, :func:`set_dataset`), per-user metrics shared between pages;
* :mod:`.cache`: cached loading of prepared data, models and the model table, and :func:`cached` for any
  computation on prepared data (keyed by the data's folder and fingerprint);
* :mod:`.feedback`: :func:`show_error` (a :class:`~recsys.errors.RecsysError` becomes ``st.error``) and
  :class:`StreamlitProgress`;
* :mod:`.live`: :class:`LiveChart` and the training :func:`job_monitor`;
* :mod:`.datasets`: prepare, generate the demo, upload, switch datasets; :func:`require_prepared`;
* :mod:`.data_page`, :mod:`.train_page`, :mod:`.group`: composite sections of one page each;
* :mod:`.nav`: the pages and :func:`navigation`.

Where data and models live is :mod:`recsys.app.workspace`'s business (``RECSYS_DATA_ROOT`` /
``RECSYS_MODEL_ROOT`` override the folders, so tests never touch the real ``data_files/``); its names are
re-exported here for the pages, as are the plain text helpers of :mod:`recsys.app.formatting`. Every
name below is importable as ``ui.<name>`` after ``from recsys import ui``.
"""

from recsys.app.formatting import date_range_text, days_text
from recsys.app.versions import file_version
from recsys.app.workspace import (
    DATA_ROOT_ENV,
    DEMO_NAME,
    MODEL_ROOT_ENV,
    PROJECT_ROOT,
    data_root,
    model_root,
    prepared_folder,
)
from recsys.ui.cache import (
    cached,
    cached_diagnosis,
    cached_overview,
    clear_caches,
    load_model,
    load_prepared,
    model_table,
    signal_verdict,
)
from recsys.ui.data_page import cleaning_report, overlap_vs_ndcg_section, signal_check_card
from recsys.ui.datasets import (
    dataset_info,
    ensure_demo,
    list_datasets,
    prepare_dataset,
    require_prepared,
    save_upload,
    use_dataset,
)
from recsys.ui.feedback import StreamlitProgress, show_error
from recsys.ui.group import member_card_view, playlist_columns
from recsys.ui.live import LiveChart, job_monitor
from recsys.ui.nav import DATA_PAGE, EVALUATE_PAGE, GROUP_PAGE, HOME_PAGE, TRAIN_PAGE, navigation
from recsys.ui.state import current_dataset, key, per_user_metrics, set_dataset, store_per_user_metrics
from recsys.ui.train_page import (
    model_table_columns,
    running_job,
    settings_inputs,
    start_training,
    train_defaults,
)

__all__ = [
    "DATA_PAGE",
    "DATA_ROOT_ENV",
    "DEMO_NAME",
    "EVALUATE_PAGE",
    "GROUP_PAGE",
    "HOME_PAGE",
    "MODEL_ROOT_ENV",
    "PROJECT_ROOT",
    "TRAIN_PAGE",
    "LiveChart",
    "StreamlitProgress",
    "cached",
    "cached_diagnosis",
    "cached_overview",
    "cleaning_report",
    "clear_caches",
    "current_dataset",
    "data_root",
    "dataset_info",
    "date_range_text",
    "days_text",
    "ensure_demo",
    "file_version",
    "job_monitor",
    "key",
    "list_datasets",
    "load_model",
    "load_prepared",
    "member_card_view",
    "model_root",
    "model_table",
    "model_table_columns",
    "navigation",
    "overlap_vs_ndcg_section",
    "per_user_metrics",
    "playlist_columns",
    "prepare_dataset",
    "prepared_folder",
    "require_prepared",
    "running_job",
    "save_upload",
    "set_dataset",
    "settings_inputs",
    "show_error",
    "signal_check_card",
    "signal_verdict",
    "start_training",
    "store_per_user_metrics",
    "train_defaults",
    "use_dataset",
]
