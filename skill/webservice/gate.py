"""A WSGI gate in front of the app: each body is read first, then few requests run the app at once.

The Procfile's server (granian) hands every request to one of many Python threads as soon as its
headers have arrived; the body is read from the socket only when the app asks for it, with the
GIL released. Many threads keep slow clients from stalling the skill (a client that sends its body
a byte at a time holds one waiting thread, not a worker), but many threads running Python at once
make every request wait for the GIL in turn, and each thread would open its own SQLite connection.
So ``gated()`` (used by ``skill.app.create_served_app``, the Procfile's entry point) puts a gate in
front of the Flask app: each thread first reads the whole body
(at most ``max_body_bytes`` + 1, the webhook answers 413 beyond that), then waits for one of
``threads`` places (default ``APP_THREADS``), first come first served, and only then runs the app, on a small fixed pool
of threads that keeps its SQLite connections.
"""

from __future__ import annotations

import io
import os
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

# Enough to overlap a storage round trip with another request's Python; more only queue for the GIL.
APP_THREADS = 2

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Job:
    """One call to run on the pool; the caller waits on done (a lock held until the call has returned)."""

    __slots__ = ("call", "result", "error", "done")

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()


class Pool:
    """A fixed set of daemon threads that run calls in arrival order.

    Daemon threads, started on first use: a worker process that is asked to stop must not wait for
    idle threads (concurrent.futures' pool joins its threads at exit and so held up the server's
    graceful stop), and a process forked before first use gets threads of its own.
    """

    def __init__(self, threads: int) -> None:
        self.threads = max(1, threads)
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._started_in: int | None = None
        self._lock = threading.Lock()

    def run(self, call: Callable[[], Any]) -> Any:
        """Run call on one of the pool's threads, wait for it, and return its result (or raise its error)."""
        if self._started_in != os.getpid():
            self._start()
        job = _Job(call)
        self._jobs.put(job)
        job.done.acquire()
        if job.error is not None:
            raise job.error
        return job.result

    def _start(self) -> None:
        with self._lock:
            if self._started_in == os.getpid():
                return
            self._jobs = queue.SimpleQueue()
            for number in range(self.threads):
                threading.Thread(target=self._work, args=(self._jobs,), name=f"foot-coach-app-{number}",
                                 daemon=True).start()
            self._started_in = os.getpid()

    @staticmethod
    def _work(jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            job = jobs.get()
            try:
                job.result = job.call()
            except BaseException as err:  # noqa: BLE001  (handed to the waiting request thread)
                job.error = err
            finally:
                job.done.release()


class Gate:
    """WSGI middleware: read the body, then run the app on a pool of `threads` threads."""

    def __init__(self, app: WSGIApp, *, max_body_bytes: int, threads: int = APP_THREADS) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.pool = Pool(threads)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self._buffer_body(environ)
        status_headers: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            status_headers[:] = [status, headers, exc_info]
            return lambda data: None

        def respond() -> list[bytes]:
            result = self.app(environ, capture)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

        body: list[bytes] = self.pool.run(respond)
        start_response(*status_headers)
        return body

    def _buffer_body(self, environ: dict[str, Any]) -> None:
        """Replace wsgi.input with the body read now (up to the cap + 1 byte), in this thread."""
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and not declared.strip():
            return
        try:
            length = int(declared) if not chunked else None
        except ValueError:
            return   # the app refuses it
        if length is not None and (length < 0 or length > self.max_body_bytes):
            return   # refused by its Content-Length, without reading it
        limit = self.max_body_bytes + 1 if length is None else length
        stream = environ["wsgi.input"]
        parts, size = [], 0
        while size < limit:
            part = stream.read(limit - size)
            if not part:
                break
            parts.append(part)
            size += len(part)
        environ["wsgi.input"] = io.BytesIO(b"".join(parts))
        if chunked:
            if size <= self.max_body_bytes:
                # The whole body is here now: give it its length, as if it had been sent with one.
                environ["CONTENT_LENGTH"] = str(size)
                del environ["HTTP_TRANSFER_ENCODING"]
            else:
                environ["wsgi.input_terminated"] = True   # the webhook reads past the cap and answers 413
        # A body shorter than its Content-Length stays short: the webhook answers 400.


def gated(app: Flask, threads: int = APP_THREADS) -> Flask:
    """Put the Gate in front of app's WSGI callable (app stays a Flask app for its config and CLI)."""
    # Flask documents replacing wsgi_app with a middleware; setattr, because mypy reads it as a method.
    setattr(app, "wsgi_app", Gate(app.wsgi_app, max_body_bytes=app.config["MAX_BODY_BYTES"], threads=threads))
    return app
