"""A worker process for the concurrency test: records each job it runs in a shared file."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from sqlalchemy.orm import Session

import resim.models  # noqa: F401 - every table, for foreign keys
from resim.config import JobsSettings
from resim.db.engine import make_engine, make_sessionmaker
from resim.jobs.worker import Worker
from resim.kit.clock import SystemClock


def main(url: str, record: str) -> None:
    def touch(_session: Session, payload: dict[str, Any]) -> None:
        time.sleep(0.002)
        with open(record, "a", encoding="utf-8") as handle:  # O_APPEND: whole lines
            handle.write(f"{payload['n']} {os.getpid()}\n")

    worker = Worker(
        make_sessionmaker(make_engine(url)), SystemClock(), JobsSettings(), {"test.touch": touch}
    )
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.5:
        if worker.run_once() is not None:
            idle_since = time.monotonic()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
