"""Pure roster rules: values in, values out; no ORM, no clock."""

from datetime import date

from stdnum.cn import ric

# Resident IDs and the HK/Macao/Taiwan residence permits (810000/820000/830000) share the
# 18-character layout with birth date, sex digit and GB 11643 check character.
EIGHTEEN_CHAR_ID_TYPES = frozenset({"resident_id", "hmt_residence_permit"})


def mask_id(id_number: str) -> str:
    """`310105199003071242` -> `310*****42`: enough for staff to tell two people apart in a
    list, too little to reuse. Short numbers (passports) keep at most their last two."""
    if len(id_number) <= 5:
        return "*" * len(id_number)
    return f"{id_number[:3]}*****{id_number[-2:]}"


def birth_date_and_gender(id_type: str, id_number: str) -> tuple[date | None, str]:
    """Birth date and gender encoded in an 18-character ID; (None, "") for other documents
    or numbers that do not validate."""
    if id_type not in EIGHTEEN_CHAR_ID_TYPES or len(id_number) != 18:
        return None, ""
    try:
        born = ric.get_birth_date(id_number)
    except ric.ValidationError:
        return None, ""
    gender = "male" if int(id_number[16]) % 2 else "female"
    return born, gender
