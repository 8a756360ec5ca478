"""Git facts about the code that is running, as ``mlflow.source.git.*`` tags.

The ``git`` command is run with a short timeout (no GitPython dependency). Without git, outside a
checkout, or in a repository without commits, there are simply no tags.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from mltrail.tracking import tags

__all__ = ["GIT_TIMEOUT_S", "git_tags", "source_directory"]

logger = logging.getLogger(__name__)

GIT_TIMEOUT_S = 3.0


def source_directory() -> str:
    """The directory of the running script (``sys.argv[0]``), else the working directory."""
    main = sys.argv[0] if sys.argv else ""
    if main and os.path.isfile(main):
        return os.path.dirname(os.path.abspath(main))
    return os.getcwd()


def _git(directory: str, *args: str) -> str | None:
    """Run ``git -C directory args...``; return its stripped output, or None if it failed."""
    try:
        done = subprocess.run(
            ["git", "-C", directory, *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git %s failed in %s: %s", " ".join(args), directory, exc)
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def git_tags(directory: str | None = None) -> dict[str, str]:
    """Return the commit, branch, remote URL and dirty state of the checkout at ``directory``.

    Args:
        directory: Any directory inside the checkout; ``source_directory()`` if None.

    Returns:
        ``mlflow.source.git.commit``, ``.branch`` (not on a detached HEAD), ``.repoURL`` (the
        ``origin`` remote, if any) and ``.dirty`` (``"true"``/``"false"``, tracked files only);
        empty outside a checkout or without git.
    """
    where = directory or source_directory()
    head = _git(where, "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
    lines = head.splitlines() if head else []
    if len(lines) != 2:
        return {}
    commit, branch = lines
    found = {tags.GIT_COMMIT: commit}
    if branch and branch != "HEAD":
        found[tags.GIT_BRANCH] = branch
    url = _git(where, "config", "--get", "remote.origin.url")
    if url:
        found[tags.GIT_REPO_URL] = url
    status = _git(where, "status", "--porcelain", "--untracked-files=no")
    if status is not None:
        found[tags.GIT_DIRTY] = "true" if status else "false"
    return found
