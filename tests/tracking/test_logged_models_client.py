"""LoggedModels through the public API: MlflowClient and the fluent functions, embedded and
against a live server, the REST routes they use, git tags, and MLflow's own client."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import mltrail
from mltrail.config import Settings
from mltrail.data import Dataset, DatasetSource
from mltrail.entities import LoggedModel, LoggedModelStatus, Metric
from mltrail.exceptions import InvalidParameterValue, MlflowException, ResourceDoesNotExist
from mltrail.tracking import context, git
from mltrail.tracking.rest import RestBackend

GIT_TAGS = (
    "mlflow.source.git.commit",
    "mlflow.source.git.branch",
    "mlflow.source.git.repoURL",
    "mlflow.source.git.dirty",
)


@pytest.fixture(params=["embedded", "server"])
def tracking_uri(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    module_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    if request.param == "server":
        return module_server_url
    monkeypatch.chdir(tmp_path)  # the embedded default artifact root is ./mltrail-artifacts
    return f"sqlite:///{tmp_path / 'mltrail.db'}"


@pytest.fixture(autouse=True)
def _no_active_or_last_model() -> Iterator[None]:
    """Each test starts and ends with no active model and no last logged model."""
    context.set_active_model_id(None)
    context.set_last_logged_model_id(None)
    yield
    context.set_active_model_id(None)
    context.set_last_logged_model_id(None)


@pytest.fixture
def fluent(tracking_uri: str) -> str:
    """The tracking URI set for the fluent API, and a fresh active experiment on it."""
    mltrail.set_tracking_uri(tracking_uri)
    mltrail.set_experiment(f"lm-{uuid.uuid4().hex[:10]}")
    return tracking_uri


CLIENT_METHODS = [
    "create_logged_model",
    "get_logged_model",
    "finalize_logged_model",
    "delete_logged_model",
    "set_logged_model_tags",
    "delete_logged_model_tag",
    "log_model_params",
    "search_logged_models",
]
FLUENT_FUNCTIONS = [
    "initialize_logged_model",
    "create_external_model",
    "finalize_logged_model",
    "get_logged_model",
    "set_logged_model_tags",
    "delete_logged_model_tag",
    "log_model_params",
    "search_logged_models",
    "last_logged_model",
    "set_active_model",
    "get_active_model_id",
    "clear_active_model",
    "log_metric",
    "log_metrics",
]


def _signature(func: Any) -> list[tuple[str, Any, Any]]:
    params = inspect.signature(func).parameters.values()
    return [(p.name, p.default, p.kind) for p in params]


@pytest.mark.parametrize("name", CLIENT_METHODS)
def test_client_methods_match_mlflow(name: str) -> None:
    mlflow = pytest.importorskip("mlflow")
    assert _signature(getattr(mltrail.MlflowClient, name)) == _signature(
        getattr(mlflow.MlflowClient, name)
    )


@pytest.mark.parametrize("name", FLUENT_FUNCTIONS)
def test_fluent_functions_match_mlflow(name: str) -> None:
    mlflow = pytest.importorskip("mlflow")
    assert _signature(getattr(mltrail, name)) == _signature(getattr(mlflow, name))


def _experiment(client: mltrail.MlflowClient) -> str:
    return client.create_experiment(f"lm-{uuid.uuid4().hex[:10]}")


# ---------------------------------------------------------------------------- client
def test_client_lifecycle(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    exp = _experiment(client)
    run_id = client.create_run(exp).info.run_id
    model = client.create_logged_model(
        exp,
        name="clf",
        source_run_id=run_id,
        tags={"team": "ml", "n": 3},
        params={"lr": 0.1},
        model_type="classifier",
    )
    assert isinstance(model, LoggedModel)
    assert (model.experiment_id, model.name, model.source_run_id) == (exp, "clf", run_id)
    assert model.status == LoggedModelStatus.PENDING
    assert model.model_type == "classifier"
    assert model.tags["team"] == "ml"
    assert model.tags["n"] == "3"
    assert model.params == {"lr": "0.1"}
    assert client.get_logged_model(model.model_id) == model

    client.set_logged_model_tags(model.model_id, {"team": "core", "stage": "dev"})
    client.delete_logged_model_tag(model.model_id, "n")
    client.log_model_params(model.model_id, {"depth": 3})
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        client.log_model_params(model.model_id, {"lr": 0.2})
    got = client.get_logged_model(model.model_id)
    assert got.tags["team"] == "core"
    assert got.tags["stage"] == "dev"
    assert "n" not in got.tags
    assert got.params == {"lr": "0.1", "depth": "3"}

    assert client.finalize_logged_model(model.model_id, "READY").status == "READY"
    failed = client.finalize_logged_model(model.model_id, LoggedModelStatus.FAILED)
    assert failed.status == LoggedModelStatus.FAILED
    again = client.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert again.status == LoggedModelStatus.READY
    with pytest.raises(InvalidParameterValue, match="Invalid LoggedModel status"):
        client.finalize_logged_model(model.model_id, "DONE")

    client.delete_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist, match=model.model_id):
        client.get_logged_model(model.model_id)


def test_tag_keys_are_quoted_into_the_path(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    model = client.create_logged_model(_experiment(client), name="q")
    keys = ["with space", "colon:key", "dots.and-dashes", "ünï"]
    client.set_logged_model_tags(model.model_id, dict.fromkeys(keys, "v"))
    for key in keys:
        client.delete_logged_model_tag(model.model_id, key)
    assert not set(keys) & set(client.get_logged_model(model.model_id).tags)
    with pytest.raises(ResourceDoesNotExist, match="No tag with key 'gone'"):
        client.delete_logged_model_tag(model.model_id, "gone")
    with pytest.raises(ResourceDoesNotExist):
        client.get_logged_model("m-0000")


def test_client_metrics_carry_model_and_dataset(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    exp = _experiment(client)
    run_id = client.create_run(exp).info.run_id
    model_id = client.create_logged_model(exp, name="m", source_run_id=run_id).model_id
    client.log_metric(
        run_id, "acc", 0.5, step=0, model_id=model_id, dataset_name="val", dataset_digest="d1g3st"
    )
    client.log_metric(
        run_id, "acc", 0.7, step=1, model_id=model_id, dataset_name="test", dataset_digest="t"
    )
    client.log_batch(
        run_id, metrics=[Metric("loss", 0.25, 1000, 2, model_id=model_id), Metric("x", 1, 1000)]
    )
    points = client.get_logged_model(model_id).metrics
    assert [(p.key, p.step, p.dataset_name, p.dataset_digest) for p in points] == [
        ("acc", 0, "val", "d1g3st"),
        ("acc", 1, "test", "t"),
        ("loss", 2, None, None),
    ]
    assert {p.run_id for p in points} == {run_id}
    assert {p.model_id for p in points} == {model_id}
    with pytest.raises(ResourceDoesNotExist, match="m-missing"):
        client.log_metric(run_id, "acc", 0.1, model_id="m-missing", synchronous=True)
    with pytest.raises(ResourceDoesNotExist):
        client.log_batch(run_id, metrics=[Metric("z", 1.0, 1000, model_id="m-missing")])
    assert "z" not in client.get_run(run_id).data.metrics


def test_client_search(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    exp = _experiment(client)
    run_id = client.create_run(exp).info.run_id
    ids = {}
    for name, acc, x in [("alpha", 0.95, "y"), ("apple", 0.85, "z"), ("beta", 0.99, "y")]:
        model = client.create_logged_model(exp, name=name, params={"x": x})
        ids[name] = model.model_id
        client.log_metric(
            run_id, "accuracy", acc, model_id=model.model_id, dataset_name="val", dataset_digest="v"
        )
    client.create_logged_model(exp, name="gamma", tags={"t": "v"})
    client.finalize_logged_model(ids["beta"], "READY")

    def names(**kw: object) -> list[str]:
        return [m.name for m in client.search_logged_models([exp], **kw)]  # type: ignore[arg-type]

    assert set(names(filter_string="metrics.accuracy > 0.9")) == {"alpha", "beta"}
    assert names(filter_string="params.x = 'z'") == ["apple"]
    assert names(filter_string="tags.t = 'v'") == ["gamma"]
    assert set(names(filter_string="name LIKE 'a%'")) == {"alpha", "apple"}
    assert names(filter_string="status = 'READY'") == ["beta"]
    assert set(names(datasets=[{"dataset_name": "val", "dataset_digest": "v"}])) == {
        "alpha",
        "apple",
        "beta",
    }
    assert names(datasets=[{"dataset_name": "train"}]) == []
    best = [{"field_name": "metrics.accuracy", "ascending": False}]
    assert names(order_by=best) == ["beta", "alpha", "apple", "gamma"]
    by_name = [{"field_name": "name", "ascending": True}]
    first = client.search_logged_models(exp, max_results=3, order_by=by_name)  # type: ignore[arg-type]
    assert [m.name for m in first] == ["alpha", "apple", "beta"]
    assert first.token
    rest = client.search_logged_models(
        [exp], max_results=3, order_by=by_name, page_token=first.token
    )
    assert [m.name for m in rest] == ["gamma"]
    assert rest.token is None
    with pytest.raises(InvalidParameterValue, match="unknown LoggedModel attribute 'colour'"):
        client.search_logged_models([exp], filter_string="colour = 'red'")


# ---------------------------------------------------------------------------- fluent
def test_initialize_uses_the_active_run_and_experiment(fluent: str) -> None:
    with mltrail.start_run() as run:
        model = mltrail.initialize_logged_model(name="trained", params={"lr": 0.1})
    assert model.source_run_id == run.info.run_id
    assert model.experiment_id == run.info.experiment_id
    assert model.status == LoggedModelStatus.PENDING
    assert model.tags["mlflow.user"]
    assert model.tags["mlflow.source.type"] == "LOCAL"
    assert mltrail.last_logged_model() == model

    other = mltrail.create_experiment(f"other-{uuid.uuid4().hex[:8]}")
    detached = mltrail.initialize_logged_model(experiment_id=other, tags={"mlflow.user": "me"})
    assert detached.experiment_id == other
    assert detached.source_run_id is None
    assert detached.tags["mlflow.user"] == "me"
    assert detached.name  # generated
    ready = mltrail.finalize_logged_model(detached.model_id, "READY")
    assert mltrail.last_logged_model() == ready

    mltrail.set_logged_model_tags(model.model_id, {"k": "v"})
    mltrail.log_model_params({"depth": 3}, model_id=model.model_id)
    got = mltrail.get_logged_model(model.model_id)
    assert got.tags["k"] == "v"
    assert got.params == {"lr": "0.1", "depth": "3"}
    mltrail.delete_logged_model_tag(model.model_id, "k")
    mltrail.delete_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist):
        mltrail.get_logged_model(model.model_id)
    with pytest.raises(InvalidParameterValue, match="needs a model_id"):
        mltrail.log_model_params({"a": 1})


def test_create_external_model_is_ready_and_tagged(fluent: str) -> None:
    model = mltrail.create_external_model(name="agent", model_type="agent", tags={"v": "1"})
    assert model.status == LoggedModelStatus.READY
    assert model.tags["mlflow.model.isExternal"] == "true"
    assert model.tags["v"] == "1"
    assert model.model_type == "agent"
    assert model.source_run_id is None
    assert mltrail.last_logged_model() == model


def test_set_active_model_attaches_metrics(fluent: str) -> None:
    assert mltrail.get_active_model_id() is None
    with mltrail.start_run() as run:
        active = mltrail.set_active_model(name="agent-v1")  # created: none by that name yet
        assert isinstance(active, mltrail.ActiveModel)
        assert mltrail.get_active_model_id() == active.model_id
        assert active.tags["mlflow.model.isExternal"] == "true"
        mltrail.log_metric("acc", 0.9, step=1)
        mltrail.log_metrics({"f1": 0.8, "p": 0.7}, step=1)
        mltrail.log_metric("explicit", 1.0, model_id=None)
        mltrail.log_model_params({"temperature": 0.2})
        # The same name again finds the same model instead of creating one.
        with mltrail.set_active_model(name="agent-v1") as same:
            assert same.model_id == active.model_id
        mltrail.clear_active_model()
        mltrail.log_metric("unattached", 1.0)
    model = mltrail.get_logged_model(active.model_id)
    assert {m.key for m in model.metrics} == {"acc", "f1", "p", "explicit"}
    assert {m.run_id for m in model.metrics} == {run.info.run_id}
    assert model.params == {"temperature": "0.2"}
    # The model is recorded as an input of the run, once.
    inputs = mltrail.get_run(run.info.run_id).inputs.model_inputs
    assert [i.model_id for i in inputs] == [active.model_id]
    assert mltrail.get_active_model_id() is None


def test_active_model_context_manager_restores_and_threads_are_isolated(fluent: str) -> None:
    outer = mltrail.create_external_model(name="outer")
    inner = mltrail.create_external_model(name="inner")
    mltrail.set_active_model(model_id=outer.model_id)
    with mltrail.set_active_model(model_id=inner.model_id) as active:
        assert active.model_id == inner.model_id == mltrail.get_active_model_id()
        seen: list[str | None] = []
        thread = threading.Thread(target=lambda: seen.append(mltrail.get_active_model_id()))
        thread.start()
        thread.join()
        assert seen == [None]
    assert mltrail.get_active_model_id() == outer.model_id
    with pytest.raises(InvalidParameterValue, match="does not match the provided name"):
        mltrail.set_active_model(name="other", model_id=outer.model_id)
    with pytest.raises(InvalidParameterValue, match="Either name or model_id"):
        mltrail.set_active_model()
    with pytest.raises(ResourceDoesNotExist):
        mltrail.set_active_model(model_id="m-nope")
    assert mltrail.get_active_model_id() == outer.model_id


def test_fluent_metrics_with_dataset_and_async(fluent: str) -> None:
    model = mltrail.initialize_logged_model(name="m")
    data = Dataset("eval", "e1", DatasetSource.from_uri(None))
    with mltrail.start_run() as run:
        mltrail.log_metric("acc", 0.5, model_id=model.model_id, dataset=data)
        mltrail.log_metrics({"acc": 0.6}, step=1, model_id=model.model_id, dataset=data)
        mltrail.log_metric("late", 2.0, model_id=model.model_id, synchronous=False)
    points = mltrail.get_logged_model(model.model_id).metrics
    assert [(p.key, p.step, p.dataset_name) for p in points] == [
        ("acc", 0, "eval"),
        ("acc", 1, "eval"),
        ("late", 0, None),
    ]
    inputs = mltrail.get_run(run.info.run_id).inputs
    assert [d.dataset.name for d in inputs.dataset_inputs] == ["eval"]
    assert [m.model_id for m in inputs.model_inputs] == [model.model_id]
    found = mltrail.search_logged_models(datasets=[{"dataset_name": "eval"}], output_format="list")
    assert [m.model_id for m in found] == [model.model_id]


def test_search_output_formats(fluent: str) -> None:
    pd = pytest.importorskip("pandas")
    for i in range(5):
        mltrail.create_external_model(name=f"m{i}", params={"i": i})
    listed = mltrail.search_logged_models(output_format="list")
    assert isinstance(listed, list)
    assert len(listed) == 5
    assert all(isinstance(m, LoggedModel) for m in listed)
    frame = mltrail.search_logged_models(
        filter_string="params.i != '0'", order_by=[{"field_name": "name", "ascending": True}]
    )
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == ["m1", "m2", "m3", "m4"]
    assert set(frame.columns) >= {"model_id", "name", "status", "tags", "params", "metrics"}
    assert set(frame["status"]) == {"READY"}
    assert frame["params"].iloc[0] == {"i": "1"}
    capped = mltrail.search_logged_models(max_results=3, output_format="list")
    assert len(capped) == 3
    exp_id = listed[0].experiment_id
    assert len(mltrail.search_logged_models([exp_id], output_format="list")) == 5
    with pytest.raises(MlflowException, match="Unsupported output format"):
        mltrail.search_logged_models(output_format="csv")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- git tags
def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with one commit on branch ``main``, and the process "running" in it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print('hi')\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "remote", "add", "origin", "https://git.example.com/team/repo.git")
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", [str(repo / "train.py")])
    return repo


def test_git_tags_are_recorded_in_a_checkout(
    tracking_uri: str, git_repo: Path, tmp_path: Path
) -> None:
    commit = _git(git_repo, "rev-parse", "HEAD")
    mltrail.set_tracking_uri(tracking_uri)
    model = mltrail.initialize_logged_model(name="from-git")
    assert {k: model.tags[k] for k in GIT_TAGS} == {
        "mlflow.source.git.commit": commit,
        "mlflow.source.git.branch": "main",
        "mlflow.source.git.repoURL": "https://git.example.com/team/repo.git",
        "mlflow.source.git.dirty": "false",
    }
    (git_repo / "train.py").write_text("print('changed')\n")
    client = mltrail.MlflowClient(tracking_uri)
    dirty = client.create_logged_model(model.experiment_id, name="dirty")
    assert dirty.tags["mlflow.source.git.dirty"] == "true"
    # Explicit tags win over the captured ones.
    mine = client.create_logged_model(model.experiment_id, tags={"mlflow.source.git.commit": "abc"})
    assert mine.tags["mlflow.source.git.commit"] == "abc"


def test_no_git_tags_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_uri: str
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setattr(sys, "argv", [""])
    assert git.source_directory() == str(plain)
    assert git.git_tags() == {}
    client = mltrail.MlflowClient(sqlite_uri)
    model = client.create_logged_model("0", name="no-git")
    assert not set(GIT_TAGS) & set(model.tags)


def test_git_tags_without_git_or_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    assert git.git_tags(str(empty)) == {}  # no commit yet
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert git.git_tags(str(empty)) == {}  # no git at all


def test_detached_head_has_no_branch(git_repo: Path) -> None:
    _git(git_repo, "checkout", "-q", "--detach")
    found = git.git_tags(str(git_repo))
    assert "mlflow.source.git.branch" not in found
    assert found["mlflow.source.git.commit"] == _git(git_repo, "rev-parse", "HEAD")


# ---------------------------------------------------------------------------- REST routes
def test_rest_backend_fills_path_parameters() -> None:
    seen: list[tuple[str, str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (
                request.method,
                request.url.raw_path.decode(),
                request.url.query.decode(),
                request.content,
            )
        )
        if request.method == "GET" or (
            request.method == "PATCH" and "tags" not in str(request.url)
        ):
            info = {
                "model_id": "m-1",
                "experiment_id": "0",
                "name": "n",
                "status": "LOGGED_MODEL_READY",
            }
            return httpx.Response(200, json={"model": {"info": info}})
        return httpx.Response(200, json={})

    backend = RestBackend("http://127.0.0.1:1", Settings(), transport=httpx.MockTransport(handler))
    assert backend.get_logged_model("m-1").status == LoggedModelStatus.READY
    backend.delete_logged_model_tag("m-1", "a/b c")
    backend.delete_logged_model("m-1")
    backend.finalize_logged_model("m-1", "FAILED")
    backend.set_logged_model_tags("m-1", {"k": "v"})
    base = "/api/2.0/mlflow/logged-models"
    assert seen == [
        ("GET", f"{base}/m-1", "", b""),
        ("DELETE", f"{base}/m-1/tags/a%2Fb%20c", "", b""),
        ("DELETE", f"{base}/m-1", "", b""),
        # POST/PATCH bodies keep model_id: MLflow's server reads it from there.
        ("PATCH", f"{base}/m-1", "", b'{"model_id":"m-1","status":"LOGGED_MODEL_UPLOAD_FAILED"}'),
        ("PATCH", f"{base}/m-1/tags", "", b'{"model_id":"m-1","tags":[{"key":"k","value":"v"}]}'),
    ]
    with pytest.raises(InvalidParameterValue, match="missing value for 'model_id'"):
        backend.get_logged_model("")


# ---------------------------------------------------------------------------- MLflow's client
def test_official_mlflow_client_logs_models_mltrail_reads_them(
    module_server_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("mlflow", reason="the compat extra (mlflow==3.17.2) is not installed")
    script = textwrap.dedent(
        f"""
        import json
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri({module_server_url!r})
        mlflow.set_experiment("mlflow-compat-models")
        with mlflow.start_run() as run:
            model = mlflow.initialize_logged_model(
                name="compat", params={{"lr": "0.1"}}, tags={{"k": "v"}}, model_type="clf"
            )
            mlflow.log_metric("acc", 0.93, step=1, model_id=model.model_id)
            mlflow.log_metrics({{"f1": 0.5}}, model_id=model.model_id)
        found = mlflow.search_logged_models(
            filter_string="metrics.acc > 0.9", output_format="list"
        )
        client = MlflowClient()
        ready = client.finalize_logged_model(model.model_id, "READY")
        client.set_logged_model_tags(model.model_id, {{"k2": "v2"}})
        client.delete_logged_model_tag(model.model_id, "k")
        print(json.dumps({{
            "model_id": model.model_id,
            "run_id": run.info.run_id,
            "found": [m.model_id for m in found],
            "status": str(ready.status),
        }}))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))} | {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["found"] == [out["model_id"]]
    assert "READY" in out["status"]

    client = mltrail.MlflowClient(module_server_url)
    model = client.get_logged_model(out["model_id"])
    assert model.name == "compat"
    assert model.model_type == "clf"
    assert model.status == LoggedModelStatus.READY
    assert model.source_run_id == out["run_id"]
    assert model.params == {"lr": "0.1"}
    assert model.tags["k2"] == "v2"
    assert "k" not in model.tags
    assert {(m.key, m.step, m.value) for m in model.metrics} == {("acc", 1, 0.93), ("f1", 0, 0.5)}
    exp = client.get_experiment_by_name("mlflow-compat-models")
    assert exp is not None
    found = client.search_logged_models([exp.experiment_id], filter_string="params.lr = '0.1'")
    assert [m.model_id for m in found] == [out["model_id"]]
    inputs = client.get_run(out["run_id"]).inputs.model_inputs
    assert [i.model_id for i in inputs] == [out["model_id"]]
