"""Amounts in a change list read as staff write them, 4,488,560.00: the admin shows a
DecimalField as 4488560.00 (Chinese formats group no thousands, and turning grouping on
for the whole site would print years as 2,026)."""

from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .charts import money_text


class MoneyColumns:
    """A ModelAdmin whose money columns (its model's DecimalFields in `list_display`, and
    the columns named in `money_columns`, e.g. an annotated total) are written to the fen
    with separators; each keeps its header and its sort."""

    money_columns: tuple[str, ...] = ()

    def get_list_display(self, request):
        return [self._money_column(name) for name in super().get_list_display(request)]

    def _money_column(self, name):
        if not isinstance(name, str) or not self._is_money(name):
            return name
        # one callable per column and admin: the change list compares them by identity
        columns = self.__dict__.setdefault("_money_callables", {})
        if name not in columns:
            columns[name] = self._money_callable(name)
        return columns[name]

    def _is_money(self, name: str) -> bool:
        if name in self.money_columns:
            return True
        try:
            return isinstance(self.opts.get_field(name), models.DecimalField)
        except FieldDoesNotExist:
            return False

    def _money_callable(self, name: str):
        label, attr = label_for_field(name, self.model, self, return_attr=True)
        ordering = getattr(attr, "admin_order_field", None)
        if ordering is None and not callable(attr):
            ordering = name  # a model field sorts by itself

        @admin.display(description=label, ordering=ordering)
        def column(obj):
            _field, _attr, value = lookup_field(name, obj, self)
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                return money_text(value)
            return value

        column.__name__ = name  # the cells keep their class, field-<name>
        return column
