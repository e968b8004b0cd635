"""Integer codes for distinct values (what pandas.factorize did, without pandas)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sheetsync.codes import combined_codes, factorize

NAT = np.iinfo(np.int64).min


def test_texts_are_coded_in_the_order_first_met() -> None:
    codes, uniques = factorize(np.array(["dana", "eli", "dana", None, "eli"], dtype=object))
    assert codes.tolist() == [0, 1, 0, 2, 1]
    assert uniques.tolist() == ["dana", "eli", None]


def test_numbers_are_coded_in_ascending_order() -> None:
    codes, uniques = factorize(np.array([30, 10, 30, 20]))
    assert codes.tolist() == [2, 0, 2, 1]
    assert uniques.tolist() == [10, 20, 30]
    wide = np.array([5, -(2**62), 2**62, 5])  # too wide for a table: sorted instead
    codes, uniques = factorize(wide)
    assert codes.tolist() == [1, 0, 2, 1] and uniques.tolist() == [-(2**62), 5, 2**62]


def test_missing_dates_are_one_value() -> None:
    days = np.array(["2026-11-24", "NaT", "2026-11-20", "NaT"], dtype="datetime64[D]")
    codes, uniques = factorize(days.view(np.int64))
    assert codes.tolist() == [2, 0, 1, 0]
    assert uniques.view("datetime64[D]").astype(str).tolist() == ["NaT", "2026-11-20", "2026-11-24"]
    assert factorize(np.array([NAT, NAT]))[0].tolist() == [0, 0]


def test_nothing_to_code() -> None:
    codes, uniques = factorize(np.array([], dtype=np.int64))
    assert len(codes) == len(uniques) == 0
    assert len(combined_codes([np.array([], dtype=np.int64)])) == 0


@given(
    arrays(
        np.int64,
        st.integers(0, 300),
        elements=st.integers(-(2**63), 2**63 - 1) | st.integers(-5, 5),
    )
)
def test_codes_give_back_the_values(values: np.ndarray) -> None:
    codes, uniques = factorize(values)
    assert np.array_equal(uniques[codes], values)
    assert len(np.unique(uniques)) == len(uniques)


@given(
    st.integers(1, 200).flatmap(
        lambda n: st.lists(
            arrays(np.int64, n, elements=st.integers(-3, 3) | st.just(NAT)), min_size=1, max_size=4
        )
    )
)
def test_rows_share_a_code_exactly_when_they_are_equal(columns: list[np.ndarray]) -> None:
    codes = combined_codes(columns)
    rows = list(zip(*(column.tolist() for column in columns), strict=True))
    for i in range(len(rows)):
        for j in range(i + 1, min(len(rows), i + 20)):
            assert (codes[i] == codes[j]) == (rows[i] == rows[j])


def test_rows_that_mix_to_the_same_number_still_get_two_codes() -> None:
    mix = 0x9E3779B97F4A7C15
    other = int(np.array([(-mix) % 2**64], dtype=np.uint64).view(np.int64)[0])
    # (0, 0) and (1, -mix) mix to the same 64-bit number: 0 * mix + 0 == 1 * mix - mix
    codes = combined_codes([np.array([0, 1, 0]), np.array([0, other, 0])])
    assert codes[0] == codes[2] != codes[1]


def test_narrow_integer_types() -> None:
    codes, uniques = factorize(np.array([-100, 100, -100], dtype=np.int8))
    assert codes.tolist() == [0, 1, 0] and uniques.tolist() == [-100, 100]
