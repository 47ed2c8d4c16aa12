"""Logged-in workspace users for the workspace tests of this folder."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from core.roles import ANALYST
from tests.ugc.factories import CoordinatorFactory, UserFactory


@pytest.fixture
def coordinator(client):
    user = CoordinatorFactory()
    client.force_login(user)
    return user


@pytest.fixture
def analyst(client):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    client.force_login(user)
    return user
