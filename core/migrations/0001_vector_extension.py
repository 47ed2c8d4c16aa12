from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """pgvector first: every later migration may use vector columns."""

    initial = True
    dependencies = []
    operations = [VectorExtension()]
