"""A larger statistics sample for the perceptual-hash bands: each band value is rare (1 in
65,536 for a random photo), so the default sample's most-common-elements list holds
only near-duplicate families' values and the planner's guess for any other value swung
from run to run, sometimes far enough to read the whole table instead of the GIN index
(ugc.services.duplicates.near_duplicate_query)."""

from django.db import migrations

TABLE, COLUMN = "ugc_asset", "perceptual_hash_bands"


class Migration(migrations.Migration):
    dependencies = [("ugc", "0021_rights_reason_messages")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STATISTICS 1000",
            f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STATISTICS -1",
        )
    ]
