from django.urls import path

from outreach.api import views

urlpatterns = [
    path("outreach/funnel", views.FunnelView.as_view(), name="outreach-funnel"),
]
