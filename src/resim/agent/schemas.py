"""Forms of the agents' accounts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from resim.agent.roles import Role
from resim.customer.schemas import normalise_email


class SignInForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=6, max_length=8)


class SetupForm(BaseModel):
    password: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=6, max_length=8)


class NewAgentForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=120)
    role: Role

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)


class ChangeAgentForm(BaseModel):
    role: Role
    active: bool = False
