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

# Attribution runs and gallery experiments.
from analytics.api import attribution, experiments  # noqa: E402

urlpatterns += [
    path("analytics/attribution/runs", attribution.RunsView.as_view(), name="attribution-runs"),
    path(
        "analytics/attribution/runs/<int:run_id>",
        attribution.RunView.as_view(),
        name="attribution-run",
    ),
    path(
        "analytics/attribution/compare",
        attribution.CompareView.as_view(),
        name="attribution-compare",
    ),
    path("analytics/experiments", experiments.ExperimentsView.as_view(), name="experiments"),
    path(
        "analytics/experiments/<int:experiment_id>",
        experiments.ExperimentView.as_view(),
        name="experiment",
    ),
    path(
        "analytics/experiments/<int:experiment_id>/results",
        experiments.ExperimentResultsView.as_view(),
        name="experiment-results",
    ),
]
