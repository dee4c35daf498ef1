"""The claims app's admin, one module per part; importing them registers their model
admins."""

from . import claims, payouts, registry

__all__ = ["claims", "payouts", "registry"]
