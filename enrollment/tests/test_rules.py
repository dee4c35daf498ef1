from datetime import date

import pytest

from enrollment.rules import birth_date_and_gender, mask_id


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("310105199003071242", "310*****42"),  # the masking shown in DEVELOPERS.md
        ("81000020060216077X", "810*****7X"),
        ("E12345678", "E12*****78"),
        ("12345", "*****"),
    ],
)
def test_mask_id(number, masked):
    assert mask_id(number) == masked


def test_birth_date_and_gender_from_a_resident_id():
    # 11010519491231002X: the GB 11643 sample number; born 1949-12-31, sequence 002 is even
    assert birth_date_and_gender("resident_id", "11010519491231002X") == (
        date(1949, 12, 31),
        "female",
    )


def test_no_birth_date_from_a_passport_or_a_broken_number():
    assert birth_date_and_gender("passport", "E12345678") == (None, "")
    assert birth_date_and_gender("resident_id", "110105194913310021") == (None, "")
