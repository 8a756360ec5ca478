"""S3 artifact benchmark: mltrail's S3 repository beside raw boto3 (and MLflow's, when installed).

Run ``python bench/bench_artifacts_s3.py [--mb 100] [--files 200] [--repeat 3]``. It starts a
SeaweedFS ``weed mini`` store on free loopback ports (see ``tests/s3_server.py``), then times the
same transfers through each client against that store and prints a markdown table of MB/s (the
median of ``--repeat`` runs after one warm-up run). Every client writes under its own fresh
prefix and downloads into a fresh local folder; each timed call returns the bytes it moved (read
back from the local files for downloads).

- ``boto3``: ``upload_file``/``download_file`` with the TransferConfig mltrail uses (64 MB
  threshold, 16 MB parts, 8 threads); for folders, one ``put_object``/``download_file`` per file
  in a loop; for streams, ``get_object`` read in 1 MB chunks and ``upload_fileobj``.
- ``mltrail``: ``S3ArtifactRepository`` methods (``log_artifact``, ``download_artifacts``,
  ``open_read``, ``write_stream``, ``log_artifacts``).
- ``mlflow``: MLflow's own S3 repository with its default settings (no stream workloads).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from mltrail.config import reload_settings  # noqa: E402
from mltrail.store.artifacts.s3 import (  # noqa: E402
    MAX_CONCURRENCY,
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    S3ArtifactRepository,
)
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, s3_client, seaweedfs  # noqa: E402

_MB = 1024 * 1024


def _timed(fn: Callable[[], int], repeat: int) -> float:
    """Median MB/s of ``fn``, which returns the bytes it moved, after one untimed warm-up."""
    fn()
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        moved = fn()
        rates.append(moved / _MB / (time.perf_counter() - start))
    return statistics.median(rates)


def _dir_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the big file, in MB")
    parser.add_argument("--files", type=int, default=200, help="files in the folder workload")
    parser.add_argument("--file-kb", type=int, default=10, help="size of each of those files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mlflow", action="store_true", help="skip MLflow's repository")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mltrail-bench-s3-"))
    big = work / "big.bin"
    big.write_bytes(os.urandom(args.mb * _MB))
    small = work / "small"
    small.mkdir()
    for i in range(args.files):
        (small / f"f{i:04d}.bin").write_bytes(os.urandom(args.file_kb * 1024))
    big_size, small_size = big.stat().st_size, _dir_size(small)

    with seaweedfs(work / "s3") as (endpoint, bucket):
        os.environ.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true",
            MLTRAIL_S3_ENDPOINT_URL=endpoint,
            MLFLOW_S3_ENDPOINT_URL=endpoint,
        )
        settings = reload_settings()
        results: dict[str, dict[str, float]] = {}

        def fresh(prefix: str) -> str:
            return f"bench/{prefix}-{uuid.uuid4().hex[:8]}"

        def dest() -> Path:
            return Path(tempfile.mkdtemp(dir=work))

        # ---------------------------------------------------------------------- raw boto3
        from boto3.s3.transfer import TransferConfig

        raw = s3_client(endpoint)
        tconf = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=MAX_CONCURRENCY,
        )
        key = f"{fresh('raw')}/big.bin"
        dkey = fresh("raw-dir")

        def raw_up() -> int:
            raw.upload_file(str(big), bucket, key, Config=tconf)
            return big_size

        def raw_down() -> int:
            out = dest() / "big.bin"
            raw.download_file(bucket, key, str(out), Config=tconf)
            return out.stat().st_size

        def raw_read() -> int:
            body = raw.get_object(Bucket=bucket, Key=key)["Body"]
            return sum(len(c) for c in iter(lambda: body.read(_MB), b""))

        def raw_write() -> int:
            with open(big, "rb") as fh:
                raw.upload_fileobj(fh, bucket, key + ".stream", Config=tconf)
            return big_size

        def raw_dir_up() -> int:
            for p in sorted(small.iterdir()):
                raw.put_object(Bucket=bucket, Key=f"{dkey}/{p.name}", Body=p.read_bytes())
            return small_size

        def raw_dir_down() -> int:
            out = dest()
            listing = raw.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=dkey)
            for page in listing:
                for obj in page.get("Contents", []):
                    name = obj["Key"].rsplit("/", 1)[1]
                    raw.download_file(bucket, obj["Key"], str(out / name))
            return _dir_size(out)

        # ------------------------------------------------------------------------ mltrail
        repo = S3ArtifactRepository(f"s3://{bucket}/{fresh('mltrail')}", settings=settings)

        def m_up() -> int:
            repo.log_artifact(str(big))
            return big_size

        def m_down() -> int:
            return Path(repo.download_artifacts("big.bin", str(dest()))).stat().st_size

        def m_read() -> int:
            with repo.open_read("big.bin") as fh:
                return sum(len(c) for c in iter(lambda: fh.read(_MB), b""))

        def m_write() -> int:
            with open(big, "rb") as fh:
                return repo.write_stream("stream.bin", iter(lambda: fh.read(_MB), b""))

        def m_dir_up() -> int:
            repo.log_artifacts(str(small), "dir")
            return small_size

        def m_dir_down() -> int:
            return _dir_size(Path(repo.download_artifacts("dir", str(dest()))))

        workloads: list[tuple[str, dict[str, Callable[[], int]]]] = [
            (f"upload {args.mb} MB file", {"boto3": raw_up, "mltrail": m_up}),
            (f"download {args.mb} MB file", {"boto3": raw_down, "mltrail": m_down}),
            (f"stream read {args.mb} MB", {"boto3": raw_read, "mltrail": m_read}),
            (f"stream write {args.mb} MB", {"boto3": raw_write, "mltrail": m_write}),
            (
                f"upload folder ({args.files} x {args.file_kb} KB)",
                {"boto3": raw_dir_up, "mltrail": m_dir_up},
            ),
            (
                f"download folder ({args.files} x {args.file_kb} KB)",
                {"boto3": raw_dir_down, "mltrail": m_dir_down},
            ),
        ]

        # ------------------------------------------------------------------------- MLflow
        if not args.no_mlflow:
            try:
                from mlflow.store.artifact.s3_artifact_repo import (
                    S3ArtifactRepository as MlflowS3,
                )
            except ImportError:
                print("MLflow is not installed: its column is skipped", file=sys.stderr)
            else:
                mrepo: Any = MlflowS3(f"s3://{bucket}/{fresh('mlflow')}")

                def f_up() -> int:
                    mrepo.log_artifact(str(big))
                    return big_size

                def f_down() -> int:
                    out = dest()
                    return Path(mrepo.download_artifacts("big.bin", str(out))).stat().st_size

                def f_dir_up() -> int:
                    mrepo.log_artifacts(str(small), "dir")
                    return small_size

                def f_dir_down() -> int:
                    return _dir_size(Path(mrepo.download_artifacts("dir", str(dest()))))

                extra = [f_up, f_down, None, None, f_dir_up, f_dir_down]
                for (_, clients), fn in zip(workloads, extra, strict=True):
                    if fn is not None:
                        clients["mlflow"] = fn

        for name, clients in workloads:
            for client, fn in clients.items():
                print(f"{name}: {client} ...", file=sys.stderr)
                results.setdefault(name, {})[client] = _timed(fn, args.repeat)

    columns = ["boto3", "mltrail", "mlflow"]
    print(f"SeaweedFS weed mini on loopback, median of {args.repeat}, MB/s (higher is better)\n")
    print("| workload | " + " | ".join(columns) + " | mltrail / boto3 |")
    print("|---|" + "---|" * (len(columns) + 1))
    for name, row in results.items():
        cells = [f"{row[c]:.0f}" if c in row else "n/a" for c in columns]
        ratio = row["mltrail"] / row["boto3"]
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")


if __name__ == "__main__":
    main()
