"""Read a request's form or body for a plain ``def`` route; validate a submitted form with a
pydantic model (errors come back translated by field)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from resim.i18n import N_
from resim.web.context import translate
from resim.web.errors import FIELD_MESSAGES

M = TypeVar("M", bound=BaseModel)


def parse(request: Request, model: type[M], data: dict[str, object]) -> M | dict[str, str]:
    """The model, or a map from field name to a message in the user's language."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            if error["type"] == "value_error":
                raw = (error.get("ctx") or {}).get("error")
                message = getattr(raw, "message", None) or (
                    str(raw) if raw else N_("This value is not valid.")
                )
            else:
                message = FIELD_MESSAGES.get(error["type"], N_("This value is not valid."))
            errors.setdefault(field, translate(request, message))
        return errors


async def _form(request: Request) -> FormData:
    return await request.form()


async def _body(request: Request) -> bytes:
    return await request.body()


# Read on the event loop, where waiting for the client costs no thread, so that the route
# itself can be a plain ``def`` (run in the thread pool, where its database work belongs).
FORM = Depends(_form)
BODY = Depends(_body)
