"""The page's HTTP server (the standard library's): the page, its shipped files, and two JSON answers.

GET /                          the page
GET /static/NAME               its script, style, the vendored d3-geo, topojson-client, world map
GET /api/changes?since=N       articles (with their events) changed after change N (store.py)
GET /api/event?article=ID&index=I   one event's sentence, with its trigger, actors and place marked
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

from workers.dashboard.store import Store
from workers.feed import FeedError, Payload, decode

STATIC = Path(__file__).with_name("static")
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
log = logging.getLogger(__name__)


def follow(store: Store, payloads: Iterable[Payload]) -> None:
    """Feed the store; a payload that is no enriched record is counted and logged, never shown."""
    for origin, payload in payloads:
        try:
            store.put(decode(origin, payload))
        except FeedError as exc:
            store.rejected += 1
            log.warning("%s", exc)


class Dashboard(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: Store, hours: float) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.store = store
        self.hours = hours

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self, payloads: Iterable[Payload] | None = None) -> Dashboard:
        """Serve on a thread, and read `payloads` (a feed to follow) on another; `shutdown()` stops
        serving."""
        if payloads is not None:
            threading.Thread(target=follow, args=(self.store, payloads), daemon=True, name="feed").start()
        threading.Thread(target=self.serve_forever, daemon=True, name="http").start()
        return self


class Handler(BaseHTTPRequestHandler):
    server: Dashboard

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/":
                html = (STATIC / "index.html").read_text(encoding="utf-8")
                self._send(html.replace("{{HOURS}}", f"{self.server.hours:g}").encode(), "text/html")
            elif url.path.startswith("/static/"):
                self._static(url.path.removeprefix("/static/"))
            elif url.path == "/api/changes":
                self._json(self.server.store.changes(int(query.get("since", 0))))
            elif url.path == "/api/event":
                found = self.server.store.sentence(query.get("article", ""), int(query.get("index", -1)))
                self._json(found) if found else self.send_error(HTTPStatus.NOT_FOUND)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST)

    def _static(self, name: str) -> None:
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self._send(path.read_bytes(), TYPES.get(path.suffix, "application/octet-stream"))

    def _json(self, value: object) -> None:
        self._send(orjson.dumps(value), "application/json")

    def _send(self, body: bytes, kind: str) -> None:
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 1024:
            body = gzip.compress(body, compresslevel=5)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Encoding", "gzip")
        else:
            self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet: the page polls every second or two
        log.debug(format, *args)
