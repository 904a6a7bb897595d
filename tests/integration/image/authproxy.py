"""A small HTTP proxy in front of a registry, for the auth and failure
tests: it can demand Bearer tokens (with its own token endpoint) or Basic
credentials, fail the first requests with 503/429, or cut a blob
download in the middle and then stop answering altogether."""
import base64
import http.client
import http.server
import json
import secrets
import socketserver
import threading


class Proxy:
    def __init__(self, upstream_port, mode="bearer", user="alice", password="s3cret"):
        self.upstream_port = upstream_port
        self.mode = mode            # "bearer", "basic" or "none"
        self.user, self.password = user, password
        self.tokens = {}            # token -> scope
        self.token_requests = []    # scopes asked for
        self.fail_blob_gets = 0     # answer this many blob GETs with 503
        self.fail_status = 503
        self.cut_blob_after = None  # send this many bytes of a blob, then die
        self.corrupt_blobs = False  # flip a byte in every blob sent
        self.slow_blobs = 0.0       # seconds between 64 KiB pieces of a blob
        self.requests = []
        self.server = None

    # -- auth --
    def basic_ok(self, h):
        if not h or not h.startswith("Basic "):
            return False
        try:
            u, p = base64.b64decode(h[6:]).decode().split(":", 1)
        except Exception:
            return False
        return (u, p) == (self.user, self.password)

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, code, body=b"", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def token(self):
                from urllib.parse import urlparse, parse_qs
                q = parse_qs(urlparse(self.path).query)
                scope = q.get("scope", [""])[0]
                proxy.token_requests.append(scope)
                if not proxy.basic_ok(self.headers.get("Authorization")):
                    return self.reply(401, b'{"details":"bad credentials"}')
                t = secrets.token_hex(16)
                proxy.tokens[t] = scope
                self.reply(200, json.dumps({"token": t, "expires_in": 300}).encode(),
                           [("Content-Type", "application/json")])

            def authorized(self):
                h = self.headers.get("Authorization")
                if proxy.mode == "none":
                    return True
                if proxy.mode == "basic":
                    if proxy.basic_ok(h):
                        return True
                    self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"x"}]}',
                               [("WWW-Authenticate", 'Basic realm="test"')])
                    return False
                if h and h.startswith("Bearer ") and h[7:] in proxy.tokens:
                    parts = self.path.split("/")
                    scope = proxy.tokens[h[7:]]
                    # /v2/<repo>/... must match the token's repository
                    if self.path in ("/v2/", "/v2") or len(parts) < 4:
                        return True
                    repo = "/".join(parts[2:-2]) if parts[-2] in ("blobs", "manifests", "uploads") \
                        else "/".join(parts[2:-3])
                    if f"repository:{repo}:" in scope:
                        return True
                port = self.server.server_address[1]
                self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}',
                           [("WWW-Authenticate",
                             f'Bearer realm="http://127.0.0.1:{port}/token",service="test"')])
                return False

            def forward(self):
                proxy.requests.append((self.command, self.path))
                if self.path.startswith("/token"):
                    return self.token()
                if not self.authorized():
                    return
                is_blob_get = self.command == "GET" and "/blobs/sha256:" in self.path
                if is_blob_get and proxy.fail_blob_gets > 0:
                    proxy.fail_blob_gets -= 1
                    return self.reply(proxy.fail_status, b"busy", [("Retry-After", "0")])
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                c = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("authorization", "connection")}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read() if self.command != "HEAD" else b""
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                length = r.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
                if length is not None:
                    self.send_header("Content-Length", length)
                self.end_headers()
                if self.command == "HEAD":
                    return
                if is_blob_get and proxy.corrupt_blobs and data:
                    data = bytes([data[0] ^ 0xff]) + data[1:]
                if is_blob_get and proxy.slow_blobs:
                    import time
                    try:
                        for i in range(0, len(data), 65536):
                            self.wfile.write(data[i:i + 65536])
                            self.wfile.flush()
                            time.sleep(proxy.slow_blobs)
                    except OSError:
                        pass
                    return
                if is_blob_get and proxy.cut_blob_after is not None:
                    self.wfile.write(data[:proxy.cut_blob_after])
                    self.wfile.flush()
                    self.close_connection = True
                    # the registry "disappears": stop listening for good
                    threading.Thread(target=proxy.stop, daemon=True).start()
                    return
                self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.server:
            s, self.server = self.server, None
            s.shutdown()
            s.server_close()
