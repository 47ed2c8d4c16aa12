# The platform and content-type indexes carry the asset id (INCLUDE), so a filtered
# search reads its asset ids from the index alone. Built concurrently, new before old
# dropped: filters keep an index throughout and imports are never blocked.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("ugc", "0010_drop_phash_btree"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="asset",
            index=models.Index(
                fields=["source_platform", "-created_at"],
                include=("id",),
                name="asset_platform_newest",
            ),
        ),
        AddIndexConcurrently(
            model_name="asset",
            index=models.Index(
                fields=["content_type", "-created_at"], include=("id",), name="asset_content_newest"
            ),
        ),
        RemoveIndexConcurrently(model_name="asset", name="ugc_asset_source__03cf08_idx"),
        RemoveIndexConcurrently(model_name="asset", name="ugc_asset_content_375954_idx"),
    ]
