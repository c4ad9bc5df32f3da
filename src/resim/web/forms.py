"""Validate a submitted form with a pydantic model; errors come back translated by field."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

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
