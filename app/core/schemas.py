"""Base for every request and response model."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import types
import typing
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

NUL_MESSAGE = "must not contain the NUL character (\\u0000), which no text Kith stores may hold"
UNSTORABLE_MESSAGE = (
    "must not contain the NUL character (\\u0000) or a lone surrogate (\\ud800 to \\udfff, "
    "half of a character), which no text Kith stores may hold"
)
# The characters PostgreSQL's text and jsonb cannot store: NUL, and UTF-16 surrogates standing alone
# (JSON may escape one, "\udfff", but it is no character and has no UTF-8 form).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# How JSON carries either: only as an escape (a raw NUL or surrogate is not valid JSON text or UTF-8).
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")

_NOT_TEXT = (bool, int, float, decimal.Decimal, uuid.UUID, dt.date, dt.time, dt.timedelta, type(None))
_NUL_FREE = "nul_free"  # the validation context's key: the body holds no NUL (see nul_check_context)


def nul_check_context(body: bytes) -> dict[str, bool] | None:
    """The validation context for models validated from these JSON bytes: where they hold no
    ``\\u0000`` or lone-surrogate escape, the only ways JSON can carry what no text column can
    store, the per-record check is skipped. For the big batches, where it would cost a tenth of
    the validation."""
    return None if _UNSTORABLE_ESCAPE.search(body) else nul_free_context()


def nul_free_context() -> dict[str, bool]:
    """The validation context for models built from text already known to hold no U+0000 and no
    lone surrogate (a file checked whole, say): the per-record check is skipped."""
    return {_NUL_FREE: True}


def holds_nul(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (a string, or JSON-like dicts and lists such as
    metadata) holds U+0000 or a lone surrogate. PostgreSQL's text and jsonb cannot store either:
    such a value would fail in the database instead of being refused as bad input."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(v) for v in value)
    return False


def _may_hold_text(annotation: Any) -> bool:
    """Whether a field of this type can hold a client's string (unknown types: yes)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False  # the model's own values
    if origin is typing.Annotated:
        return _may_hold_text(typing.get_args(annotation)[0])
    if origin is not None:  # unions, lists, dicts
        return any(_may_hold_text(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return False  # validated by itself
        if issubclass(annotation, enum.Enum):
            return False  # the model's own values
        return not issubclass(annotation, _NOT_TEXT)
    return annotation is not types.NoneType


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, strings are trimmed, and a string holding the
    NUL character or a lone surrogate anywhere in a field is an error naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _text_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Decided once per model: looking only at fields that can hold text keeps the check to
        # about a microsecond per record of a 10,000-record batch.
        cls._text_fields = tuple(n for n, f in cls.model_fields.items() if _may_hold_text(f.annotation))

    @model_validator(mode="after")
    def _no_nul(self, info: ValidationInfo) -> StrictModel:
        if info.context is not None and info.context.get(_NUL_FREE):
            return self
        values = self.__dict__
        bad = [name for name in self._text_fields if holds_nul(values[name])]
        if bad:
            error = PydanticCustomError("value_error", UNSTORABLE_MESSAGE)
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [InitErrorDetails(type=error, loc=(name,), input=values[name]) for name in bad],
            )
        return self


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
