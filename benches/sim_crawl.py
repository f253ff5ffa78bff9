#!/usr/bin/env python3
"""Crawl every provisioning log record of a running `provctl sim serve` over plain HTTP.

Follows @odata.nextLink from `/v1.0/auditLogs/provisioning?$top=N` on one keep-alive connection,
counts records and unique ids, and prints wall time, time spent waiting for the emulator (request
sent -> body read) vs. parsing JSON here, and records/s. Standard library only.

usage: sim_crawl.py HTTP_BASE TENANT CLIENT_ID SECRET [TOP]
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    base, tenant, client_id, secret = sys.argv[1:5]
    top = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default"})
    conn.request("POST", f"/{tenant}/oauth2/v2.0/token", form,
                 {"Content-Type": "application/x-www-form-urlencoded"})
    token = json.loads(conn.getresponse().read())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/v1.0/auditLogs/provisioning?$top={top}"
    records = pages = nbytes = 0
    ids = set()
    wait = parse = 0.0
    begin = time.perf_counter()
    while path:
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        t1 = time.perf_counter()
        if r.status != 200:
            sys.exit(f"HTTP {r.status} on page {pages + 1}: {body[:300]!r}")
        page = json.loads(body)
        values = page["value"]
        ids.update(v["id"] for v in values)
        t2 = time.perf_counter()
        wait += t1 - t0
        parse += t2 - t1
        records += len(values)
        pages += 1
        nbytes += len(body)
        link = page.get("@odata.nextLink")
        path = None
        if link:
            s = urllib.parse.urlsplit(link)
            path = f"{s.path}?{s.query}"
    wall = time.perf_counter() - begin
    print(f"records {records} (unique ids {len(ids)}) in {pages} pages, {nbytes / 1e6:.0f} MB")
    print(f"wall {wall:.1f} s = {records / wall:,.0f} records/s; "
          f"emulator (send->body read) {wait:.1f} s = {records / wait:,.0f} records/s; "
          f"client JSON parse {parse:.1f} s")


if __name__ == "__main__":
    main()
