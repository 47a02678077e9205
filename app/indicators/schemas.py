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


SUPPRESSED_REASON = Field(
    None,
    description="why a figure is withheld: confidential (fewer than 8 people or organisations in it, or "
    "withheld so that such a figure cannot be worked out by subtraction: the two read alike) or "
    "dominance (one organisation or person would make up most of it)",
)
BAND = Field(None, description="[low, high]: a range published instead of a value (dominance)")


class Measure(BaseModel):
    name: str
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    suppressed_reason: str | None = SUPPRESSED_REASON
    band: list[float] | None = BAND
    previous_value: float | None = None


class Previous(BaseModel):
    period: str
    value: float | None
    band: list[float] | None = BAND
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
    band: list[float] | None = BAND
    numerator: float | None
    denominator: float | None
    suppressed: bool
    suppressed_reason: str | None = SUPPRESSED_REASON
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
    published_at: datetime | None = Field(description="when these figures were first published")
    revised_at: datetime | None = Field(
        description="when a scheduled revision last changed them (objections, erasures, late records); "
        "null while they have not changed since first published"
    )
    residents: PublishedCount
    indicators: list[IndicatorValue]


class SeriesPoint(BaseModel):
    period: str
    published: bool = Field(description="false for a period not (yet) published: still under way")
    value: float | None
    band: list[float] | None = BAND
    numerator: float | None
    denominator: float | None
    suppressed: bool
    suppressed_reason: str | None = SUPPRESSED_REASON
    rag: str | None
    revised_at: datetime | None = None


class IndicatorSeries(BaseModel):
    area: AreaRef
    code: str
    measure: str
    points: list[SeriesPoint]


class LevelRow(BaseModel):
    area: str
    area_name: str | None
    level: str
    period: str
    indicator: str
    measure: str
    value: float | None
    band: list[float] | None = BAND
    numerator: float | None
    denominator: float | None
    suppressed: bool
    suppressed_reason: str | None = SUPPRESSED_REASON
    rounded: bool = Field(description="true: counts behind the value are perturbed and rounded to 5")
    rag: str | None
    headline: bool = Field(description="true for the indicator's headline measure")
    trend: str | None = Field(None, description="the headline's trend against the previous period")
    published_at: datetime | None
    revised_at: datetime | None


class LevelValues(BaseModel):
    level: str
    periods: list[str]
    revision: int = Field(description="the publication's revision: it rises with each scheduled revision")
    revised_at: datetime | None = Field(description="when the latest scheduled revision ran")
    items: list[LevelRow]


class AreaOut(BaseModel):
    code: str
    level: str
    name: str | None
    postcodes: int
    residents: int | None = Field(
        description="residents counted in the latest published period, perturbed and rounded to 5; null when suppressed"
    )
    residents_suppressed: bool


class AreaPage(BaseModel):
    items: list[AreaOut]
    next_cursor: str | None = None
