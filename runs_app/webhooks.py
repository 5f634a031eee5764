"""One webhook POST, guarded: the host is resolved when sending and every address it resolves to
must be public (no loopback, private, link-local, metadata, multicast or reserved address)
unless the host or address is in ``HUB_WEBHOOK_ALLOWED_HOSTS``; the connection goes to the
address that was checked (a second lookup cannot swap it); redirects are not followed.

``post`` never raises: it answers (status code or None, error text)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings


class Refused(Exception):
    """The webhook may not be sent there; retrying will not help."""


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, str, bool]:
    """(status code or None, error, final): ``final`` is True when retrying cannot help."""
    try:
        scheme, host, port, path = _parts(url)
        address = _checked_address(host, port)
        code = _send(scheme, host, address, port, path, body, headers)
    except Refused as refused:
        return None, str(refused)[:500], True
    except TimeoutError:
        return None, "timed out", False
    except http.client.HTTPException as exc:  # a bad status line, headers, a cut answer
        return None, f"malformed response: {type(exc).__name__} {exc}"[:500], False
    except (OSError, ValueError, UnicodeError) as exc:
        reason = str(getattr(exc, "reason", "") or exc) or type(exc).__name__
        return None, ("timed out" if "timed out" in reason else reason)[:500], False
    if 300 <= code < 400:
        return code, f"HTTP {code}: redirects are not followed", False
    return code, "" if 200 <= code < 300 else f"HTTP {code}", False


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https webhooks are allowed")
    if not parts.hostname:
        raise Refused("invalid URL: no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _checked_address(host: str, port: int) -> str:
    allowed = {h.lower() for h in settings.HUB_WEBHOOK_ALLOWED_HOSTS}
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"host {host} does not resolve: {exc.strerror}") from None
    addresses = [info[4][0] for info in found]
    if host.lower() not in allowed:
        for address in addresses:
            kind = _not_public(ipaddress.ip_address(address.split("%")[0]))
            if kind and address not in allowed:
                raise Refused(
                    f"refused: {host} resolves to {address}, a {kind} address; "
                    "list it in HUB_WEBHOOK_ALLOWED_HOSTS to allow it"
                )
    return addresses[0]


def _not_public(ip) -> str:
    """What kind of non-public address ``ip`` is ("" when it is public)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind, test in (
        ("loopback", ip.is_loopback),
        ("link-local (metadata)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("non-public", not ip.is_global),
    ):
        if test:
            return kind
    return ""


def _send(scheme, host, address, port, path, body, headers) -> int:
    timeout = settings.HUB_WEBHOOK_TIMEOUT_SECONDS
    if scheme == "https":
        connection = _PinnedHTTPS(host, address, port, timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        netloc = host if port in (80, 443) else f"{host}:{port}"
        if ":" in host:
            netloc = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
        connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", netloc)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified for the host name."""

    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
