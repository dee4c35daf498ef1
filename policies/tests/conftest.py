import pytest


@pytest.fixture
def clinic_staff(client, staff):
    """Logged in as 医保办, the role that keeps the policy years."""
    user = staff("医保办")
    client.force_login(user)
    return user
