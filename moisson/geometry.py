"""The one geometry of the model: a WGS84 box, shared by Record (extents) and Query (bbox
filters), so neither module has to import the other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["BBox"]


class BBox(BaseModel):
    """A WGS84 box, always west <= east after cleaning (antimeridian boxes are split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    west: float = Field(ge=-180, le=180)
    south: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if self.west > self.east or self.south > self.north:
            raise ValueError(
                f"bbox must have west <= east and south <= north, got "
                f"{self.west},{self.south},{self.east},{self.north}"
            )
        return self

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]
