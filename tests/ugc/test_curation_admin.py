"""The admin pages of the curation vocabularies and records render, and the records
written by services cannot be edited there."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["rejectionreason", "moderationrule", "taggingrule", "rightsrequest", "privacyrequest"]
)
def test_changelists_render(client, model):
    client.force_login(User.objects.create_superuser("root", password="pw-root-123"))
    assert client.get(f"/admin/ugc/{model}/").status_code == 200
    add = client.get(f"/admin/ugc/{model}/add/").status_code
    assert add == (403 if model in {"rightsrequest", "privacyrequest"} else 200)
