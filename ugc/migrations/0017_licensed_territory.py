"""A licence's territory decides where its asset may be shown; a site names the
countries it serves.

Every asset starts worldwide (the empty list): that is how every grant was shown
before the territory counted, so no storefront loses an asset on upgrade. A grant
or amendment recorded from now on copies its territory (ugc.services.rights).
"""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ugc", "0016_rights_request_polled_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="licensed_territory",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=2), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="countries",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=2),
                blank=True,
                default=list,
                help_text="ISO 3166-1 alpha-2 codes of the countries this storefront serves, "
                "e.g. FR, BE; none: only assets licensed worldwide are shown.",
                size=None,
            ),
        ),
    ]
