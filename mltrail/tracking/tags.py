"""Names of the ``mlflow.*`` tags that the client side sets, in one place.

They are MLflow's reserved tag names (the UI and MLflow's clients read them), so they keep
MLflow's spelling.
"""

from __future__ import annotations

__all__ = [
    "GIT_BRANCH",
    "GIT_COMMIT",
    "GIT_DIRTY",
    "GIT_REPO_URL",
    "MODEL_IS_EXTERNAL",
    "PARENT_RUN_ID",
    "SOURCE_NAME",
    "SOURCE_TYPE",
    "USER",
]

USER = "mlflow.user"
PARENT_RUN_ID = "mlflow.parentRunId"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_DIRTY = "mlflow.source.git.dirty"
# Set to "true" on a LoggedModel whose files live outside the tracking server.
MODEL_IS_EXTERNAL = "mlflow.model.isExternal"
