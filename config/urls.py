from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("Student medical insurance office")
admin.site.site_title = _("Student medical insurance office")
admin.site.index_title = _("Insurance office back office")

# a refused page or download answers in the admin's layout (templates/403.html)
handler403 = "office.views.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
