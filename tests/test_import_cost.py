"""``import mltrail`` stays cheap: no heavy dependency is imported until it is needed."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "sqlalchemy",
    "fastapi",
    "pandas",
    "numpy",
    "boto3",
    "opentelemetry.sdk",
    "pydantic",
    "httpx",
    "alembic",
    "importlib.metadata",
]


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_import_mltrail_loads_no_heavy_dependency() -> None:
    loaded = _modules_after("import mltrail")
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_creating_a_client_and_setting_the_uri_loads_nothing_heavy() -> None:
    loaded = _modules_after(
        "import mltrail\n"
        "mltrail.set_tracking_uri('sqlite:///unused.db')\n"
        "mltrail.MlflowClient()\n"
        "mltrail.get_tracking_uri()"
    )
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_the_sql_stack_loads_when_a_database_is_used(tmp_path: object) -> None:
    loaded = _modules_after(
        "import mltrail\n"
        f"mltrail.set_tracking_uri('sqlite:///{tmp_path}/x.db')\n"
        "mltrail.search_experiments()"
    )
    assert "sqlalchemy" in loaded
    assert "pandas" not in loaded
