"""The rights inbox's language filter walks an index in its order, and its counts per
stage under any filter read that index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ugc", "0017_licensed_territory"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rightsrequest",
            index=models.Index(
                fields=["stage", "language", "requested_at", "id"],
                include=("asset_id",),
                name="rights_request_inbox_language",
            ),
        ),
    ]
