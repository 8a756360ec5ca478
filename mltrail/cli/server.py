"""``mltrail server``: the tracking server, with ``mlflow server``'s options."""

from __future__ import annotations

import click

from mltrail.config import DEFAULT_TRACKING_URI, Settings, export_to_environ

__all__ = ["server"]


def _env_twins(name: str) -> list[str]:
    return [f"MLTRAIL_{name}", f"MLFLOW_{name}"]


@click.command()
@click.option(
    "--backend-store-uri",
    envvar=_env_twins("BACKEND_STORE_URI"),
    default=None,
    metavar="URI",
    help=f"Database for experiments, runs and models (default {DEFAULT_TRACKING_URI}): "
    "sqlite:///path, postgresql://..., mysql+pymysql://...",
)
@click.option(
    "--default-artifact-root",
    envvar=_env_twins("DEFAULT_ARTIFACT_ROOT"),
    default=None,
    metavar="URI",
    help="Root of new experiments' artifact locations. Default: mlflow-artifacts:/ when the "
    "server proxies artifacts, else ./mltrail-artifacts.",
)
@click.option(
    "--artifacts-destination",
    envvar=_env_twins("ARTIFACTS_DESTINATION"),
    default=None,
    metavar="URI",
    help="Where proxied artifacts are stored (default ./mltrail-artifacts).",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    envvar=_env_twins("SERVE_ARTIFACTS"),
    default=True,
    help="Proxy artifact uploads and downloads through the server (default on).",
)
@click.option(
    "--artifacts-only",
    envvar=_env_twins("ARTIFACTS_ONLY"),
    is_flag=True,
    default=False,
    help="Serve only the artifact proxy (and /health): no tracking API, no backend store.",
)
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "--workers",
    "-w",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes; all share the database, so any count is safe.",
)
@click.option("--dev", is_flag=True, help="Development mode: one worker that reloads on change.")
@click.option(
    "--app-name",
    type=click.Choice(["basic-auth"]),
    default=None,
    help="MLflow's app plugin name; basic-auth turns authentication on (same as --auth).",
)
@click.option(
    "--auth/--no-auth",
    envvar="MLTRAIL_AUTH",
    default=False,
    help="Require HTTP Basic or Bearer credentials and enforce permissions on every route.",
)
@click.option(
    "--allowed-hosts",
    envvar=_env_twins("ALLOWED_HOSTS"),
    default=None,
    metavar="HOSTS",
    help="Comma-separated Host header values to accept (guards against DNS rebinding).",
)
@click.option(
    "--cors-allowed-origins",
    envvar=_env_twins("CORS_ALLOWED_ORIGINS"),
    default=None,
    metavar="ORIGINS",
    help="Comma-separated origins allowed to call the API from a browser (CORS is off by default).",
)
def server(
    backend_store_uri: str | None,
    default_artifact_root: str | None,
    artifacts_destination: str | None,
    serve_artifacts: bool,
    artifacts_only: bool,
    host: str,
    port: int,
    workers: int,
    dev: bool,
    app_name: str | None,
    auth: bool,
    allowed_hosts: str | None,
    cors_allowed_origins: str | None,
) -> None:
    """Run the tracking server (MLflow's REST API) with uvicorn."""
    try:
        import uvicorn
    except ImportError as exc:  # the server extra is not installed
        raise click.ClickException(
            "The server needs the 'server' extra: pip install 'mltrail[server]'"
        ) from exc
    from mltrail.service.auth import build_auth
    from mltrail.store.sql.engine import Database
    from mltrail.store.sql.migrations import ensure_schema

    uri = backend_store_uri or DEFAULT_TRACKING_URI
    if not artifacts_only:
        # Migrate once here, under the database lock, before any worker starts.
        db = Database(uri, Settings.from_env())
        try:
            ensure_schema(db)
        except Exception as exc:
            raise click.ClickException(f"Cannot open the backend store {uri!r}: {exc}") from exc
        finally:
            db.dispose()
    auth = auth or app_name == "basic-auth"
    if auth:
        settings = Settings.from_env().with_changes(auth_enabled=True, auth_dev=dev)
        try:  # migrate the auth database and create the admin once, before the workers
            build_auth(uri, settings).db.dispose()
        except Exception as exc:
            raise click.ClickException(f"Cannot enable auth: {exc}") from exc
    # Workers build their Settings from the environment, so pass the options through it.
    values = {
        "BACKEND_STORE_URI": uri,
        "DEFAULT_ARTIFACT_ROOT": default_artifact_root,
        "ARTIFACTS_DESTINATION": artifacts_destination,
        "SERVE_ARTIFACTS": "true" if serve_artifacts else "false",
        "ARTIFACTS_ONLY": "true" if artifacts_only else "false",
        "ALLOWED_HOSTS": allowed_hosts,
        "CORS_ALLOWED_ORIGINS": cors_allowed_origins,
    }
    export_to_environ(**values)
    export_to_environ(AUTH="true" if auth else "false", AUTH_DEV="true" if dev else "false")
    what = "artifacts only" if artifacts_only else f"backend {uri}"
    click.echo(f"mltrail server on http://{host}:{port} ({what})", err=True)
    uvicorn.run(
        "mltrail.server.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=1 if dev else workers,
        reload=dev,
        log_level="info",
        access_log=False,
    )
