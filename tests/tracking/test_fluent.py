"""Fluent API: run lifecycle, nesting, context managers, experiments, threads, tasks, search."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pandas as pd
import pytest

import mltrail
from mltrail import config
from mltrail.entities import Dataset, Run
from mltrail.exceptions import MlflowException


def test_run_lifecycle_sets_mlflow_system_tags(tracking_uri: str) -> None:
    run = mltrail.start_run(run_name="first", tags={"k": 1})
    assert isinstance(run, mltrail.ActiveRun)
    assert isinstance(run, Run)
    assert mltrail.active_run() is run
    mltrail.log_param("lr", 0.01)
    mltrail.log_params({"a": 1, "b": "x"})
    mltrail.log_metric("loss", 0.5, step=1)
    mltrail.log_metrics({"acc": 0.9, "f1": 0.8}, step=2)
    mltrail.set_tag("t", "v")
    mltrail.set_tags({"u": 1})
    mltrail.delete_tag("u")
    mltrail.end_run()
    assert mltrail.active_run() is None
    stored = mltrail.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.end_time is not None
    assert stored.info.run_name == "first"
    assert stored.data.params == {"lr": "0.01", "a": "1", "b": "x"}
    assert stored.data.metrics == {"loss": 0.5, "acc": 0.9, "f1": 0.8}
    tags = stored.data.tags
    assert tags["k"] == "1"
    assert tags["t"] == "v"
    assert "u" not in tags
    assert tags["mlflow.runName"] == "first"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"]
    assert tags["mlflow.user"]
    assert stored.info.experiment_id == "0"
    last = mltrail.last_active_run()
    assert last is not None
    assert last.info.run_id == run.info.run_id


def test_generated_run_names_look_like_mlflows(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        pass
    name = mltrail.get_run(run.info.run_id).info.run_name
    assert name is not None
    assert len(name.split("-")) == 3
    assert name.split("-")[2].isdigit()


def test_logging_without_a_run_starts_one(tracking_uri: str) -> None:
    mltrail.log_metric("m", 1.0)
    run = mltrail.active_run()
    assert run is not None
    assert mltrail.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_context_manager_finishes_or_fails_the_run(tracking_uri: str) -> None:
    with mltrail.start_run() as ok:
        mltrail.log_metric("m", 1)
    assert mltrail.get_run(ok.info.run_id).info.status == "FINISHED"
    with pytest.raises(ValueError, match="boom"), mltrail.start_run() as bad:
        raise ValueError("boom")
    assert mltrail.get_run(bad.info.run_id).info.status == "FAILED"
    assert mltrail.active_run() is None


def test_end_run_with_status(tracking_uri: str) -> None:
    run = mltrail.start_run()
    mltrail.end_run("KILLED")
    assert mltrail.get_run(run.info.run_id).info.status == "KILLED"
    mltrail.end_run()  # no active run: nothing happens


def test_second_run_without_nested_is_refused(tracking_uri: str) -> None:
    with mltrail.start_run() as outer:
        with pytest.raises(MlflowException, match=f"Run with UUID {outer.info.run_id} is already"):
            mltrail.start_run()
        assert mltrail.active_run() is outer


def test_nested_runs_record_their_parent(tracking_uri: str) -> None:
    with mltrail.start_run() as parent:
        with mltrail.start_run(nested=True) as child:
            assert mltrail.active_run() is child
            with mltrail.start_run(nested=True) as grandchild:
                pass
        assert mltrail.active_run() is parent
    tags = mltrail.get_run(child.info.run_id).data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    assert (
        mltrail.get_run(grandchild.info.run_id).data.tags["mlflow.parentRunId"] == child.info.run_id
    )
    found = mltrail.get_parent_run(child.info.run_id)
    assert found is not None
    assert found.info.run_id == parent.info.run_id
    children = mltrail.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list"
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_parent_run_id_nests_under_a_run_that_is_not_active(tracking_uri: str) -> None:
    parent = mltrail.start_run()
    mltrail.end_run()
    with mltrail.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    assert mltrail.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == (
        parent.info.run_id
    )
    with mltrail.start_run() as active:
        with pytest.raises(MlflowException, match="does not match the specified parent_run_id"):
            mltrail.start_run(nested=True, parent_run_id=parent.info.run_id)
        assert mltrail.active_run() is active


def test_description_becomes_the_note_tag(tracking_uri: str) -> None:
    with mltrail.start_run(description="about this run") as run:
        pass
    assert mltrail.get_run(run.info.run_id).data.tags["mlflow.note.content"] == "about this run"
    with pytest.raises(MlflowException, match="Description is already set"):
        mltrail.start_run(description="x", tags={"mlflow.note.content": "y"})


def test_resume_by_run_id(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        mltrail.log_metric("m", 1, step=0)
    with mltrail.start_run(run_id=run.info.run_id, tags={"again": "yes"}) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert mltrail.get_run(run.info.run_id).info.status == "RUNNING"
        mltrail.log_metric("m", 2, step=1)
    stored = mltrail.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.tags["again"] == "yes"
    assert len(mltrail.MlflowClient().get_metric_history(run.info.run_id, "m")) == 2


def test_resuming_a_deleted_run_is_refused(tracking_uri: str) -> None:
    with mltrail.start_run() as run:
        pass
    mltrail.delete_run(run.info.run_id)
    with pytest.raises(MlflowException, match="deleted state"):
        mltrail.start_run(run_id=run.info.run_id)


def test_set_experiment_by_name_creates_and_by_id_selects(tracking_uri: str) -> None:
    created = mltrail.set_experiment("exp-a")
    assert created.name == "exp-a"
    with mltrail.start_run() as run:
        pass
    assert run.info.experiment_id == created.experiment_id
    assert mltrail.set_experiment("exp-a").experiment_id == created.experiment_id
    mltrail.set_experiment(experiment_id="0")
    with mltrail.start_run() as run0:
        pass
    assert run0.info.experiment_id == "0"
    with mltrail.start_run(experiment_id=created.experiment_id) as explicit:
        pass
    assert explicit.info.experiment_id == created.experiment_id


def test_set_experiment_refuses_bad_arguments(tracking_uri: str) -> None:
    with pytest.raises(MlflowException, match="exactly one of"):
        mltrail.set_experiment()
    with pytest.raises(MlflowException, match="exactly one of"):
        mltrail.set_experiment("a", "1")
    with pytest.raises(MlflowException, match="Experiment with ID '999' does not exist"):
        mltrail.set_experiment(experiment_id="999")
    experiment_id = mltrail.create_experiment("gone")
    mltrail.delete_experiment(experiment_id)
    with pytest.raises(MlflowException, match="Cannot set a deleted experiment 'gone'"):
        mltrail.set_experiment("gone")


def test_experiment_from_settings(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    config.reload_settings()
    with mltrail.start_run() as run:
        pass
    experiment = mltrail.get_experiment_by_name("from-env")
    assert experiment is not None
    assert run.info.experiment_id == experiment.experiment_id


def test_experiment_functions(tracking_uri: str) -> None:
    experiment_id = mltrail.create_experiment("e1", tags={"a": 1})
    mltrail.set_experiment(experiment_id=experiment_id)
    mltrail.set_experiment_tag("b", 2)
    mltrail.set_experiment_tags({"c": 3})
    assert mltrail.get_experiment(experiment_id).tags == {"a": "1", "b": "2", "c": "3"}
    names = [e.name for e in mltrail.search_experiments(order_by=["name ASC"])]
    assert names == ["Default", "e1"]
    assert len(mltrail.search_experiments(max_results=1)) == 1


def test_threads_have_separate_run_stacks(tracking_uri: str) -> None:
    seen: dict[str, object] = {}

    def worker() -> None:
        seen["inherited"] = mltrail.active_run()
        with mltrail.start_run() as run:
            mltrail.log_metric("m", 1)
            seen["own"] = run.info.run_id

    with mltrail.start_run() as main_run:
        thread = threading.Thread(target=worker, name="test-worker")
        thread.start()
        thread.join()
        assert mltrail.active_run() is main_run
    assert seen["inherited"] is None
    assert seen["own"] != main_run.info.run_id
    assert mltrail.get_run(str(seen["own"])).data.metrics == {"m": 1.0}


def test_asyncio_tasks_work_on_a_copy_of_the_context(tracking_uri: str) -> None:
    async def child_task(parent_id: str) -> str:
        current = mltrail.active_run()
        assert current is not None
        assert current.info.run_id == parent_id
        with mltrail.start_run(nested=True) as nested:
            await asyncio.sleep(0)
            return nested.info.run_id

    async def main() -> tuple[str, str]:
        with mltrail.start_run() as parent:
            nested_ids = await asyncio.gather(
                child_task(parent.info.run_id), child_task(parent.info.run_id)
            )
            current = mltrail.active_run()
            assert current is not None
            assert current.info.run_id == parent.info.run_id
        return parent.info.run_id, nested_ids[0]

    parent_id, nested_id = asyncio.run(main())
    assert mltrail.get_run(nested_id).data.tags["mlflow.parentRunId"] == parent_id


def test_child_process_joins_the_run_through_the_environment(tracking_uri: str) -> None:
    run = mltrail.start_run()
    script = "import mltrail\nmltrail.log_metric('from_child', 7)\nmltrail.end_run()\n"
    env = config.environ_for_child(run_id=run.info.run_id, tracking_uri=tracking_uri)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    assert mltrail.get_run(run.info.run_id).data.metrics == {"from_child": 7.0}


def test_run_id_setting_resumes_that_run_once(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mltrail.start_run() as original:
        pass
    monkeypatch.setenv("MLTRAIL_RUN_ID", original.info.run_id)
    config.reload_settings()
    with mltrail.start_run() as resumed:
        assert resumed.info.run_id == original.info.run_id
    with mltrail.start_run() as fresh:
        assert fresh.info.run_id != original.info.run_id


def test_search_runs_returns_a_dataframe_or_a_list(tracking_uri: str) -> None:
    with mltrail.start_run(run_name="a") as run_a:
        mltrail.log_metric("acc", 0.9)
        mltrail.log_param("lr", "0.1")
    with mltrail.start_run(run_name="b") as run_b:
        mltrail.log_metric("loss", 0.2)
    frame = mltrail.search_runs(order_by=["attributes.start_time ASC"])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.acc", "metrics.loss", "params.lr", "tags.mlflow.runName"} <= set(frame.columns)
    assert set(frame["run_id"]) == {run_a.info.run_id, run_b.info.run_id}
    by_id = frame.set_index("run_id")
    assert by_id.loc[run_a.info.run_id, "metrics.acc"] == 0.9
    assert pd.isna(by_id.loc[run_b.info.run_id, "metrics.acc"])
    assert by_id.loc[run_b.info.run_id, "params.lr"] is None
    assert str(frame["start_time"].dt.tz) == "UTC"
    runs = mltrail.search_runs(output_format="list", max_results=1)
    assert len(runs) == 1
    assert isinstance(runs[0], Run)
    with pytest.raises(MlflowException, match="Unsupported output format"):
        mltrail.search_runs(output_format="csv")  # type: ignore[arg-type]


def test_search_runs_by_experiment_names_and_all(tracking_uri: str) -> None:
    mltrail.set_experiment("named")
    with mltrail.start_run():
        pass
    mltrail.set_experiment(experiment_id="0")
    with mltrail.start_run():
        pass
    assert len(mltrail.search_runs(experiment_names=["named", "missing"])) == 1
    assert len(mltrail.search_runs(search_all_experiments=True, output_format="list")) == 2
    empty = mltrail.search_runs(experiment_ids=["0"], filter_string="metrics.x > 1")
    assert isinstance(empty, pd.DataFrame)
    assert len(empty) == 0
    with pytest.raises(MlflowException, match="not both"):
        mltrail.search_runs(experiment_ids=["0"], experiment_names=["named"])


def test_search_runs_without_pandas_returns_a_list(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mltrail.start_run():
        pass
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.delitem(sys.modules, "mltrail.tracking._frames", raising=False)
    runs = mltrail.search_runs()
    assert isinstance(runs, list)
    assert len(runs) == 1


def test_log_input_records_datasets(tracking_uri: str) -> None:
    data = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mltrail.data.from_pandas(data, name="train", targets="y")
    entity = Dataset("raw", "abc123", "local", '{"uri": "/tmp/raw"}')
    with mltrail.start_run() as run:
        mltrail.log_input(dataset, context="training", tags={"split": "a"})
        mltrail.log_inputs([entity], contexts=["eval"])
    inputs = mltrail.get_run(run.info.run_id).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert set(by_name) == {"train", "raw"}
    train_tags = {t.key: t.value for t in by_name["train"].tags}
    assert train_tags == {"split": "a", "mlflow.data.context": "training"}
    assert {t.key: t.value for t in by_name["raw"].tags} == {"mlflow.data.context": "eval"}
