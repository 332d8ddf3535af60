#!/usr/bin/env python3
"""A scripted STS stand-in for the reliability and hostile-input tests.

It listens on 127.0.0.1 only and responds to every POST / with the next
entry of a JSON script file.  The file is read again on each request, so
a test can change it between runs.  The emulator checks signatures and plays the real
service; this server instead sends exactly the bytes a test requests,
including responses that no real service sends.

Script file: a JSON list of responses.  Request N gets entry N-1, and the
last entry repeats.  Each entry is an object with:
  status        HTTP status (default 200)
  body          the body as text (UTF-8), or
  body_hex      the body as hex, for bytes that are not UTF-8, or
  success       true: an AssumeRole success body with fresh values and an
                ExpiredTime one hour ahead; "credentials" (an object) sets
                fields of Credentials and "response" fields of Response,
                where a null value removes the field
  error         [CODE, MESSAGE]: an STS error body
  headers       list of [name, value] pairs
  date_offset   send a Date header this many seconds off the local clock
                (without it, no Date header is sent)
  truncate      send only this many bytes of the body, then close

A second port accepts TCP connections and never sends a byte, for
connect timeouts.  Control requests: GET /__count prints the number of STS
requests, POST /__reset sets it to 0.

Usage: scripted_sts.py CERT KEY PORT_FILE SCRIPT_FILE
PORT_FILE receives "HTTPS_PORT SILENT_PORT" (written with a rename).
"""

import email.utils
import http.server
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time


def merge(target, overrides):
    for name, value in overrides.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value


def success_body(entry):
    credentials = {
        "TmpSecretId": "AKIDscripted0123456789",
        "TmpSecretKey": "scriptedSecretKey0123456789",
        "Token": "scriptedToken0123456789",
    }
    merge(credentials, entry.get("credentials", {}))
    expired = int(time.time()) + 3600
    response = {
        "Credentials": credentials,
        "ExpiredTime": expired,
        "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                    time.gmtime(expired)),
        "RequestId": "scripted-request"}
    merge(response, entry.get("response", {}))
    return json.dumps({"Response": response})


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path == "/__count":
            with self.server.lock:
                count = self.server.count
            self.reply(200, ("%d\n" % count).encode())
        else:
            self.reply(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        self.rfile.read(min(length, 1 << 20))
        if self.path == "/__reset":
            with self.server.lock:
                self.server.count = 0
            self.reply(200, b"ok\n")
            return
        with self.server.lock:
            self.server.count += 1
            index = self.server.count - 1
        with open(self.server.script_path, encoding="utf-8") as f:
            script = json.load(f)
        entry = script[min(index, len(script) - 1)]
        self.answer(entry)

    def answer(self, entry):
        if entry.get("success"):
            body = success_body(entry).encode()
        elif "error" in entry:
            code, message = entry["error"]
            body = json.dumps({"Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": "scripted-request"}}).encode()
        elif "body_hex" in entry:
            body = bytes.fromhex(entry["body_hex"])
        else:
            body = entry.get("body", "").encode("utf-8")
        self.send_response_only(entry.get("status", 200))
        if "date_offset" in entry:
            self.send_header("Date", email.utils.formatdate(
                time.time() + entry["date_offset"], usegmt=True))
        for name, value in entry.get("headers", []):
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        truncate = entry.get("truncate")
        if truncate is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body if truncate is None else body[:truncate])
        self.wfile.flush()
        if truncate is not None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def reply(self, status, body):
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, context, script_path):
        self.context = context
        self.script_path = script_path
        self.lock = threading.Lock()
        self.count = 0
        super().__init__(("127.0.0.1", 0), Handler)

    def server_bind(self):
        # No getfqdn(): it could ask a DNS server.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def get_request(self):
        sock, address = self.socket.accept()
        # Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add about
        # 40 ms to each TLS handshake.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(30)
        return self.context.wrap_socket(sock, server_side=True), address


def hold_connections(listener):
    """Accept connections and keep them open without a byte of reply."""
    open_connections = []
    while True:
        conn, _ = listener.accept()
        open_connections.append(conn)


def main():
    cert, key, port_file, script_path = sys.argv[1:5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(context, script_path)

    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    threading.Thread(target=hold_connections, args=(silent,),
                     daemon=True).start()

    with open(port_file + ".tmp", "w") as f:
        f.write("%d %d\n" % (server.server_port, silent.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
