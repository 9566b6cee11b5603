"""clean_bbox: each rule repairs what is unambiguous and drops what is not."""

from __future__ import annotations

import math

import pytest

from harvester.formats.extents import clean_bbox, clean_bboxes
from moisson.record import BBox


def box(west: float, south: float, east: float, north: float) -> BBox:
    return BBox(west=west, south=south, east=east, north=north)


def test_valid_box_is_kept() -> None:
    assert clean_bbox(-5.2, 46.7, -1.2, 49.3) == [box(-5.2, 46.7, -1.2, 49.3)]


@pytest.mark.parametrize(
    "values",
    [(None, 1, 2, 3), (math.nan, 1, 2, 3), (math.inf, 1, 2, 3), ("", 1, 2, 3), ("n/a", 1, 2, 3)],
)
def test_missing_or_non_finite_value_gives_no_box(values: tuple[object, ...]) -> None:
    assert clean_bbox(*values) == []  # type: ignore[arg-type]


def test_all_zero_placeholder_gives_no_box() -> None:
    assert clean_bbox(0, 0, 0, 0) == []
    assert clean_bbox("0", "0.0", "0", "-0") == []


def test_south_above_north_is_swapped() -> None:
    assert clean_bbox(2.0, 51.0, 3.0, 50.0) == [box(2.0, 50.0, 3.0, 51.0)]


def test_latitude_written_first_is_swapped_back() -> None:
    # lat/lon order: |west|, |east| <= 90 while south/north exceed 90.
    assert clean_bbox(-90, -180, 90, 180) == [box(-180, -90, 180, 90)]
    assert clean_bbox(42.0, 120.5, 44.0, 122.0) == [box(120.5, 42.0, 122.0, 44.0)]


def test_slight_overshoot_is_clamped() -> None:
    assert clean_bbox(-180.0000001, -90.5, 180.0000001, 90.2) == [box(-180, -90, 180, 90)]


def test_projected_coordinates_are_rejected() -> None:
    assert clean_bbox(600000, 6700000, 700000, 6800000) == []
    assert clean_bbox(-20037508.34, -20037508.34, 20037508.34, 20037508.34) == []


def test_antimeridian_box_is_split_not_widened() -> None:
    assert clean_bbox(177.0, -19.0, -178.0, -16.0) == [
        box(177.0, -19.0, 180.0, -16.0),
        box(-180.0, -19.0, -178.0, -16.0),
    ]


def test_west_and_east_written_the_wrong_way_round_are_swapped() -> None:
    # Somme, France, as published in the GeoNetwork fr fixtures (west 3.28, east 1.31).
    assert clean_bbox(3.28133559, 49.38547516, 1.31279111, 50.48188019) == [
        box(1.31279111, 49.38547516, 3.28133559, 50.48188019)
    ]


def test_zero_to_360_longitudes_are_shifted() -> None:
    assert clean_bbox(200.0, 10.0, 250.0, 20.0) == [box(-160.0, 10.0, -110.0, 20.0)]
    assert clean_bbox(0, -90, 360, 90) == [box(-180, -90, 180, 90)]


def test_text_values_with_decimal_commas_are_read() -> None:
    assert clean_bbox(" 4,5 ", "50,1", "5,25", "51") == [box(4.5, 50.1, 5.25, 51.0)]


def test_clean_bboxes_drops_repeats_keeping_order() -> None:
    a, b = box(1, 2, 3, 4), box(-3, -4, -1, -2)
    assert clean_bboxes([a, b, box(1, 2, 3, 4), b]) == [a, b]


SIDES = (None, "", "x", "nan", 0, -0.0, 0.5, "1,5", 3.28, 90, 90.5, 91.5, -178, 177, 180.5,
         181.5, 200, 250, 359, 360, 361, 6700000)  # fmt: skip


def test_boxes_built_without_validation_are_valid_boxes() -> None:
    """clean_bbox builds its boxes without re-running BBox's validators: each must be
    exactly what validation would accept and build."""
    built = 0
    for west in SIDES:
        for south in SIDES[::3]:
            for east in SIDES:
                for north in SIDES[1::3]:
                    for box in clean_bbox(west, south, east, north):
                        assert BBox.model_validate(box.model_dump()) == box
                        assert box.model_fields_set == set(BBox.model_fields)
                        built += 1
    assert built > 1000
