"""Products imported with a Shopify handle but no URL get their page on the shop,
when there is one shop to name it (with several, the next import with --shop does)."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat


def backfill(apps, schema_editor):
    Shop = apps.get_model("commerce", "Shop")
    Product = apps.get_model("commerce", "Product")
    shops = list(Shop.objects.all()[:2])
    if len(shops) != 1:
        return
    base = f"https://{shops[0].domain}/products/"
    Product.objects.filter(url="", handle__isnull=False).exclude(handle="").update(
        url=Concat(Value(base), "handle")
    )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0002_customers_shops_orders")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
