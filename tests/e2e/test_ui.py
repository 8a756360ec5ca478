"""The web UI in headless Chromium: pages render seeded data, XSS payloads stay inert text."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx
import pytest

XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
# An artifact name cannot hold a slash, so no closing tag.
XSS_FILE = "<img src=x onerror=window.__xss=3>.txt"


def _api(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/2.0/mlflow/{path}", json=body, timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _run(url: str, exp: str, name: str, params: dict[str, str], metric: float, **tags: str) -> str:
    info = _api(url, "runs/create", {"experiment_id": exp, "run_name": name, "start_time": 1000})
    run_id: str = info["run"]["info"]["run_id"]
    now = int(time.time() * 1000)
    _api(
        url,
        "runs/log-batch",
        {
            "run_id": run_id,
            "params": [{"key": k, "value": v} for k, v in params.items()],
            "metrics": [
                {"key": "loss", "value": metric / (s + 1), "timestamp": now + s, "step": s}
                for s in range(50)
            ],
            "tags": [{"key": k.replace("__", "."), "value": v} for k, v in tags.items()],
        },
    )
    artifact_dir = Path(url2pathname(urlparse(info["run"]["info"]["artifact_uri"]).path))
    artifact_dir.mkdir(parents=True, exist_ok=True)
    (artifact_dir / "metrics.json").write_text('{"acc": 0.9}')
    (artifact_dir / XSS_FILE).write_text(XSS)
    (artifact_dir / "page.html").write_text(XSS)
    return run_id


@pytest.fixture(scope="module")
def seeded(ui_server: str) -> dict[str, str]:
    exp = _api(ui_server, "experiments/create", {"name": f"exp {XSS}"})["experiment_id"]
    a = _run(
        ui_server,
        exp,
        f"alpha {XSS}",
        {"lr": "0.1", "xss": XSS},
        3.0,
        mlflow__note__content=f"**bold** {XSS}",
        team=XSS,
    )
    b = _run(ui_server, exp, "beta", {"lr": "0.2", "xss": XSS}, 1.0)
    child = _run(ui_server, exp, "child", {"lr": "0.3"}, 2.0, mlflow__parentRunId=a)
    return {"exp": exp, "a": a, "b": b, "child": child}


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def _assert_inert(page: Any) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []


def test_experiments_list_shows_names_literally(
    page: Any, ui_server: str, seeded: dict[str, str]
) -> None:
    _open(page, ui_server + "/")
    assert page.get_by_text(f"exp {XSS}").count() == 1
    _assert_inert(page)


def test_unknown_ui_path_falls_back_to_the_app_with_a_strict_csp(ui_server: str) -> None:
    response = httpx.get(ui_server + "/experiments/1/deep/link")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert httpx.get(ui_server + "/api/2.0/mlflow/nope").status_code == 404


def test_runs_table_sorts_filters_and_groups_children(
    page: Any, ui_server: str, seeded: dict[str, str]
) -> None:
    _open(page, f"{ui_server}/#/experiments/{seeded['exp']}")
    page.wait_for_selector("#run-count:has-text('3 runs')")
    names = page.locator(".run-link").all_inner_texts()
    assert names.index("child") == names.index(f"alpha {XSS}") + 1
    page.click(".head .cell[data-col='m:loss']")
    page.wait_for_url(lambda u: "sort=m%3Aloss" in u)
    page.fill("input.filter", "params.lr = '0.2'")
    page.press("input.filter", "Enter")
    page.wait_for_selector("#run-count:has-text('1 runs')")
    assert page.locator(".run-link").all_inner_texts() == ["beta"]
    page.fill("input.filter", "params.lr >>> 1")
    page.press("input.filter", "Enter")
    page.wait_for_selector("#runs-error:not(:empty)")
    _assert_inert(page)


def test_run_page_renders_overview_description_and_tags(
    page: Any, ui_server: str, seeded: dict[str, str]
) -> None:
    _open(page, f"{ui_server}/#/runs/{seeded['a']}")
    assert page.inner_text("#run-name") == f"alpha {XSS}"
    assert page.locator("#description strong").inner_text() == "bold"
    assert XSS in page.inner_text("#description")
    assert XSS in page.inner_text("#params")
    page.fill("#tag-key", "stage")
    page.fill("#tag-value", "prod")
    page.click("#add-tag")
    page.wait_for_selector("#tags td:has-text('prod')")
    _assert_inert(page)


def test_artifact_previews_show_text_and_never_run_html(
    page: Any, ui_server: str, seeded: dict[str, str]
) -> None:
    _open(page, f"{ui_server}/#/runs/{seeded['a']}?tab=artifacts")
    page.click(".artifact[data-path='metrics.json']")
    page.wait_for_selector(".artifact-text")
    assert '"acc": 0.9' in page.inner_text(".artifact-text")
    page.click(".artifact[data-path='page.html']")
    page.wait_for_selector(".artifact-text:has-text('onerror')")
    assert page.get_by_text(XSS_FILE).count() == 1
    _assert_inert(page)


def test_run_charts_draw_on_canvas(page: Any, ui_server: str, seeded: dict[str, str]) -> None:
    _open(page, f"{ui_server}/#/runs/{seeded['b']}?tab=charts")
    page.wait_for_selector(".chart[data-metric='loss'] canvas")
    page.select_option(".chart select", "rel")
    page.check(".chart input[type=checkbox]")
    _assert_inert(page)


def test_compare_two_runs_highlights_param_differences(
    page: Any, ui_server: str, seeded: dict[str, str]
) -> None:
    _open(page, f"{ui_server}/#/experiments/{seeded['exp']}")
    page.wait_for_selector("#run-count:has-text('3 runs')")
    # alpha and beta differ only in lr (the child run lacks the xss param)
    for name in ("alpha", "beta"):
        page.locator(".row", has_text=name).locator("input[type=checkbox]").check()
    page.click("#compare")
    page.wait_for_selector("#compare-params")
    assert page.locator("#compare-params tr.diff td:first-child").all_inner_texts() == ["lr"]
    page.wait_for_selector(".chart[data-metric='loss']")
    _assert_inert(page)
