"""Offline journal: durable append, ordered exactly-once replay, torn lines, idempotence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import Metric, Param, RunTag
from mltrail.service.services import Services
from mltrail.tracking.journal import OfflineJournal, replay_directory


class _Recorder:
    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[tuple[str, list[Metric], list[Param], list[RunTag]]] = []
        self.fail_at = fail_at

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            self.fail_at = None
            raise ConnectionError("server down")
        self.calls.append((run_id, list(metrics), list(params), list(tags)))


def test_replay_sends_batches_in_order_once(tmp_path: Path) -> None:
    journal = OfflineJournal(tmp_path)
    for i in range(5):
        journal.append("r1", [Metric("m", float(i), 100 + i, i)], [Param(f"p{i}", "v")], [])
    sink = _Recorder()
    assert journal.replay(sink) == 5
    assert [c[1][0].value for c in sink.calls] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert journal.replay(sink) == 0
    assert not journal.has_pending()
    assert list(tmp_path.iterdir()) == []


def test_replay_resumes_after_failure_without_resending(tmp_path: Path) -> None:
    journal = OfflineJournal(tmp_path)
    for i in range(4):
        journal.append("r1", [Metric("m", float(i), 1, i)])
    sink = _Recorder(fail_at=2)
    with pytest.raises(ConnectionError, match="server down"):
        journal.replay(sink)
    assert journal.has_pending()
    assert journal.replay(sink) == 2
    assert [c[1][0].step for c in sink.calls] == [0, 1, 2, 3]


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = OfflineJournal(tmp_path)
    journal.append("r1", [Metric("m", 1.0, 1, 0)])
    with open(journal.path, "a", encoding="utf-8") as fh:
        fh.write('{"seq": 2, "run_id": "r1", "metr')
    sink = _Recorder()
    assert replay_directory(tmp_path, sink) == 1


def test_special_floats_survive_the_journal(tmp_path: Path) -> None:
    journal = OfflineJournal(tmp_path)
    journal.append("r1", [Metric("a", math.nan, 1, 0), Metric("b", -math.inf, 1, 0)])
    sink = _Recorder()
    journal.replay(sink)
    values = [m.value for m in sink.calls[0][1]]
    assert math.isnan(values[0])
    assert values[1] == -math.inf


def test_replaying_twice_into_a_store_stores_once(tmp_path: Path) -> None:
    services = Services(f"sqlite:///{tmp_path / 'db.sqlite'}", str(tmp_path / "a"), Settings())
    svc = services.tracking
    run_id = svc.create_run("0").info.run_id
    batch = ([Metric("m", 0.5, 10, 1)], [Param("p", "1")], [RunTag("t", "v")])
    svc.log_batch(run_id, *batch)
    svc.log_batch(run_id, *batch)
    assert len(svc.get_metric_history(run_id, "m")) == 1
    assert svc.get_run(run_id).data.params == {"p": "1"}
    services.close()


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No offline journal folder"):
        replay_directory(tmp_path / "nope", _Recorder())
