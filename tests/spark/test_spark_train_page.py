"""The Train page with the Spark engine: the same job, progress per iteration, an ordinary model file.

The page's job runs in the dashboard's process, so it uses the running ``local[2]`` session of these
tests (``spark_session()`` hands back the running session when the settings ask for nothing else).
"""

from __future__ import annotations

from pathlib import Path

from recsys.app import jobs
from recsys.models import load_model
from tests.pages.conftest import app_env, demo_root, page  # noqa: F401 (fixtures)
from tests.pages.test_train_page import models_copy  # noqa: F401 (the fixture: a private model folder)

PAGE = "pages/2_Train.py"


def test_train_page_fits_on_spark_with_progress_per_iteration(spark, models_copy: Path) -> None:  # noqa: F811
    at = page(PAGE).run()
    assert not at.exception and not at.error
    at.selectbox(key="train.wmf.engine").select("spark")
    at.selectbox(key="train.wmf.reg_scaling").select("count")
    at.number_input(key="train.wmf.reg").set_value(0.05)
    at.number_input(key="train.wmf.epochs").set_value(3)
    at.number_input(key="train.wmf.embedding_dim").set_value(8)
    at.text_input(key="train.name.wmf").input("on-spark")
    at.button(key="train.start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = jobs.get_job("on-spark")
    assert job is not None
    assert job.wait(240), "the 3-iteration Spark fit did not finish"
    assert job.status == "done", job.error
    history = job.history()
    assert [row["epoch"] for row in history] == [1, 2, 3]  # one report per Spark iteration
    model = load_model(models_copy / "on-spark.pt")
    assert model.config.engine == "spark" and model.config.reg_scaling == "count"
    assert model.config.embedding_dim == 8 and model.config.epochs == 3
    at.run()
    assert not at.exception
    assert any("saved" in s.value for s in at.success)
    saved = at.dataframe[0].value.set_index("name")
    assert saved.loc["on-spark", "kind"] == "wmf" and bool(saved.loc["on-spark", "matches_data"]) is True
