"""Pinned requirements of a saved model, traced from the modules loading it imports."""

from __future__ import annotations

import functools
import os
import pickletools
import platform
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, packages_distributions, version

import yaml

__all__ = [
    "infer_pip_requirements",
    "modules_unpickled_by",
    "write_environment_files",
]

# Distributions pip never needs to be told about when they come with the interpreter.
_SKIP_DISTRIBUTIONS = {"pip", "setuptools", "wheel"}


def modules_unpickled_by(path: str) -> set[str]:
    """Top-level modules that unpickling the file at ``path`` imports.

    The pickle's opcodes name every class and function it rebuilds, so reading them traces
    the imports exactly, without running the file's code.
    """
    modules: set[str] = set()
    strings: list[str] = []
    with open(path, "rb") as fh:
        for opcode, arg, _pos in pickletools.genops(fh):
            if opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                modules.add(arg.split(" ", 1)[0].split(".", 1)[0])
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                modules.add(strings[-2].split(".", 1)[0])
            elif isinstance(arg, str):
                strings.append(arg)
    return modules


@functools.cache
def _distributions_by_module() -> dict[str, list[str]]:
    return {key: list(value) for key, value in packages_distributions().items()}


def _pin(distribution: str) -> str | None:
    try:
        return f"{distribution}=={version(distribution)}"
    except PackageNotFoundError:
        return None


def infer_pip_requirements(modules: Iterable[str], always: Iterable[str] = ()) -> list[str]:
    """Pinned ``name==version`` lines for the distributions providing ``modules``.

    Args:
        modules: Top-level module names the model imports; standard-library ones are ignored.
        always: Distributions to include whatever the trace says (the flavor's library).
    """
    dists: set[str] = set(always)
    by_module = _distributions_by_module()
    for module in modules:
        if module in sys.stdlib_module_names or module in ("__main__", "builtins"):
            continue
        dists.update(by_module.get(module, []))
    pins = (_pin(d) for d in sorted(dists, key=str.lower) if d.lower() not in _SKIP_DISTRIBUTIONS)
    return [pin for pin in pins if pin is not None]


def _resolve_requirements(
    inferred: list[str], pip_requirements: Iterable[str] | None, extra: Iterable[str] | None
) -> list[str]:
    chosen = list(pip_requirements) if pip_requirements is not None else list(inferred)
    chosen.extend(extra or [])
    return list(dict.fromkeys(chosen))


def write_environment_files(
    path: str,
    inferred: list[str],
    pip_requirements: Iterable[str] | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
) -> list[str]:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` into ``path``.

    Args:
        path: The model directory.
        inferred: Requirements inferred from the model's imports.
        pip_requirements: Replace the inferred list entirely.
        extra_pip_requirements: Append to the (inferred or given) list.

    Returns:
        The requirements written.
    """
    reqs = _resolve_requirements(inferred, pip_requirements, extra_pip_requirements)
    with open(os.path.join(path, "requirements.txt"), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in reqs))
    python = platform.python_version()
    build = [p for p in (_pin("pip"), _pin("setuptools"), _pin("wheel")) if p is not None]
    python_env = {
        "python": python,
        "build_dependencies": build,
        "dependencies": ["-r requirements.txt"],
    }
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", "pip", {"pip": reqs}],
        "name": "mltrail-env",
    }
    for name, content in (("python_env.yaml", python_env), ("conda.yaml", conda)):
        with open(os.path.join(path, name), "w", encoding="utf-8") as fh:
            yaml.safe_dump(content, fh, default_flow_style=False, sort_keys=False)
    return reqs
