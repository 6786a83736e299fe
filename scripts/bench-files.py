#!/usr/bin/env python3
"""Attachments over HTTP: uploads and downloads against a real `yimen serve` on loopback.

    python3 scripts/bench-files.py target/release/yimen [--db URL] [--clients 4] [--seconds 8]

Starts the server on a scratch store (SQLite in a temporary directory unless --db names one),
makes API tokens for a grid worker and a mediator, then for --seconds each, with --clients
threads on their own connections:

  1. uploads a photo (a PNG, with its thumbnail drawn on upload) for a grid event's photo field;
  2. uploads a 5 MiB PDF for a medical dispute's appraisal report (a personal field: sealed);
  3. downloads the photo from its case (each download recorded in the case's history first);
  4. downloads the sealed PDF from its case (opened chunk by chunk).

Prints one Markdown row per step: requests, errors, req/s, MiB/s, p50/p90/p99 ms.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib


def png(width, height):
    """A real PNG with a gradient (compresses like a photo would not, so it is large enough)."""
    import struct

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 7 + y * 3) % 256, (x * y) % 256, (x ^ y) % 256))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")


def pdf(size):
    body = b"%PDF-1.4\n% appraisal\n"
    line = b"% line of the appraisal report, padded to size\n"
    return body + line * ((size - len(body)) // len(line)) + b"%%EOF\n"


def multipart(name, ctype, data, extra=()):
    b = "yimen-bench-7f3a"
    out = b""
    for k, v in extra:
        out += f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    out += f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
    return out + data + f"\r\n--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def run(yimen, args, db, env):
    r = subprocess.run([yimen, *args, "--db", db], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"yimen {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def request(conn, method, path, token, body=None, ctype=None):
    headers = {"Authorization": f"Bearer {token}"}
    if ctype:
        headers["Content-Type"] = ctype
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def load(host, port, seconds, clients, make):
    """Runs `make(conn)` (returns (status, bytes moved)) on each client until the deadline."""
    deadline = time.monotonic() + seconds
    lat, errors, moved = [], [0], [0]
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        mine = []
        while time.monotonic() < deadline:
            t = time.monotonic()
            status, n = make(conn)
            mine.append((time.monotonic() - t) * 1000)
            with lock:
                moved[0] += n
                if status not in (200, 201):
                    errors[0] += 1
        with lock:
            lat.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(lat), errors[0], moved[0], time.monotonic() - started


def pct(v, p):
    if not v:
        return 0.0
    return v[max(0, min(len(v) - 1, int(len(v) * p / 100 + 0.999999) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("yimen")
    ap.add_argument("--db")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=8)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    db = a.db or f"sqlite://{tmp}/files.db"
    port = 20000 + os.getpid() % 20000
    env = dict(os.environ, YIMEN_MASTER_KEY_FILE=f"{tmp}/master.key", YIMEN_UPLOADS_PER_MINUTE="100000000")
    server = subprocess.Popen([a.yimen, "serve", "--db", db, "--bind", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        tokens = {}
        for user in ("grid_chen", "mediator_zhao"):
            run(a.yimen, ["user", "add", user, "--from-organisation", "--no-password", "--if-missing"], db, env)
            tokens[user] = run(a.yimen, ["user", "token", user], db, env)
        photo, report = png(1600, 1200), pdf(5 * 1024 * 1024)
        grid, med = tokens["grid_chen"], tokens["mediator_zhao"]
        up_photo, ct_photo = multipart("现场.png", "image/png", photo)
        up_pdf, ct_pdf = multipart("鉴定意见.pdf", "application/pdf", report)

        def upload(token, path, body, ctype):
            def make(conn):
                status, _ = request(conn, "POST", path, token, body, ctype)
                return status, len(body)
            return make

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, got = request(conn, "POST", "/api/v1/attachments?case_type=grid_event&field=photo", grid, up_photo, ct_photo)
        photo_id = json.loads(got)["files"][0]["id"]
        case = {"case_type": "grid_event", "channel": "grid_report", "fields": {
            "reporter": "陈网格", "location": "渔港路", "category": "safety", "description": "路灯杆倾斜", "photo": [photo_id]}}
        status, got = request(conn, "POST", "/api/v1/cases", grid, json.dumps(case).encode(), "application/json")
        grid_case = json.loads(got)["id"]
        status, got = request(conn, "POST", "/api/v1/cases", med, json.dumps({
            "case_type": "medical_dispute", "channel": "window_medical", "fields": {
                "patient": "林某", "patient_phone": "13700137000", "hospital": "普陀区人民医院", "facts": "术后感染"}}).encode(),
            "application/json")
        med_case = json.loads(got)["id"]
        body, ctype = multipart("鉴定意见.pdf", "application/pdf", report, [("field", "appraisal_report")])
        status, got = request(conn, "POST", f"/api/v1/cases/{med_case}/attachments", med, body, ctype)
        pdf_id = json.loads(got)["fields"]["appraisal_report"][0]

        def download(token, path, size):
            def make(conn):
                status, data = request(conn, "GET", path, token)
                return status, len(data) if status == 200 else 0
            return make

        steps = [
            (f"upload a {len(photo) // 1024} KiB PNG (thumbnail drawn)", upload(grid, "/api/v1/attachments?case_type=grid_event&field=photo", up_photo, ct_photo)),
            ("upload a 5 MiB PDF (personal: sealed)", upload(med, "/api/v1/attachments?case_type=medical_dispute&field=appraisal_report", up_pdf, ct_pdf)),
            ("download the PNG (recorded)", download(grid, f"/api/v1/cases/{grid_case}/attachments/{photo_id}", len(photo))),
            ("download the sealed PDF (recorded)", download(med, f"/api/v1/cases/{med_case}/attachments/{pdf_id}", len(report))),
        ]
        print("| step | backend | clients | requests | errors | req/s | MiB/s | p50 ms | p90 ms | p99 ms |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        backend = "postgres" if db.startswith("postgres") else "sqlite"
        for name, make in steps:
            lat, errors, moved, secs = load("127.0.0.1", port, a.seconds, a.clients, make)
            print(f"| {name} | {backend} | {a.clients} | {len(lat)} | {errors} | {len(lat) / secs:.1f} | "
                  f"{moved / secs / 1048576:.1f} | {pct(lat, 50):.1f} | {pct(lat, 90):.1f} | {pct(lat, 99):.1f} |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
