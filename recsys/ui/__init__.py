"""The dashboard's Streamlit adapter: the only package of ``recsys`` that imports ``streamlit``.

Pages stay thin by calling these helpers, one module per concern:

* :mod:`.state`: page-private session keys (:func:`key`), the dataset in use (:func:`current_dataset`,
  :func:`set_dataset`: the URL's ``?dataset=``), per-user metrics shared between pages;
* :mod:`.sidebar`: what ``app.py`` draws on every page (:func:`sidebar`): the dataset picker bound to the
  URL, and the preparations and trainings running in the background;
* :mod:`.cache`: cached loading of prepared data, models and the model table, and :func:`cached` for any
  computation on prepared data (keyed by the data's folder and fingerprint);
* :mod:`.columns`: plain column labels for evaluation tables (:func:`labelled_columns`);
* :mod:`.feedback`: :func:`show_error` (a :class:`~recsys.errors.RecsysError` becomes ``st.error``) and
  :class:`StreamlitProgress`;
* :mod:`.live`: :class:`LiveChart` and the training :func:`job_monitor`;
* :mod:`.datasets`: prepare (in the background), generate the demo, upload, switch datasets;
  :func:`require_prepared`;
* :mod:`.models`: the models of the data on screen (:func:`models_section`): the others with the data
  they were trained on, "train these settings on this data", the default models trained in the background;
* :mod:`.group_members`: the Group builder's members: suggested, grown, added by id, kept in the URL;
* :mod:`.signal`: the Data page's verdict as a banner where model results are shown (:func:`signal_banner`);
* :mod:`.data_page`, :mod:`.train_page`, :mod:`.evaluate_page`, :mod:`.group`: composite sections of one
  page each;
* :mod:`.nav`: the pages and :func:`navigation`.

Where data and models live is :mod:`recsys.app.workspace`'s business (``RECSYS_DATA_ROOT`` /
``RECSYS_MODEL_ROOT`` override the folders, so tests never touch the real ``data_files/``); its names are
re-exported here for the pages, as are the plain text helpers of :mod:`recsys.app.formatting`. Every
name below is importable as ``ui.<name>`` after ``from recsys import ui``.
"""

from recsys.app.formatting import (
    date_range_text,
    days_text,
    escape_markdown,
    file_slug,
    interval_text,
    metric_label,
    number_text,
    p_value_text,
)
from recsys.app.model_fit import preferred_models, preferred_pair
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
from recsys.ui.columns import labelled_columns, per_user_columns
from recsys.ui.data_page import (
    cleaning_report,
    overlap_vs_ndcg_section,
    sanity_banner,
    sanity_section,
    signal_check_card,
)
from recsys.ui.datasets import (
    dataset_info,
    ensure_demo,
    list_datasets,
    preparation_of,
    preparation_view,
    prepare_dataset,
    require_prepared,
    save_upload,
    show_flash,
    use_dataset,
)
from recsys.ui.evaluate_page import (
    evaluation_sample,
    group_study_section,
    per_user_chart_view,
    sample_note,
    user_detail_view,
)
from recsys.ui.feedback import StreamlitProgress, show_error
from recsys.ui.group import (
    explanation_view,
    member_card_view,
    member_cards_view,
    playlist_columns,
    strategy_comparison_view,
    weight_sliders,
)
from recsys.ui.group_members import (
    add_chosen,
    add_exact_user,
    group_message,
    members_from_url,
    members_to_url,
    suggest_members,
)
from recsys.ui.live import LiveChart, job_monitor
from recsys.ui.models import (
    data_models,
    missing_models_offer,
    models_section,
    other_data_models,
    retrain,
    train_defaults,
    trainings_view,
)
from recsys.ui.nav import (
    DATA_PAGE,
    EVALUATE_PAGE,
    GROUP_PAGE,
    HOME_PAGE,
    TRAIN_PAGE,
    navigation,
)
from recsys.ui.sidebar import dataset_picker, require_entry_point, sidebar
from recsys.ui.signal import signal_banner
from recsys.ui.state import (
    current_dataset,
    dataset_name,
    key,
    per_user_metrics,
    set_dataset,
    store_per_user_metrics,
)
from recsys.ui.train_page import (
    model_table_columns,
    running_job,
    settings_inputs,
    start_training,
    val_users_input,
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
    "add_chosen",
    "add_exact_user",
    "cached",
    "cached_diagnosis",
    "cached_overview",
    "cleaning_report",
    "clear_caches",
    "current_dataset",
    "data_models",
    "data_root",
    "dataset_info",
    "dataset_name",
    "dataset_picker",
    "date_range_text",
    "days_text",
    "ensure_demo",
    "escape_markdown",
    "evaluation_sample",
    "explanation_view",
    "file_slug",
    "file_version",
    "group_message",
    "group_study_section",
    "interval_text",
    "job_monitor",
    "key",
    "labelled_columns",
    "list_datasets",
    "load_model",
    "load_prepared",
    "member_card_view",
    "member_cards_view",
    "members_from_url",
    "members_to_url",
    "metric_label",
    "missing_models_offer",
    "model_root",
    "model_table",
    "model_table_columns",
    "models_section",
    "navigation",
    "number_text",
    "other_data_models",
    "overlap_vs_ndcg_section",
    "p_value_text",
    "per_user_chart_view",
    "sample_note",
    "per_user_columns",
    "per_user_metrics",
    "playlist_columns",
    "preferred_models",
    "preferred_pair",
    "preparation_of",
    "preparation_view",
    "prepare_dataset",
    "prepared_folder",
    "require_entry_point",
    "require_prepared",
    "retrain",
    "running_job",
    "sanity_banner",
    "sanity_section",
    "save_upload",
    "set_dataset",
    "settings_inputs",
    "show_error",
    "show_flash",
    "sidebar",
    "signal_banner",
    "signal_check_card",
    "signal_verdict",
    "start_training",
    "val_users_input",
    "store_per_user_metrics",
    "strategy_comparison_view",
    "suggest_members",
    "train_defaults",
    "trainings_view",
    "use_dataset",
    "user_detail_view",
    "weight_sliders",
]
