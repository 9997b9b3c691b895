"""The servers in front of the app, and the limits every request meets before the app reads
anything of it.

Threats (all from a client with no account): a huge or endless body (memory, disk), many
half-sent bodies at once (the disk: each is spooled to a temporary file while it arrives), a
client that sends a byte every few seconds (a thread, or a connection slot, held for hours).
What holds:
- a body limit per kind of request, known from the request line alone: an upload may send
  `[web] upload_request_mb`, every other request (the login included) `form_kb`; a larger
  declared `Content-Length` is refused before a byte of the body is read;
- one budget for every body being received at once (`spool_mb`): a request whose declared
  length does not fit is refused at once (503), never spooled;
- a deadline for each request's headers and body (a generous minimum rate), after which the
  connection is closed.
waitress (HTTP) receives bodies in its event loop, so a slow body never holds a thread; its
parser is taught the limits, the budget and the deadline. cheroot (HTTPS) reads in a worker
thread: it gets many more threads, a socket timeout, a deadline on the headers, and the app's
body guard (`BodyGuard`) for the limits, the budget and the deadline on the body.
"""
from __future__ import annotations

import math
import socket
import threading
import time

from ..config import WebOptions

HEADER_SECONDS = 20.0           # the request line and headers, whatever the client
BODY_SECONDS = 30.0             # a body gets this long, plus its size at MIN_RATE
MIN_RATE = 16 * 1024            # bytes per second: a phone on a bad office Wi-Fi does better
MULTIPART_SLACK = 1024 * 1024   # an upload's form fields and part headers around its files
HTTPS_MIN_THREADS = 64          # cheroot holds a thread per request being read


def body_limit(web: WebOptions, method: str, path: str) -> int:
    """The largest body a request may send, from its request line alone."""
    if method == "POST" and path.rstrip("/") == "/upload":
        return web.upload_request_bytes + MULTIPART_SLACK
    return web.form_bytes


def body_deadline(size: int, now: float) -> float:
    return now + BODY_SECONDS + size / MIN_RATE


class BodyBudget:
    """Bytes of request bodies being received at once, all connections together."""

    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def reserve(self, size: int) -> bool:
        with self._lock:
            if self.held + size > self.limit:
                return False
            self.held += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self.held = max(0, self.held - size)


class DeadlineInput:
    """wsgi.input that gives up past its deadline (as if the client had gone: a 400, and the
    connection closed): a client sending a byte every few seconds cannot hold a thread for
    longer."""

    def __init__(self, stream, deadline: float):
        self.stream, self.deadline = stream, deadline

    def _check(self):
        if time.monotonic() > self.deadline:
            self._gone()

    def read(self, *a):
        self._check()
        try:
            out = self.stream.read(*a)
        except OSError:                  # cut off by the server at the deadline
            self._gone()
        self._check()
        return out

    def readline(self, *a):
        self._check()
        try:
            return self.stream.readline(*a)
        except OSError:
            self._gone()

    @staticmethod
    def _gone():
        from werkzeug.exceptions import ClientDisconnected
        raise ClientDisconnected()

    def readlines(self, *a):
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")


class BodyGuard:
    """WSGI middleware: where the server does not receive bodies itself (cheroot; Flask's test
    client), the budget and the body's deadline. Limits per request kind are the app's
    (`request.max_content_length`, set by the request frame before anything is read)."""

    def __init__(self, app, web: WebOptions, budget: BodyBudget):
        self.app, self.web, self.budget = app, web, budget
        self.server_spools = False          # waitress: its parser did all this already

    def __call__(self, environ, start_response):
        if self.server_spools:
            return self.app(environ, start_response)
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        limit = body_limit(self.web, environ.get("REQUEST_METHOD", ""),
                           environ.get("PATH_INFO", ""))
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            size = limit
        held = 0
        if 0 < size <= limit:
            if self.budget.reserve(size):
                held = size
            else:
                environ["yingjian.busy"] = True
        if size > 0 and "wsgi.input" in environ:
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"],
                                                  body_deadline(size, time.monotonic()))
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self.budget.release(held)
            raise
        return _Closing(result, lambda: self.budget.release(held))


class _Closing:
    """A WSGI response that runs `on_close` once the server is done with it."""

    def __init__(self, result, on_close):
        self.result, self.on_close = result, on_close

    def __iter__(self):
        return iter(self.result)

    def close(self):
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            self.on_close()
            self.on_close = lambda: None


# -- HTTP: waitress ------------------------------------------------------------------------------

