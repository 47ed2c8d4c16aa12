from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.models import ProductLine
from platforms.models import ConnectedAccount
from sources.models import Source, SourceKind, SourceRun
from sources.services import budget


class HashtagBudgetSerializer(serializers.Serializer):
    """An Instagram account's hashtag budget: unique hashtags searched in the rolling
    7 days, the platform's limit, and when the next slot frees."""

    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    next_free_at = serializers.DateTimeField(allow_null=True)


class AccountSerializer(serializers.ModelSerializer):
    """An account as shown: never its tokens."""

    hashtag_budget = serializers.SerializerMethodField()

    class Meta:
        model = ConnectedAccount
        fields = [
            "id",
            "platform",
            "external_id",
            "handle",
            "scopes",
            "status",
            "status_reason",
            "access_expires_at",
            "last_refreshed_at",
            "hashtag_budget",
        ]

    @extend_schema_field(HashtagBudgetSerializer(allow_null=True))
    def get_hashtag_budget(self, account):
        return budget.budget(account).as_dict() if account.is_instagram else None


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SourceRun
        fields = [
            "id",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "pages",
            "new_count",
            "updated_count",
            "failed_count",
            "error",
        ]


class SourceSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=ConnectedAccount.objects.all())
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    product_lines = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=ProductLine.objects.all()
    )
    interval_seconds = serializers.IntegerField(min_value=60, max_value=7 * 86400, required=False)
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "account",
            "kind",
            "query",
            "interval_seconds",
            "paused",
            "auto_moderate",
            "product_lines",
            "next_run_at",
            "last_run_summary",
            "last_run",
        ]
        read_only_fields = ["paused", "next_run_at", "last_run_summary"]
        validators: list = []  # uniqueness is the service's, with a message in words

    @extend_schema_field(RunSerializer(allow_null=True))
    def get_last_run(self, source):
        run = source.runs.first()
        return RunSerializer(run).data if run else None
