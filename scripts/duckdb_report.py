#!/usr/bin/env python3
"""The peer benchmark: DuckDB reading the same JSON Lines ledger and grouping by team.

Usage: duckdb_report.py LEDGER_DIR [RUNS]
Prints one line per run: `duckdb_seconds <wall>` (the query only, after import),
then the result rows of the last run. Needs `pip install duckdb`.
"""
import sys
import time

import duckdb

ledger = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
query = f"""
SELECT tags.team AS team,
       sum(coalesce(requests, 1)) AS requests,
       sum(input_tokens) AS input_tokens,
       sum(coalesce(cached_input_tokens, 0)) AS cached_input_tokens,
       sum(coalesce(cache_write_tokens, 0)) AS cache_write_tokens,
       sum(output_tokens) AS output_tokens
FROM read_json('{ledger}/**/*.jsonl', format='newline_delimited',
               columns={{ts: 'VARCHAR', provider: 'VARCHAR', model: 'VARCHAR', requests: 'BIGINT',
                         input_tokens: 'BIGINT', cached_input_tokens: 'BIGINT',
                         cache_write_tokens: 'BIGINT', output_tokens: 'BIGINT',
                         tags: 'STRUCT(team VARCHAR)'}})
GROUP BY 1 ORDER BY 1
"""
con = duckdb.connect()
rows = None
for _ in range(runs):
    start = time.perf_counter()
    rows = con.execute(query).fetchall()
    print(f"duckdb_seconds {time.perf_counter() - start:.4f}", flush=True)
for row in rows:
    print(row)
