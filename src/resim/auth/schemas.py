"""Sign-in inputs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from resim.customer.schemas import normalise_email


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)


class CodeVerification(CodeRequest):
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.strip()
