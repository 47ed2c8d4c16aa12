"""The pHash's band keys for near-duplicate lookup through a GIN index (ugc.services.duplicates).

A stored generated column: adding it computes the keys of every existing row (the
backfill), and PostgreSQL keeps them in step with perceptual_hash from then on,
whichever path writes the row (ORM, COPY, raw SQL).
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ugc", "0008_gallery_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="perceptual_hash_bands",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("perceptual_hash"),
                    template="CASE WHEN %(expressions)s IS NULL THEN NULL ELSE ARRAY[((%(expressions)s >> 48) & 65535)::integer, (65536 + ((%(expressions)s >> 32) & 65535))::integer, (131072 + ((%(expressions)s >> 16) & 65535))::integer, (196608 + (%(expressions)s & 65535))::integer] END",
                ),
                output_field=django.contrib.postgres.fields.ArrayField(
                    base_field=models.IntegerField(), size=None
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["perceptual_hash_bands"], name="asset_phash_bands_gin"
            ),
        ),
    ]
