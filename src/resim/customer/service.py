"""Customers: the holders of lines."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.customer import repository
from resim.customer.models import Customer
from resim.customer.schemas import NewCustomer
from resim.errors import Conflict, Invalid, NotFound
from resim.kit.codice_fiscale import CodiceFiscale


def get(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    found = repository.by_id(session, tenant_id, customer_id)
    if found is None:
        raise NotFound("CUSTOMER_NOT_FOUND", "This customer does not exist.")
    return found


def find_by_email(session: Session, tenant_id: uuid.UUID, email: str) -> Customer | None:
    return repository.by_email(session, tenant_id, email.strip().lower())


def find_by_codice_fiscale(session: Session, tenant_id: uuid.UUID, cf: str) -> Customer | None:
    return repository.by_codice_fiscale(session, tenant_id, cf)


def check_holder_consistency(data: NewCustomer, today: dt.date) -> None:
    """The codice fiscale must encode the holder's names, birth date, sex and birthplace."""
    cf = CodiceFiscale(data.codice_fiscale)
    if not cf.matches_names(data.family_name, data.given_name):
        raise Invalid(
            "CODICE_FISCALE_MISMATCH",
            "The codice fiscale does not match the name.",
            field="codice_fiscale",
        )
    if cf.birth_date(today) != data.birth_date or cf.sex != data.sex:
        raise Invalid(
            "CODICE_FISCALE_MISMATCH",
            "The codice fiscale does not match the birth date or sex.",
            field="codice_fiscale",
        )
    if cf.birthplace_code != data.birthplace_code:
        raise Invalid(
            "CODICE_FISCALE_MISMATCH",
            "The codice fiscale does not match the birthplace.",
            field="codice_fiscale",
        )


def create(
    session: Session,
    tenant_id: uuid.UUID,
    data: NewCustomer,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Customer:
    check_holder_consistency(data, at.date())
    if repository.by_email(session, tenant_id, data.email) is not None:
        raise Conflict("EMAIL_TAKEN", "Another customer already uses this e-mail address.")
    if repository.by_codice_fiscale(session, tenant_id, data.codice_fiscale) is not None:
        raise Conflict("CUSTOMER_EXISTS", "A customer with this codice fiscale already exists.")
    customer = Customer(tenant_id=tenant_id, created_at=at, **data.model_dump())
    session.add(customer)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="customer.created",
        subject_type="customer",
        subject_id=str(customer.id),
        at=at,
    )
    return customer


def change_contacts(
    session: Session,
    customer: Customer,
    *,
    email: str | None = None,
    alt_phone: str | None = None,
    at: dt.datetime,
    actor: audit.Actor,
) -> None:
    """Change the e-mail or alternative phone on file, noting the day: a risk signal later.

    The values must be validated at the edge (``NewCustomer``'s rules); the audit event names
    which contact changed, not the values.
    """
    changed: list[str] = []
    if email is not None and email != customer.email:
        taken = repository.by_email(session, customer.tenant_id, email)
        if taken is not None and taken.id != customer.id:
            raise Conflict("EMAIL_TAKEN", "Another customer already uses this e-mail address.")
        customer.email, customer.email_changed_on = email, at.date()
        changed.append("email")
    if alt_phone is not None and alt_phone != customer.alt_phone:
        customer.alt_phone, customer.alt_phone_changed_on = alt_phone, at.date()
        changed.append("alt_phone")
    if changed:
        audit.record(
            session,
            tenant_id=customer.tenant_id,
            actor=actor,
            action="customer.contacts_changed",
            subject_type="customer",
            subject_id=str(customer.id),
            at=at,
            details={"changed": changed},
        )


def contacts_changed_since(customer: Customer, since: dt.date) -> bool:
    return any(
        day is not None and day >= since
        for day in (customer.email_changed_on, customer.alt_phone_changed_on)
    )
