"""Bench-only middleware (``bench.pages_settings``): each response says how long the server
took (``X-Bench-Ms``, wall time), how much of it this thread spent on a CPU
(``X-Bench-Cpu-Ms``: what the page costs, whatever else the machine is doing), the SQL queries it
ran (``X-Bench-Queries``) and their wall time (``X-Bench-Sql-Ms``)."""

from __future__ import annotations

import time

from django.db import connection


class ServerTiming:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries, sql_seconds = 0, 0.0

        def count(execute, sql, params, many, context):
            nonlocal queries, sql_seconds
            queries += 1
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_seconds += time.perf_counter() - began

        started, cpu = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        response["X-Bench-Cpu-Ms"] = f"{(time.thread_time() - cpu) * 1000:.2f}"
        response["X-Bench-Queries"] = str(queries)
        response["X-Bench-Sql-Ms"] = f"{sql_seconds * 1000:.2f}"
        return response
