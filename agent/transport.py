"""Talking to the collector over HTTP or HTTPS: enroll once, then send signed reports.

One exception, :class:`TransportError`, flagged ``transient`` (worth retrying later: no
connection, timeout, 5xx, 429, a certificate that is not the trusted one) or permanent (any other
refusal: the same request would be refused again). Redirects are not followed: a POST silently
turned into a GET by a proxy would look like success. Over HTTPS the collector's certificate is
checked against the :class:`agent.tls.Trust` kept at enrollment (the system's CA store without one);
a wrong certificate sends nothing and is the error code ``untrusted_certificate``.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, TypeVar

import msgspec

from agent.wire.schema import EnrollRequest, EnrollResponse, ReportAck
from agent.wire.signing import signed_headers

if TYPE_CHECKING:
    import requests

    from agent.tls import Trust

ENROLL_PATH = "/api/v1/enroll"
REPORTS_PATH = "/api/v1/reports"
JSON = "application/json"
T = TypeVar("T")


class TransportError(Exception):
    """The collector could not be reached or refused the request.

    ``transient``: retrying later may succeed. ``status``: the HTTP status (None when there was
    no answer). ``code``: the collector's error code ("" when it gave none).
    """

    def __init__(self, message: str, *, transient: bool, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status
        self.code = code


class _ErrorBody(msgspec.Struct):
    error: str = ""
    detail: str = ""


def enroll(server_url: str, request: EnrollRequest, timeout: float, trust: Trust | None = None) -> EnrollResponse:
    """POST the enrollment to ``{server}/api/v1/enroll``; the collector's answer (id and key)."""
    body = msgspec.json.encode(request)
    response = _post(server_url + ENROLL_PATH, body, {"Content-Type": JSON}, timeout, trust)
    return _decode_answer(response, EnrollResponse, expected=(200, 201))


def send_report(server_url: str, agent_id: str, key: str, body: bytes, timeout: float, now: float,
                trust: Trust | None = None) -> ReportAck:
    """POST ``body`` gzip-compressed (``Content-Encoding: gzip``) to ``{server}/api/v1/reports``,
    signed at ``now`` (Unix seconds) over the exact uncompressed bytes, which the collector
    verifies after gunzipping; the collector's acknowledgement (201 stored, 200 duplicate)."""
    headers = {"Content-Type": JSON, "Content-Encoding": "gzip", **signed_headers(agent_id, key, int(now), body)}
    # mtime=0: the same report compresses to the same bytes on every retry.
    response = _post(server_url + REPORTS_PATH, gzip.compress(body, compresslevel=6, mtime=0), headers, timeout,
                     trust)
    return _decode_answer(response, ReportAck, expected=(200, 201))


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, trust: Trust | None) -> requests.Response:
    # Imported here: requests (with ssl, urllib3, charset detection) is a third of the agent's
    # memory, and `agent collect` or an offline PC never sends anything.
    import requests

    from agent.tls import Trust, session_for

    try:
        with session_for(trust or Trust()) as session:
            return session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise TransportError(f"{url}: {untrusted_reason(exc, trust)}", transient=True,
                             code="untrusted_certificate") from exc
    except requests.Timeout as exc:
        raise TransportError(f"{url}: no answer within {timeout:g} s", transient=True) from exc
    except requests.ConnectionError as exc:
        raise TransportError(f"{url}: cannot connect ({_root_cause(exc)})", transient=True) from exc
    except requests.RequestException as exc:
        raise TransportError(f"{url}: {exc}", transient=False) from exc


def _decode_answer(response: requests.Response, kind: type[T], expected: tuple[int, ...]) -> T:
    if response.status_code not in expected:
        raise error_from_response(response)
    try:
        return msgspec.json.decode(response.content, type=kind)
    except msgspec.DecodeError as exc:
        raise TransportError(
            f"{response.url}: HTTP {response.status_code} but the answer is not a {kind.__name__} ({exc})",
            transient=False,
            status=response.status_code,
        ) from exc


def error_from_response(response: requests.Response) -> TransportError:
    """A TransportError for a refused request, carrying the collector's ``detail``."""
    status = response.status_code
    transient = status >= 500 or status == 429
    try:
        body = msgspec.json.decode(response.content, type=_ErrorBody)
    except msgspec.DecodeError:
        body = _ErrorBody(detail=response.text[:200].strip())
    if 300 <= status < 400:
        body.detail = f"redirected to {response.headers.get('Location', '?')}; use that server URL"
    reason = ": ".join(part for part in (body.error, body.detail) if part) or response.reason or ""
    message = f"{response.url}: HTTP {status} {reason}".rstrip()
    return TransportError(message, transient=transient, status=status, code=body.error)


def untrusted_reason(exc: BaseException, trust: Trust | None) -> str:
    """Why the TLS handshake failed, for a person: which trust was not met, then the TLS reason."""
    if trust is not None and trust.fingerprint:
        expected = f"the certificate whose SHA-256 fingerprint was pinned at enrollment ({trust.fingerprint[:16]}...)"
    elif trust is not None and trust.ca_pem:
        expected = "a certificate signed by the CA given at enrollment (--ca) for this host"
    else:
        expected = "a certificate the system trusts for this host"
    return (f"the collector's certificate is not {expected}; nothing was sent and the report stays in the spool "
            f"(if the collector's certificate changed, enroll again with the new --ca or --fingerprint) "
            f"/ chứng chỉ của máy chủ không đúng: {_root_cause(exc)}")


def _root_cause(exc: BaseException) -> str:
    """The innermost reason (e.g. "[Errno 111] Connection refused"), not urllib3's wrapping."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    if exc.args and isinstance(exc.args[-1], BaseException):
        return _root_cause(exc.args[-1])
    return str(exc)
