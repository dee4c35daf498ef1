from datetime import date

import pytest

from enrollment.rules import birth_date_of, gender_of, mask_id


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
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert gender_of("11010519491231002X") == "female"
    assert gender_of("310105199003071231") == "male"  # 17th digit 3 is odd


def test_no_birth_date_from_an_impossible_date():
    assert birth_date_of("110105194913310021") is None
