"""The sandbox's state: its profile pool, the calls it answered, the faults it was told to play.

SQLite from the standard library, one file (or memory), one lock: the sandbox is small and its
answers must be consistent under concurrent calls.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS profile (
    iccid TEXT PRIMARY KEY,
    imsi TEXT NOT NULL UNIQUE,
    profile_type TEXT NOT NULL,
    state TEXT NOT NULL,
    eid TEXT,
    matching_id TEXT UNIQUE,
    confirmation_code_hash TEXT,
    confirmation_failures INTEGER NOT NULL DEFAULT 0,
    ki TEXT NOT NULL,
    opc TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS profile_pool ON profile (profile_type, state);
CREATE TABLE IF NOT EXISTS answered (
    requester TEXT NOT NULL,
    call_id TEXT NOT NULL,
    function TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (requester, call_id)
);
CREATE TABLE IF NOT EXISTS fault (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    kind TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    params TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notification (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
"""


@dataclass
class Profile:
    iccid: str
    imsi: str
    profile_type: str
    state: str
    eid: str | None
    matching_id: str | None
    confirmation_code_hash: str | None
    confirmation_failures: int
    ki: str
    opc: str
    updated_at: str


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One function's work, all or nothing, one at a time."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # Profiles.

    def profile(self, db: sqlite3.Connection, iccid: str) -> Profile | None:
        row = db.execute("SELECT * FROM profile WHERE iccid = ?", (iccid,)).fetchone()
        return Profile(**dict(row)) if row else None

    def by_matching_id(self, db: sqlite3.Connection, matching_id: str) -> Profile | None:
        row = db.execute("SELECT * FROM profile WHERE matching_id = ?", (matching_id,)).fetchone()
        return Profile(**dict(row)) if row else None

    def first_available(self, db: sqlite3.Connection, profile_type: str) -> Profile | None:
        row = db.execute(
            "SELECT * FROM profile WHERE profile_type = ? AND state = 'Available' "
            "ORDER BY iccid LIMIT 1",
            (profile_type,),
        ).fetchone()
        return Profile(**dict(row)) if row else None

    def has_type(self, db: sqlite3.Connection, profile_type: str) -> bool:
        found = db.execute(
            "SELECT 1 FROM profile WHERE profile_type = ? LIMIT 1", (profile_type,)
        ).fetchone()
        return found is not None

    def save(self, db: sqlite3.Connection, profile: Profile) -> None:
        fields = vars(profile)
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        db.execute(
            f"INSERT OR REPLACE INTO profile ({columns}) VALUES ({marks})",  # noqa: S608 - fixed names
            tuple(fields.values()),
        )

    def profiles(self, profile_type: str | None = None) -> list[Profile]:
        with self._lock:
            query, args = "SELECT * FROM profile", tuple[str, ...]()
            if profile_type:
                query, args = query + " WHERE profile_type = ?", (profile_type,)
            rows = self._db.execute(query + " ORDER BY iccid", args).fetchall()
        return [Profile(**dict(r)) for r in rows]

    def count_by_state(self, profile_type: str) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM profile WHERE profile_type = ? GROUP BY state",
                (profile_type,),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    # Answers already given, by functionCallIdentifier.

    def answered(
        self, db: sqlite3.Connection, requester: str, call_id: str
    ) -> tuple[str, dict[str, Any]] | None:
        row = db.execute(
            "SELECT function, response FROM answered WHERE requester = ? AND call_id = ?",
            (requester, call_id),
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def remember(
        self,
        db: sqlite3.Connection,
        requester: str,
        call_id: str,
        function: str,
        response: dict[str, Any],
    ) -> None:
        db.execute(
            "INSERT INTO answered (requester, call_id, function, response) VALUES (?, ?, ?, ?)",
            (requester, call_id, function, json.dumps(response)),
        )

    # Faults to play.

    def add_fault(self, function: str, kind: str, count: int, params: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO fault (function, kind, remaining, params) VALUES (?, ?, ?, ?)",
                (function, kind, count, json.dumps(params)),
            )

    def clear_faults(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM fault")

    def take_fault(self, function: str) -> tuple[str, dict[str, Any]] | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, kind, params FROM fault WHERE function IN (?, '*') AND remaining > 0 "
                "ORDER BY id LIMIT 1",
                (function,),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE fault SET remaining = remaining - 1 WHERE id = ?", (row[0],))
            return row[1], json.loads(row[2])

    # Notifications to the operator, kept until delivered.

    def queue_notification(self, db: sqlite3.Connection, body: dict[str, Any]) -> int:
        cursor = db.execute("INSERT INTO notification (body) VALUES (?)", (json.dumps(body),))
        return int(cursor.lastrowid or 0)

    def pending_notifications(self) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM notification WHERE delivered = 0 ORDER BY id"
            ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def mark_notification(self, ident: int, *, delivered: bool, error: str | None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE notification SET delivered = ?, tries = tries + 1, last_error = ? "
                "WHERE id = ?",
                (int(delivered), error, ident),
            )
