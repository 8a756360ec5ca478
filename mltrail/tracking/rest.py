"""RestBackend: the tracking API over HTTP to an MLflow-compatible server (pooling, retries, auth).

Every call goes through one endpoint of ``mltrail.protocol``: the request is a pruned JSON dict
(query string for GET), and the response is decoded by ``protocol.codec`` and validated by the
endpoint's response model before it is converted to entities. This module is loaded only through
the ``mltrail.tracking_backends`` entry points, when an ``http(s)://`` tracking URI is used.
"""

from __future__ import annotations

import logging
import os
import random
import re
import ssl
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from mltrail.config import Settings, get_settings
from mltrail.entities import (
    DatasetInput,
    Experiment,
    LoggedModelInput,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from mltrail.exceptions import (
    ErrorCode,
    InvalidParameterValue,
    InvalidState,
    MlflowException,
    PermissionDenied,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from mltrail.protocol import codec, convert
from mltrail.protocol import tracking as wire
from mltrail.protocol.endpoint import Endpoint
from mltrail.service.api import DatasetSummary, TrackingAPI
from mltrail.tracking.rest_models import LoggedModelCalls
from mltrail.tracking.rest_registry import RegistryCalls
from mltrail.tracking.rest_traces import TraceCalls

__all__ = ["DatasetUsage", "RestBackend"]

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# Statuses that mean "try again later": rate limiting and server or gateway trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 60.0
_EXCERPT_CHARS = 200
# ``{name}`` segments of a route, filled from the request's fields.
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_ERROR_CLASSES: dict[str, type[MlflowException]] = {
    ErrorCode.RESOURCE_DOES_NOT_EXIST: ResourceDoesNotExist,
    ErrorCode.RESOURCE_ALREADY_EXISTS: ResourceAlreadyExists,
    ErrorCode.INVALID_PARAMETER_VALUE: InvalidParameterValue,
    ErrorCode.INVALID_STATE: InvalidState,
    ErrorCode.PERMISSION_DENIED: PermissionDenied,
    ErrorCode.UNAUTHENTICATED: Unauthenticated,
}

# Error codes for responses without an MLflow error body (a proxy's HTML page, a bare 502).
_CODE_BY_STATUS: dict[int, str] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.ENDPOINT_NOT_FOUND,
    429: ErrorCode.REQUEST_LIMIT_EXCEEDED,
    501: ErrorCode.NOT_IMPLEMENTED,
    503: ErrorCode.TEMPORARILY_UNAVAILABLE,
}

# Failures where the request may not have reached the server, or its answer was lost.
_RETRY_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


def _user_agent() -> str:
    try:
        return f"mltrail/{version('mltrail')}"
    except PackageNotFoundError:
        return "mltrail/unknown"


USER_AGENT = _user_agent()


@dataclass(slots=True)
class DatasetUsage:
    """A dataset used in an experiment, as the server's ``search-datasets`` reports it."""

    experiment_id: str
    name: str
    digest: str
    context: str | None


def _error_for(code: str, message: str) -> MlflowException:
    return _ERROR_CLASSES.get(code, MlflowException)(message, code)


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS] + "..."
    return text or "<empty body>"


