"""The indicators API's responses. Every number in them has passed disclosure control."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Thresholds(BaseModel):
    red: float
    green: float


class IndicatorDefinition(BaseModel):
    code: str
    name: str
    definition: str
    unit: str = Field(description="share, per_1000, index or ratio")
    higher_is_better: bool
    thresholds: Thresholds


class IndicatorCatalogue(BaseModel):
    items: list[IndicatorDefinition]


class Measure(BaseModel):
    name: str
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    previous_value: float | None = None


class Previous(BaseModel):
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    normalised: float | None


class IndicatorValue(BaseModel):
    code: str
    name: str
    unit: str
    measure: str = Field(description="Which of the indicator's measures is the headline value")
    value: float | None = Field(description="null when suppressed or undefined (nothing to divide by)")
    numerator: float | None
    denominator: float | None
    suppressed: bool
    rag: str | None = Field(description="red, amber or green against the configured thresholds")
    normalised: float | None = Field(description="the headline on 0–1, 1 at the resilient end")
    previous: Previous
    trend: str | None = Field(description="up, down or same against the previous period")
    components: list[Measure]


class AreaRef(BaseModel):
    code: str
    level: str
    name: str | None


class PublishedCount(BaseModel):
    value: int | None
    suppressed: bool


class IndicatorValues(BaseModel):
    area: AreaRef
    period: str
    previous_period: str
    computed_at: datetime | None = Field(description="when the roll-up behind these values was computed")
    residents: PublishedCount
    indicators: list[IndicatorValue]


class SeriesPoint(BaseModel):
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    rag: str | None


class IndicatorSeries(BaseModel):
    area: AreaRef
    code: str
    measure: str
    points: list[SeriesPoint]


class AreaOut(BaseModel):
    code: str
    level: str
    name: str | None
    postcodes: int
    residents: int | None = Field(description="residents counted, rounded to 5; null when 1–7")
    residents_suppressed: bool


class AreaPage(BaseModel):
    items: list[AreaOut]
    next_cursor: str | None = None
