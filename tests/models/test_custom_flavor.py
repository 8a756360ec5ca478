"""The custom-flavor guide (docs/custom_flavors.md) works as written, and the flavor registry."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import mltrail.pyfunc
from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.models import Model, get_flavor, known_flavors, register_flavor
from mltrail.models import flavor as flavor_module
from mltrail.models.flavor import unregister_flavor

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "custom_flavors.md"


@pytest.fixture
def guide_module() -> Iterator[types.ModuleType]:
    """The guide's first Python block, run as the module ``mltrail_guide_json_table``."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    module = types.ModuleType("mltrail_guide_json_table")
    exec(compile(blocks[0], str(GUIDE), "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    register_flavor(module.FLAVOR)
    yield module
    unregister_flavor("json_table")
    sys.modules.pop(module.__name__, None)


def test_custom_flavor_from_guide_saves_and_loads_through_pyfunc(
    guide_module: types.ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "table"
    guide_module.save_model({"a": 1, "b": 2}, str(path))
    assert Model.load(str(path)).flavors["json_table"] == {"data": "table.json"}
    assert (path / "requirements.txt").is_file()
    assert mltrail.pyfunc.load_model(str(path)).predict(["b", "a", "z"]) == [2, 1, None]
    assert get_flavor("json_table").load(str(path), {"data": "table.json"}) == {"a": 1, "b": 2}


def test_builtin_flavors_are_registered_through_entry_points() -> None:
    assert {"python_function", "sklearn"} <= set(known_flavors())
    assert get_flavor("sklearn").name == "sklearn"


def test_unknown_flavor_lists_known_ones() -> None:
    with pytest.raises(
        InvalidParameterValue, match=r"Unknown flavor 'nope'. Known flavors: .*sklearn"
    ):
        get_flavor("nope")


def test_registering_a_different_object_under_a_taken_name_is_an_error(
    guide_module: types.ModuleType,
) -> None:
    other = type("Other", (), {"name": "json_table"})()
    with pytest.raises(MlflowException, match="already registered"):
        register_flavor(other)


def _entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="mltrail.flavors")


def test_two_distributions_claiming_one_key_is_an_error_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = [_entry_point("dup", "pkg_a:FLAVOR"), _entry_point("dup", "pkg_b:FLAVOR")]
    monkeypatch.setattr(flavor_module, "entry_points", lambda group: fake)
    monkeypatch.setattr(flavor_module, "_REGISTRY", flavor_module._Registry())
    with pytest.raises(MlflowException, match=r"flavor 'dup'.*pkg_a:FLAVOR.*pkg_b:FLAVOR"):
        get_flavor("dup")


def test_flavor_that_fails_to_import_does_not_break_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = [
        _entry_point("broken", "mltrail_no_such_module:FLAVOR"),
        _entry_point("sklearn", "mltrail.sklearn:FLAVOR"),
    ]
    monkeypatch.setattr(flavor_module, "entry_points", lambda group: fake)
    monkeypatch.setattr(flavor_module, "_REGISTRY", flavor_module._Registry())
    with pytest.raises(MlflowException, match=r"flavor .broken. .* failed to import"):
        get_flavor("broken")
    assert get_flavor("sklearn").name == "sklearn"
