"""Runs pipec's generated Flink SQL on one local Flink mini-cluster (tests/flink_engine.rs).

Usage: python driver.py CASES.json OUT.ndjson

CASES.json holds {"cases": [{"name": ..., "statements": [...]}, ...]}: each case is one
generated script, already split into statements, reading files (the filesystem connector in
place of Kinesis). One TableEnvironment serves every case (starting one costs 15-30 s); each
case runs in its own database so that its tables and views do not meet another case's.
The sink's INSERT is not run: the driver collects the `alerts` view instead, one line per case
in OUT.ndjson: {"case": NAME, "rows": [[rule, window_start, window_end, group_key, record]]}.
"""

import json
import re
import sys
import time

from pyflink.common import Configuration
from pyflink.table import EnvironmentSettings, TableEnvironment


def environment():
    conf = Configuration()
    conf.set_string("rest.bind-address", "127.0.0.1")
    conf.set_string("rest.address", "127.0.0.1")
    conf.set_string("parallelism.default", "1")
    # Emit the watermark right after the record that raises it (a watermark generated after the
    # source is emitted at once when it advanced by more than this interval).
    conf.set_string("pipeline.auto-watermark-interval", "1 ms")
    settings = (
        EnvironmentSettings.new_instance().in_streaming_mode().with_configuration(conf)
    )
    return TableEnvironment.create(settings.build())


def code(statement):
    lines = [
        line for line in statement.splitlines() if not line.lstrip().startswith("--")
    ]
    return "\n".join(lines).strip()


SET = re.compile(r"^SET\s+'([^']+)'\s*=\s*'([^']*)';$")


def run_case(env, number, case):
    env.execute_sql(f"CREATE DATABASE IF NOT EXISTS case_{number}")
    env.execute_sql(f"USE case_{number}")
    for statement in case["statements"]:
        sql = code(statement)
        setting = SET.match(sql)
        if setting:
            # `SET` is SQL-client syntax; a TableEnvironment takes it as configuration.
            env.get_config().set(setting.group(1), setting.group(2))
        elif not sql.upper().startswith("INSERT INTO"):
            env.execute_sql(statement)
    with env.execute_sql("SELECT * FROM `alerts`").collect() as results:
        return [[None if v is None else str(v) for v in row] for row in results]


def main():
    started = time.monotonic()
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    env = environment()
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for number, case in enumerate(cases):
            t0 = time.monotonic()
            rows = run_case(env, number, case)
            line = {
                "case": case["name"],
                "rows": rows,
                "seconds": round(time.monotonic() - t0, 1),
            }
            out.write(json.dumps(line) + "\n")
            out.flush()
    print(
        f"driver: {len(cases)} cases in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
