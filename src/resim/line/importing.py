"""Bulk import of lines (and their holders) from CSV: all rows or none.

Every row is validated first; then all are written in the caller's transaction, each in a
savepoint so a conflict (a number already registered) is reported with its row number.
If any row is rejected the caller rolls the whole import back.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from resim.audit.service import Actor
from resim.customer import service as customers
from resim.customer.schemas import NewCustomer
from resim.errors import AppError
from resim.line import service as lines
from resim.line.schemas import NewLine

COLUMNS = [
    "msisdn",
    "iccid",
    "imsi",
    "eid",
    "plan_code",
    "plan_valid_until",
    "billing",
    "credit_cents",
    "state",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "birthplace_code",
    "codice_fiscale",
    "email",
    "alt_phone",
    "language",
]
OPTIONAL = ["reseller_order", "ported_in_on", "email_changed_on", "alt_phone_changed_on"]
LINE_FIELDS = {
    "reseller_order",
    "ported_in_on",
    "msisdn",
    "iccid",
    "imsi",
    "eid",
    "plan_code",
    "plan_valid_until",
    "billing",
    "credit_cents",
    "state",
}


@dataclass(frozen=True)
class Rejected:
    row: int  # the line number in the file, the header being line 1
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    customers_created: int = 0
    rejected: list[Rejected] | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "row"
        raw = (error.get("ctx") or {}).get("error")
        message = getattr(raw, "message", None) or error["msg"]
        parts.append(f"{field}: {message}")
    return "; ".join(parts)


def parse_rows(
    text_lines: Iterable[str],
) -> tuple[list[tuple[int, NewLine, NewCustomer]], list[Rejected]]:
    reader = csv.DictReader(text_lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [Rejected(1, "missing columns: " + ", ".join(missing))]
    good: list[tuple[int, NewLine, NewCustomer]] = []
    bad: list[Rejected] = []
    seen: dict[str, int] = {}
    for record in reader:
        row = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k in COLUMNS + OPTIONAL}
        line_part = {k: v or None for k, v in values.items() if k in LINE_FIELDS}
        line_part = {k: v for k, v in line_part.items() if v is not None}
        cust_part = {k: v for k, v in values.items() if k not in LINE_FIELDS and v}
        try:
            new_line = NewLine.model_validate(line_part)
            new_customer = NewCustomer.model_validate(cust_part)
        except ValidationError as exc:
            bad.append(Rejected(row, _reason(exc)))
            continue
        for key in (new_line.msisdn, new_line.iccid):
            if key in seen:
                bad.append(Rejected(row, f"{key} repeats row {seen[key]}"))
                break
            seen[key] = row
        else:
            good.append((row, new_line, new_customer))
    return good, bad


def import_rows(
    session: Session,
    tenant_id: uuid.UUID,
    rows: list[tuple[int, NewLine, NewCustomer]],
    *,
    at: dt.datetime,
    actor: Actor,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    report = ImportReport(rows=len(rows), rejected=[])
    assert report.rejected is not None
    for row, new_line, new_customer in rows:
        try:
            with session.begin_nested():
                customer = customers.find_by_codice_fiscale(
                    session, tenant_id, new_customer.codice_fiscale
                )
                if customer is None:
                    customer = customers.create(
                        session, tenant_id, new_customer, at=at, actor=actor
                    )
                    report.customers_created += 1
                elif customer.email != new_customer.email:
                    raise AppError(
                        "HOLDER_MISMATCH",
                        "the codice fiscale belongs to a customer with another e-mail",
                    )
                lines.create(session, tenant_id, customer.id, new_line, at=at, actor=actor)
                report.imported += 1
        except AppError as exc:
            report.rejected.append(Rejected(row, f"{exc.code}: {exc.message}"))
        progress(1)
    return report
