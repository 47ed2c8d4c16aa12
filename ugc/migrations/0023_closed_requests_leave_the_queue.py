"""Requests whose rights were granted, declined, revoked or expired outside the reply
loop (by hand, an upload's consent, the demo) kept the stage they had: "queued" or
"sent". They sat in the inbox's open tabs and a queued one could still be posted to a
creator who had already answered. Their stage now says how they ended, as
ugc.services.rights sets it from now on."""

from django.db import migrations

OPEN_STAGES = ("queued", "sent", "answered")
STAGE_OF_STATE = {
    "granted": "granted",
    "declined": "declined",
    "revoked": "revoked",
    "expired": "expired",
}


def close_stages(apps, schema_editor):
    RightsRequest = apps.get_model("ugc", "RightsRequest")
    for state, stage in STAGE_OF_STATE.items():
        RightsRequest.objects.filter(state=state, stage__in=OPEN_STAGES).update(stage=stage)


class Migration(migrations.Migration):
    dependencies = [
        ("ugc", "0022_phash_bands_statistics"),
    ]

    operations = [
        migrations.RunPython(close_stages, migrations.RunPython.noop),
    ]