def _split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """Return the URI without user info, and the user name and password it carried."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri.rstrip("/"), None, None
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return bare.rstrip("/"), user, password


def _ssl_verify(settings: Settings) -> ssl.SSLContext | bool:
    """The ``verify`` argument for httpx: False, True, or a context with CA file/client cert.

    Raises:
        InvalidParameterValue: A configured certificate file cannot be read.
    """
    server_cert = settings.tracking_server_cert_path
    client_cert = settings.tracking_client_cert_path
    try:
        if settings.tracking_insecure_tls:
            if client_cert is None:
                return False
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif server_cert is not None:
            if os.path.isdir(server_cert):
                context = ssl.create_default_context(capath=server_cert)
            else:
                context = ssl.create_default_context(cafile=server_cert)
        elif client_cert is not None:
            context = httpx.create_ssl_context()
        else:
            return True
        if client_cert is not None:
            # One PEM file holding the certificate and its key, as MLflow expects.
            context.load_cert_chain(client_cert)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidParameterValue(
            f"Cannot load the TLS certificates configured for the tracking server "
            f"(server cert path {server_cert!r}, client cert path {client_cert!r}): {exc}. "
            "Fix MLTRAIL_TRACKING_SERVER_CERT_PATH / MLTRAIL_TRACKING_CLIENT_CERT_PATH."
        ) from exc
    return context


def _view_type(view_type: int | str | None) -> str:
    # MLflow's servers read enums by name in JSON; mltrail's accept names and numbers.
    return ViewType.to_string(ViewType.coerce(view_type))


def _key_values(items: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in items]


def _fill_route(endpoint: Endpoint, route: str, request: dict[str, Any]) -> str:
    """Put the request's path parameters (URL-quoted) into ``route``.

    A GET or DELETE request does not repeat them in its query string or body, so they are
    removed from ``request``. A POST or PATCH body keeps them: MLflow's server reads
    ``model_id`` from the body of ``FinalizeLoggedModel`` and requires it in
    ``LogLoggedModelParams``.

    Raises:
        InvalidParameterValue: A path parameter is missing or empty.
    """
    in_path_only = endpoint.method in ("GET", "DELETE")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = request.pop(name, None) if in_path_only else request.get(name)
        if value is None or value == "":
            raise InvalidParameterValue(f"{endpoint.name}: missing value for {name!r}.")
        return quote(str(value), safe="")

    return _PATH_PARAM.sub(fill, route) if "{" in route else route


class RestBackend(LoggedModelCalls, RegistryCalls, TraceCalls):
    """The tracking and registry API of a remote MLflow-compatible server, over HTTP(S).

    One ``httpx.Client`` per backend keeps connections alive between calls; it is created on
    first use, and again in a forked child, which never reuses its parent's sockets.

    Args:
        uri: Base URL of the server, optionally with a path prefix
            (``https://host:5000/mlflow``) and ``user:password@``.
        settings: Credentials, TLS options, timeout and retry policy; the process's settings if
            None.
        transport: An httpx transport to use instead of the network (tests).

    Attributes:
        sleep: Waits between retries (``time.sleep``); tests replace it to record the delays.
    """

    def __init__(
        self,
        uri: str,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._uri = uri
        self._settings = settings if settings is not None else get_settings()
        self._base_url, url_user, url_password = _split_credentials(uri)
        self._url_user = url_user
        self._url_password = url_password
        self._transport = transport
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._closer: weakref.finalize[[], RestBackend] | None = None
        self.sleep = time.sleep
        _live_backends.add(self)

    @property
    def base_url(self) -> str:
        """The server's base URL, without credentials."""
        return self._base_url

    def without_retries(self) -> RestBackend:
        """Return a backend for the same server that fails at once instead of retrying.

        The offline buffer probes an unreachable server with it, so that a probe never waits
        through the backoff schedule.
        """
        settings = self._settings.with_changes(http_request_max_retries=0)
        return RestBackend(self._uri, settings, transport=self._transport)

    # ------------------------------------------------------------------ HTTP plumbing
    def _build_client(self) -> httpx.Client:
        settings = self._settings
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        auth: httpx.Auth | None = None
        user = settings.tracking_username or self._url_user
        password = settings.tracking_password or self._url_password
        if user and password:
            auth = httpx.BasicAuth(user, password)
        elif settings.tracking_token:
            headers["Authorization"] = f"Bearer {settings.tracking_token}"
        return httpx.Client(
            auth=auth,
            headers=headers,
            verify=_ssl_verify(settings),
            timeout=httpx.Timeout(settings.http_request_timeout),
            follow_redirects=True,
            transport=self._transport,
        )

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = self._build_client()
                    # A backend dropped without close() still closes its sockets.
                    self._closer = weakref.finalize(self, client.close)
        return client

    def _forget_pool_after_fork(self) -> None:
        # The parent's client stays referenced, never closed: closing it here would shut
        # sockets that the parent still uses.
        if self._closer is not None:
            self._closer.detach()
        if self._client is not None:
            _inherited_clients.append(self._client)
        self._client = None
        self._closer = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the pooled connections; a later call opens new ones."""
        with self._lock:
            closer, self._client, self._closer = self._closer, None, None
        if closer is not None:
            closer()

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        settings = self._settings
        delay = settings.http_request_backoff_factor * 2.0**attempt
        if settings.http_request_backoff_jitter > 0:
            delay += random.uniform(0, settings.http_request_backoff_jitter)
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, MAX_BACKOFF_S)

    def _send(self, endpoint: Endpoint, url: str, request: Mapping[str, Any]) -> httpx.Response:
        """Send one request, retrying transient failures with exponential backoff.

        Raises:
            MlflowException: ``TEMPORARILY_UNAVAILABLE`` when the server stays unreachable.
        """
        retries = max(0, self._settings.http_request_max_retries)
        if endpoint.method == "GET":
            kwargs: dict[str, Any] = {"params": request}
        elif endpoint.method == "DELETE" and not request:
            kwargs = {}  # everything it needs is in the path
        else:
            kwargs = {
                "content": codec.dumps(request),
                "headers": {"Content-Type": "application/json"},
            }
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response = self._http().request(endpoint.method, url, **kwargs)
            except _RETRY_ERRORS as exc:
                if attempt >= retries:
                    raise MlflowException(
                        f"{endpoint.name} failed: could not reach the tracking server at {url} "
                        f"after {attempt + 1} attempt(s): {type(exc).__name__}: {exc}. Check "
                        "that the server is running and the tracking URI is right.",
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                    ) from exc
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= retries:
                    return response
                reason = f"HTTP {response.status_code}"
            delay = self._backoff(attempt, response)
            logger.info(
                "%s %s: %s; retry %d of %d in %.2fs",
                endpoint.method,
                url,
                reason,
                attempt + 1,
                retries,
                delay,
            )
            self.sleep(delay)
            attempt += 1

    def _call(
        self, endpoint: Endpoint, request: Mapping[str, Any], path: str | None = None
    ) -> BaseModel:
        """Call ``endpoint`` with a request dict and return its validated response model.

        Args:
            endpoint: The endpoint from ``mltrail.protocol``.
            request: Wire-shaped request fields; None and empty values are dropped. Fields
                named in the route (``{model_id}``) go into the URL (and stay in a POST or
                PATCH body, as MLflow's server expects).
            path: Route to use instead of ``endpoint.api_path``.

        Raises:
            MlflowException: The server answered with an error (the subclass named after its
                error code), with a body that is not the endpoint's response, or not at all.
        """
        fields = dict(request)
        url = self._base_url + _fill_route(endpoint, path or endpoint.api_path, fields)
        response = self._send(endpoint, url, codec.prune(fields))
        if not response.is_success:
            raise self._error(endpoint, url, response)
        try:
            data = codec.loads(response.content) if response.content.strip() else {}
        except MlflowException:
            raise MlflowException(
                f"{endpoint.name}: the server at {url} answered HTTP {response.status_code} with "
                f"a body that is not JSON: {_excerpt(response)}. Check the tracking URI."
            ) from None
        if not isinstance(data, dict):
            raise MlflowException(
                f"{endpoint.name}: the server at {url} answered with JSON that is not an "
                f"object: {_excerpt(response)}"
            )
        try:
            return endpoint.response.model_validate(data)
        except ValidationError as exc:
            raise MlflowException(
                f"{endpoint.name}: the response of the server at {url} does not match the "
                f"MLflow REST API: {exc.errors()[0]['msg']} at "
                f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}."
            ) from None

    def _fetch(
        self,
        endpoint: Endpoint,
        request: Mapping[str, Any],
        model: type[M],
        path: str | None = None,
    ) -> M:
        result = self._call(endpoint, request, path)
        if not isinstance(result, model):  # the endpoint table and this module disagree
            raise TypeError(f"{endpoint.name} returned {type(result).__name__}, not {model}")
        return result

    @staticmethod
    def _error(endpoint: Endpoint, url: str, response: httpx.Response) -> MlflowException:
        status = response.status_code
        try:
            body = codec.loads(response.content) if response.content else None
        except MlflowException:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error_code"), str):
            message = body.get("message")
            text = str(message) if message else f"{endpoint.name} failed with HTTP {status}"
            return _error_for(body["error_code"], text)
        code = _CODE_BY_STATUS.get(
            status, ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.BAD_REQUEST
        )
        return _error_for(
            code,
            f"{endpoint.name} failed: the server at {url} answered HTTP {status} "
            f"{response.reason_phrase}: {_excerpt(response)}",
        )

    # ------------------------------------------------------------------ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        """Create an experiment and return its id."""
        request = {
            "name": name,
            "artifact_location": artifact_location,
            "tags": _key_values(list(tags or [])),
        }
        created = self._fetch(wire.CREATE_EXPERIMENT, request, wire.CreateExperimentResponse)
        return created.experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id."""
        request = {"experiment_id": str(experiment_id)}
        found = self._fetch(wire.GET_EXPERIMENT, request, wire.ExperimentResponse)
        return convert.experiment_from_wire(found.experiment)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return an experiment by name, or None if there is none."""
        request = {"experiment_name": name}
        try:
            found = self._fetch(wire.GET_EXPERIMENT_BY_NAME, request, wire.ExperimentResponse)
        except MlflowException as exc:
            if exc.error_code == ErrorCode.RESOURCE_DOES_NOT_EXIST:
                return None
            raise
        return convert.experiment_from_wire(found.experiment)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Return a page of experiments matching a filter."""
        request = {
            "view_type": _view_type(view_type),
            "max_results": max_results,
            "filter": filter_string or None,
            "order_by": list(order_by or []),
            "page_token": page_token or None,
        }
        page = self._fetch(wire.SEARCH_EXPERIMENTS, request, wire.SearchExperimentsResponse)
        experiments = [convert.experiment_from_wire(e) for e in page.experiments]
        return PagedList(experiments, page.next_page_token or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        request = {"experiment_id": str(experiment_id), "new_name": new_name}
        self._call(wire.UPDATE_EXPERIMENT, request)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self._call(wire.DELETE_EXPERIMENT, {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and its runs."""
        self._call(wire.RESTORE_EXPERIMENT, {"experiment_id": str(experiment_id)})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""
        request = {"experiment_id": str(experiment_id), "key": key, "value": value}
        self._call(wire.SET_EXPERIMENT_TAG, request)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Delete a tag from an experiment."""
        self._call(wire.DELETE_EXPERIMENT_TAG, {"experiment_id": str(experiment_id), "key": key})

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Sequence[RunTag] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a run in an experiment."""
        request = {
            "experiment_id": str(experiment_id),
            "user_id": user_id,
            "start_time": start_time,
            "tags": _key_values([(t.key, t.value) for t in tags or []]),
            "run_name": run_name,
        }
        created = self._fetch(wire.CREATE_RUN, request, wire.RunResponse)
        return convert.run_from_wire(created.run)

    def get_run(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs."""
        found = self._fetch(wire.GET_RUN, {"run_id": run_id}, wire.RunResponse)
        return convert.run_from_wire(found.run)

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name and return its updated info."""
        request = {
            "run_id": run_id,
            "status": RunStatus.to_string(run_status) if run_status is not None else None,
            "end_time": end_time,
            "run_name": run_name or None,
        }
        updated = self._fetch(wire.UPDATE_RUN, request, wire.UpdateRunResponse)
        return convert.run_info_from_wire(updated.run_info)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self._call(wire.DELETE_RUN, {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        self._call(wire.RESTORE_RUN, {"run_id": run_id})

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Return a page of runs of the given experiments matching a filter."""
        request = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "filter": filter_string or None,
            "run_view_type": _view_type(run_view_type),
            "max_results": max_results,
            "order_by": list(order_by or []),
            "page_token": page_token or None,
        }
        page = self._fetch(wire.SEARCH_RUNS, request, wire.SearchRunsResponse)
        runs = [convert.run_from_wire(r) for r in page.runs]
        return PagedList(runs, page.next_page_token or None)

    # ------------------------------------------------------------------ run data
    def log_metric(self, run_id: str, metric: Metric) -> None:
        """Log one metric point; NaN and +/-Inf travel as protobuf JSON strings."""
        request = {
            "run_id": run_id,
            "key": metric.key,
            "value": codec.wire_float(metric.value),
            "timestamp": metric.timestamp,
            "step": metric.step,
            "dataset_name": metric.dataset_name,
            "dataset_digest": metric.dataset_digest,
            "model_id": metric.model_id,
        }
        self._call(wire.LOG_METRIC, request)

    def log_param(self, run_id: str, param: Param) -> None:
        """Log a param."""
        self._call(wire.LOG_PARAM, {"run_id": run_id, "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        """Set a run tag."""
        self._call(wire.SET_TAG, {"run_id": run_id, "key": tag.key, "value": tag.value})

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a run tag."""
        self._call(wire.DELETE_TAG, {"run_id": run_id, "key": key})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags in one request (the server writes all or none)."""
        request = {
            "run_id": run_id,
            "metrics": [convert.metric_to_wire(m) for m in metrics],
            "params": _key_values([(p.key, p.value) for p in params]),
            "tags": _key_values([(t.key, t.value) for t in tags]),
        }
        self._call(wire.LOG_BATCH, request)

    def record_logged_model(self, run_id: str, model_json: str) -> None:
        """Append an MLmodel description (JSON) to the run's logged-model history."""
        self._call(wire.LOG_MODEL, {"run_id": run_id, "model_json": model_json})

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Record datasets (and logged models) used by a run."""
        request = {
            "run_id": run_id,
            "datasets": [convert.dataset_input_to_wire(d) for d in datasets or []],
            "models": [{"model_id": m.model_id} for m in models or []],
        }
        self._call(wire.LOG_INPUTS, request)

    def _history_page(
        self, run_id: str, metric_key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        request = {
            "run_id": run_id,
            "metric_key": metric_key,
            "max_results": max_results,
            "page_token": page_token or None,
        }
        page = self._fetch(wire.GET_METRIC_HISTORY, request, wire.MetricsResponse)
        points = []
        for point in page.metrics:
            # History responses may leave out the run id; the local backend sets it.
            point.run_id = point.run_id or run_id
            points.append(convert.metric_from_wire(point))
        return PagedList(points, page.next_page_token or None)

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Return a metric's points in step order: one page, or every page if no page size.

        Raises:
            MlflowException: The server returned the same page token twice (it would loop).
        """
        if max_results is not None:
            return self._history_page(run_id, metric_key, max_results, page_token)
        # Servers cap the points per response, so "all of them" means following the tokens.
        page = self._history_page(run_id, metric_key, None, page_token)
        points = list(page)
        seen = {page_token}
        while page.token:
            if page.token in seen:
                raise MlflowException(
                    f"GetMetricHistory: the server at {self._base_url} returned page token "
                    f"{page.token!r} twice for metric '{metric_key}' of run {run_id}."
                )
            seen.add(page.token)
            page = self._history_page(run_id, metric_key, None, page.token)
            points.extend(page)
        return PagedList(points, None)

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Return up to ``max_results`` sampled points per run within a step range."""
        request = {
            "run_ids": list(run_ids),
            "metric_key": metric_key,
            "max_results": max_results,
            "start_step": start_step,
            "end_step": end_step,
        }
        page = self._fetch(wire.GET_METRIC_HISTORY_BULK_INTERVAL, request, wire.MetricsResponse)
        return [convert.metric_from_wire(m) for m in page.metrics]

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """Return the datasets (with contexts) used by runs of the given experiments."""
        request = {"experiment_ids": [str(e) for e in experiment_ids]}
        # MLflow's server serves this route only under /ajax-api; mltrail's serves both.
        path = wire.SEARCH_DATASETS.ajax_path
        found = self._fetch(wire.SEARCH_DATASETS, request, wire.SearchDatasetsResponse, path)
        return [
            DatasetUsage(d.experiment_id, d.name, d.digest, d.context or None)
            for d in found.dataset_summaries
        ]


_live_backends: weakref.WeakSet[RestBackend] = weakref.WeakSet()
# Clients inherited from the parent process: kept referenced so they are never closed here.
_inherited_clients: list[httpx.Client] = []


def _reset_after_fork() -> None:
    for backend in list(_live_backends):
        backend._forget_pool_after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)

if TYPE_CHECKING:  # mypy proves that RestBackend satisfies the contract
    _contract: type[TrackingAPI] = RestBackend
