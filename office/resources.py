"""Change lists exported as they are filtered (xlsx or csv), with django-import-export's
admin export: its 导出 button, its form (which columns) and the change list's filters
and search are the package's; what goes into the file is ours.

- A resource (`Resource`) declares its columns once, each with a Chinese header and a
  kind (`office.exports.Kind`): money stays a number shown to the fen, ID and student
  numbers stay text, dates are dates.
- The files are written by office.exports, as every other file the portal hands out: an
  xlsx cell holding text is never a formula, and a csv cell that a spreadsheet would read
  as one (=, +, -, @) is neutralised.
- An ID number is masked unless the user holds the resource's `full_id_permission`.
- Each export is recorded in the app's personal-data access log (`Export.export_logged`:
  office knows no app, so the app whose admin exports names its log)."""

import datetime

import tablib
from django.template.loader import select_template
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export import fields, forms, resources, widgets
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from . import exports
from .exports import Kind


class Native(widgets.Widget):
    """The value as it is: the file format writes it by its column's kind."""

    def render(self, value, obj=None, **kwargs):
        return value


def column(header: str, attribute: str | None = None, *, kind: Kind = Kind.TEXT) -> fields.Field:
    """A column: its header, the attribute path it reads (`student__college`; a method's
    name calls it, as `get_state_display`), or none when the resource has a
    `dehydrate_<name>` method; and how the file writes it."""
    field = fields.Field(attribute=attribute, column_name=header, widget=Native(), readonly=True)
    field.kind = kind
    return field


class Resource(resources.ModelResource):
    """An export's columns. `related`: what each row reads across relations, fetched with
    the rows. `full_id_permission`: who sees full ID numbers ("app.codename");
    `masked_id` gives the number a row shows to everyone else."""

    related: tuple[str, ...] = ()
    full_id_permission: str = ""

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.full_id = bool(
            user is not None and self.full_id_permission and user.has_perm(self.full_id_permission)
        )

    def shown_id(self, full: str, masked: str) -> str:
        return full if self.full_id else masked

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(*self.related) if self.related else queryset

    def after_export(self, queryset, dataset, **kwargs):
        # the file format learns each column's kind from here
        chosen = self.get_export_fields(kwargs.get("export_fields"))
        dataset.kinds = [getattr(field, "kind", Kind.TEXT) for field in chosen]

    @classmethod
    def get_display_name(cls) -> str:
        return str(cls._meta.model._meta.verbose_name_plural)


def _columns(dataset: tablib.Dataset) -> list[exports.Column]:
    kinds = getattr(dataset, "kinds", None) or [Kind.TEXT] * len(dataset.headers)
    return [
        exports.Column(header, kind) for header, kind in zip(dataset.headers, kinds, strict=True)
    ]


def _typed(value):
    # a datetime in the file is local time, as staff read it on the pages
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


class XLSX(base_formats.XLSX):
    def get_title(self):
        return "Excel（xlsx）"

    def export_data(self, dataset, **kwargs) -> bytes:
        rows = ([_typed(value) for value in row] for row in dataset)
        return exports.xlsx(_columns(dataset), rows, sheet=dataset.title or "导出")


class CSV(base_formats.CSV):
    """UTF-8 with a BOM, which Excel opens in Chinese."""

    def get_title(self):
        return "CSV（逗号分隔，UTF-8）"

    def is_binary(self):
        return True

    def export_data(self, dataset, **kwargs) -> bytes:
        rows = [dataset.headers, *([_typed(value) for value in row] for row in dataset)]
        return exports.csv_text(rows).encode("utf-8")


FORMATS = [XLSX, CSV]


class ExportForm(forms.SelectableFieldsExportForm):
    """The package's form, each column named by its Chinese header alone, xlsx chosen."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["format"].initial = "0"

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class Export(ExportMixin):
    """A change list's 导出 button: the list as filtered and searched, in xlsx or csv,
    through `resource_classes` (office.resources.Resource). Subclasses record each export
    (`export_logged`). Shown beside the change list's own buttons (WithPages')."""

    export_formats = FORMATS
    export_form_class = ExportForm
    import_export_change_list_template = "admin/office/change_list_export.html"

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def changelist_view(self, request, extra_context=None):
        # the list's own template (its buttons), which the package's would bypass
        base = self.ie_base_change_list_template
        if base == "admin/change_list.html":
            opts = self.opts
            base = select_template(
                [
                    f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
                    f"admin/{opts.app_label}/change_list.html",
                    "admin/change_list.html",
                ]
            )
        context = {"office_base_change_list": base, **(extra_context or {})}
        return super().changelist_view(request, context)

    def export_action(self, request):
        response = super().export_action(request)
        filename = getattr(request, "export_filename", None)
        if filename and response.has_header("Content-Disposition"):
            # a Chinese name, as browsers read it (RFC 6266)
            response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        dataset.title = str(self.opts.verbose_name_plural)
        resource = self.choose_export_resource_class(kwargs.get("export_form"), request)
        full_id = resource(**self.get_export_resource_kwargs(request)).full_id
        self.export_logged(request, rows=len(dataset), full_id=full_id)
        return dataset

    def export_detail(self, request, *, rows: int, full_id: bool) -> str:
        """The access log's words for an export: what, how many rows, which filters."""
        shown = "，含完整证件号" if full_id else ""
        filters = request.GET.urlencode()
        where = f"，筛选 {filters}" if filters else ""
        return f"导出{self.opts.verbose_name_plural}（{rows} 行{shown}）{where}"[:255]

    def export_logged(self, request, *, rows: int, full_id: bool) -> None:
        """Record the export in the app's personal-data access log."""
        raise NotImplementedError

    def get_export_filename(self, request, queryset, file_format):
        today = timezone.localdate()
        extension = file_format.get_extension()
        request.export_filename = f"{self.opts.verbose_name_plural}-{today:%Y%m%d}.{extension}"
        return f"export-{today:%Y%m%d}.{extension}"