def _waitress_classes(web: WebOptions, budget: BodyBudget, busy_text: str, large_text: str):
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.utilities import Error, RequestEntityTooLarge

    class Busy(Error):
        code = 503
        reason = "Service Unavailable"

    class LimitedParser(HTTPRequestParser):
        """waitress's parser, refusing a body too large for its request, or one that does not
        fit the budget, before receiving any of it; and with a deadline."""
        held = 0

        def __init__(self, adj):
            super().__init__(adj)
            self.deadline = time.monotonic() + HEADER_SECONDS

        def received(self, data):
            was_in_header = not self.headers_finished
            n = super().received(data)
            if was_in_header and self.headers_finished and self.error is None \
                    and not self.completed:
                limit = body_limit(web, self.command, self.path)
                size = limit if self.chunked else self.content_length
                if self.content_length > limit:
                    self._refuse(RequestEntityTooLarge(large_text))
                elif not budget.reserve(size):
                    self._refuse(Busy(busy_text))
                else:
                    self.held = size
                    self.deadline = body_deadline(size, time.monotonic())
            elif self.chunked and self.body_bytes_received > body_limit(web, self.command,
                                                                        self.path):
                self._refuse(RequestEntityTooLarge(large_text))
            if self.completed:
                self.deadline = math.inf
            return n

        def _refuse(self, error) -> None:
            self.error, self.completed, self.connection_close = error, True, True
            self.expect_continue = False          # no "100 Continue" for a refused body
            self.release()

        def release(self) -> None:
            if self.held:
                budget.release(self.held)
                self.held = 0

        def close(self):
            self.release()
            super().close()

    class LimitedChannel(HTTPChannel):
        parser_class = LimitedParser

        def handle_close(self):
            if self.request is not None:      # a body never finished: its spool goes now
                self.request.close()
                self.request = None
            super().handle_close()

    return LimitedChannel


def make_http_server(app, host: str, port: int, threads: int, web: WebOptions,
                     busy_text: str = "", large_text: str = ""):
    """waitress with the limits above: returns the server (run(), close(), effective_port)."""
    from waitress import create_server

    guard = app.extensions.get("yingjian.guard")
    budget = guard.budget if guard is not None else BodyBudget(web.spool_bytes)
    server = create_server(
        app, host=host, port=port, threads=threads, ident="yingjian",
        max_request_body_size=web.upload_request_bytes + MULTIPART_SLACK + 1,
        channel_timeout=60, cleanup_interval=5, connection_limit=1000)
    if guard is not None:
        guard.server_spools = True
    server.channel_class = _waitress_classes(web, budget, busy_text, large_text)
    plain_maintenance = server.maintenance

    def maintenance(now):
        plain_maintenance(now)
        mono = time.monotonic()
        for channel in list(server.active_channels.values()):
            req = channel.request
            if req is not None and not channel.requests and getattr(req, "deadline", math.inf) < mono:
                channel.will_close = True          # headers or body past their deadline
    server.maintenance = maintenance
    return server


# -- HTTPS: cheroot ------------------------------------------------------------------------------

def make_https_server(app, host: str, port: int, threads: int, certfile: str, keyfile: str):
    """cheroot over Python's ssl (TLS 1.2 at least), with enough threads for clients that read
    slowly, a socket timeout, and a deadline on each request's headers (the body's is the
    app's BodyGuard)."""
    import ssl

    from cheroot import server as cheroot_server, wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    class DeadlineRequest(cheroot_server.HTTPRequest):
        def parse_request(self):
            raw = self.conn.socket
            timer = threading.Timer(HEADER_SECONDS, _cut, (raw,))
            timer.daemon = True
            timer.start()
            try:
                return super().parse_request()
            finally:
                timer.cancel()

        def respond(self):
            """The body's deadline: a read blocked on a client that sends a byte now and then
            is only ended by closing the socket, and only while the body is unfinished."""
            try:
                size = int(self.inheaders.get(b"Content-Length", b"0") or 0)
            except ValueError:
                size = 0
            if size <= 0:
                return super().respond()
            raw = self.conn.socket

            def cut():
                if getattr(self.rfile, "remaining", 0):
                    _cut(raw)
            timer = threading.Timer(body_deadline(size, 0.0), cut)
            timer.daemon = True
            timer.start()
            try:
                return super().respond()
            finally:
                timer.cancel()

    class DeadlineConnection(cheroot_server.HTTPConnection):
        RequestHandlerClass = DeadlineRequest

    server = wsgi.Server((host, port), app, numthreads=max(threads, HTTPS_MIN_THREADS),
                         server_name="yingjian", timeout=10)
    server.ConnectionClass = DeadlineConnection
    guard = app.extensions.get("yingjian.guard")
    if guard is not None:               # cheroot's own check of Content-Length, before reading
        server.max_request_body_size = guard.web.upload_request_bytes + MULTIPART_SLACK
    server.ssl_adapter = BuiltinSSLAdapter(certfile, keyfile)
    server.ssl_adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    return server


def _cut(sock) -> None:
    """End a connection whose headers are past their deadline: its blocked read returns."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass
