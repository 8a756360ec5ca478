"""Run a compat scenario script in a fresh interpreter against one tracking URI.

Each compat test file is also a script: run with an output path, it drives the official client
against ``MLFLOW_TRACKING_URI`` and writes its observations as JSON. Both servers get the same
client settings; without retries a 5xx answer surfaces at once instead of after minutes of
back-off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def run_scenario(
    script: str,
    tracking_uri: str,
    timeout_s: float,
    prefix: str = "compat-scenario-",
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``script`` against ``tracking_uri`` and return the results it wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        PYTHONWARNINGS="ignore",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        **(extra_env or {}),
    )
    # The script imports this module too: it needs the repository root on its path.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        out = Path(tmp) / "out.json"
        proc = subprocess.run(
            [sys.executable, script, str(out)],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if proc.returncode != 0 or not out.exists():
            raise AssertionError(
                f"the scenario failed against {tracking_uri} (exit {proc.returncode}):\n"
                f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
            )
        result: dict[str, Any] = json.loads(out.read_text())
        return result
