"""Admin screens for the analyst's experiments and attribution runs."""

from django.contrib import admin

from analytics.models import AttributionRun, Experiment, ExperimentVariant


class VariantInline(admin.TabularInline):
    model = ExperimentVariant
    extra = 2
    fields = ("position", "name", "weight", "gallery")


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("key", "site", "placement", "metric", "starts_at", "ends_at")
    list_filter = ("metric", "site")
    search_fields = ("key", "name", "placement")
    inlines = [VariantInline]


@admin.register(AttributionRun)
class AttributionRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "model", "level", "date_from", "date_to", "status", "progress")
    list_filter = ("status", "model", "level")
    readonly_fields = ("status", "progress", "error", "timings", "started_at", "finished_at")
