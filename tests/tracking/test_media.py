"""log_figure, log_image and log_table through MlflowClient and the fluent API, embedded and
against a server, with MLflow 3's file naming, layouts and tags."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import mltrail
from mltrail.exceptions import InvalidParameterValue

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_SERIES = re.compile(
    r"^images/(?P<key>[^+]+)\+step\+(?P<step>\d+)\+timestamp\+(?P<ts>\d+)\+"
    r"(?P<uuid>[0-9a-f-]{36})(?P<compressed>\+compressed)?\.(?P<ext>png|webp)$"
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
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'mltrail.db'}"


def _read(client: mltrail.MlflowClient, run_id: str, path: str, tmp_path: Path) -> bytes:
    return Path(client.download_artifacts(run_id, path, str(tmp_path / "dl"))).read_bytes()


def test_log_figure_matplotlib(tracking_uri: str, tmp_path: Path) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    client.log_figure(run_id, fig, "plots/line.png")
    client.log_figure(run_id, fig, "plots/line.svg", save_kwargs={"transparent": True})
    plt.close(fig)
    assert [f.path for f in client.list_artifacts(run_id, "plots")] == [
        "plots/line.png",
        "plots/line.svg",
    ]
    assert _read(client, run_id, "plots/line.png", tmp_path).startswith(b"\x89PNG")


def test_log_figure_rejects_other_objects(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(TypeError, match="Unsupported figure object type"):
        client.log_figure(run_id, object(), "x.png")


def test_log_figure_plotly(tracking_uri: str, tmp_path: Path) -> None:
    go = pytest.importorskip(
        "plotly.graph_objects", reason="plotly is not installed (optional, not in the dev extra)"
    )
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    client.log_figure(run_id, go.Figure(go.Scatter(x=[1, 2], y=[2, 1])), "fig.html")
    assert b"plotly" in _read(client, run_id, "fig.html", tmp_path)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((8, 12, 3), dtype=np.uint8),
        np.ones((8, 12), dtype=np.float32) * 0.5,
        np.zeros((8, 12, 1), dtype=bool),
        np.full((8, 12, 4), 200, dtype=np.int64),
        Image.new("RGB", (12, 8), "red"),
    ],
    ids=["uint8-rgb", "float-gray", "bool-1ch", "int-rgba", "pil"],
)
def test_log_image_artifact_file(tracking_uri: str, tmp_path: Path, image: object) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    client.log_image(run_id, image, "img/picture.png")
    with Image.open(client.download_artifacts(run_id, "img/picture.png", str(tmp_path))) as got:
        assert got.size == (12, 8)


def test_log_image_series_uses_mlflow_names_and_tag(tracking_uri: str, tmp_path: Path) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    big = np.random.default_rng(0).random((600, 300, 3))
    client.log_image(run_id, big, key="val/sample", step=3, timestamp=1700000000000)
    client.log_image(run_id, Image.new("L", (10, 10)), key="val/sample")
    files = [f.path for f in client.list_artifacts(run_id, "images")]
    parsed = [_SERIES.match(f) for f in files]
    assert all(parsed), files
    assert len(files) == 4
    by_step = {(m["step"], m["compressed"] is not None, m["ext"]) for m in parsed if m}
    assert by_step == {
        ("3", False, "png"),
        ("3", True, "webp"),
        ("0", False, "png"),
        ("0", True, "webp"),
    }
    assert {m["key"] for m in parsed if m} == {"val~sample"}
    assert "1700000000000" in {m["ts"] for m in parsed if m}
    thumb = next(f for f in files if "+step+3+" in f and f.endswith(".webp"))
    with Image.open(client.download_artifacts(run_id, thumb, str(tmp_path))) as small:
        assert max(small.size) == 256
    assert client.get_run(run_id).data.tags["mlflow.loggedImages"] == "True"


def test_log_image_rejects_bad_arguments(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    img = np.zeros((2, 2), dtype=np.uint8)
    with pytest.raises(TypeError, match="exactly one of artifact_file"):
        client.log_image(run_id, img)
    with pytest.raises(TypeError, match="cannot be combined"):
        client.log_image(run_id, img, "a.png", key="k")
    with pytest.raises(InvalidParameterValue, match="Invalid image key"):
        client.log_image(run_id, img, key="bad:key")
    with pytest.raises(InvalidParameterValue, match=r"\[0, 255\]"):
        client.log_image(run_id, np.full((2, 2), 300), "a.png")
    with pytest.raises(InvalidParameterValue, match="shape"):
        client.log_image(run_id, np.zeros((2, 2, 2)), "a.png")
    with pytest.raises(TypeError, match="Unsupported image object type"):
        client.log_image(run_id, "not an image", "a.png")


def test_log_table_dataframe_and_dict_append(tracking_uri: str, tmp_path: Path) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    client.log_table(run_id, pd.DataFrame({"q": ["a", "b"], "score": [0.5, 1.0]}), "eval/t.json")
    client.log_table(run_id, {"q": ["c"], "score": [2], "extra": [True]}, "eval/t.json")
    table = json.loads(_read(client, run_id, "eval/t.json", tmp_path))
    assert table == {
        "columns": ["q", "score", "extra"],
        "data": [["a", 0.5, None], ["b", 1.0, None], ["c", 2, True]],
    }
    # pandas reads it back the way MLflow reads its own tables
    frame = pd.read_json(tmp_path / "dl" / "eval" / "t.json", orient="split")
    assert list(frame["q"]) == ["a", "b", "c"]
    tag = json.loads(client.get_run(run_id).data.tags["mlflow.loggedArtifacts"])
    assert tag == [{"path": "eval/t.json", "type": "table"}]


def test_log_table_rejects_bad_input(tracking_uri: str) -> None:
    client = mltrail.MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameterValue, match=r"'\.json' extension"):
        client.log_table(run_id, {"a": [1]}, "t.csv")
    with pytest.raises(InvalidParameterValue, match="forbidden character"):
        client.log_table(run_id, {"a": [1]}, "t:1.json")
    with pytest.raises(InvalidParameterValue, match="same length"):
        client.log_table(run_id, {"a": [1, 2], "b": [1]}, "t.json")
    with pytest.raises(InvalidParameterValue, match="DataFrame or a dict"):
        client.log_table(run_id, [1, 2], "t.json")
    client.log_table(run_id, {"a": 1, "b": "x"}, "one.json")  # scalars make one row


def test_fluent_media_functions(tracking_uri: str, tmp_path: Path) -> None:
    mltrail.set_tracking_uri(tracking_uri)
    with mltrail.start_run() as run:
        fig = plt.figure()
        mltrail.log_figure(fig, "fig.png")
        plt.close(fig)
        mltrail.log_image(np.zeros((4, 4, 3), dtype=np.uint8), "img.png")
        mltrail.log_image(np.zeros((4, 4, 3), dtype=np.uint8), key="k", step=1)
        mltrail.log_table({"x": [1, 2]}, "table.json")
    client = mltrail.MlflowClient(tracking_uri)
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"fig.png", "img.png", "images", "table.json"} <= names


def test_media_methods_leave_import_mltrail_light() -> None:
    code = (
        "import sys, mltrail\n"
        "c = mltrail.MlflowClient\n"
        "assert hasattr(c, 'log_image') and hasattr(mltrail, 'log_table')\n"
        "heavy = [m for m in ('numpy', 'PIL', 'matplotlib', 'pandas') if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
