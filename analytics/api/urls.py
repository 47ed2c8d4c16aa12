from django.urls import path

from analytics.api import kpis
from analytics.api.collect import CollectView
from analytics.api.utm import UtmLinkView

# The analytics API: /api/v1/collect (public, publishable key) and /api/v1/analytics/...
urlpatterns = [
    path("collect", CollectView.as_view(), name="collect"),
    path("analytics/utm-links", UtmLinkView.as_view(), name="utm-links"),
    path("analytics/kpis", kpis.KpiView.as_view(), name="analytics-kpis"),
    path("analytics/timeseries", kpis.TimeseriesView.as_view(), name="analytics-timeseries"),
    path("analytics/funnel", kpis.FunnelView.as_view(), name="analytics-funnel"),
    path("analytics/clv", kpis.ClvView.as_view(), name="analytics-clv"),
    path("analytics/spend", kpis.SpendView.as_view(), name="analytics-spend"),
]
