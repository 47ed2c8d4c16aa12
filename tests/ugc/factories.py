"""factory_boy factories for the library's tests (no fixture files that drift).

Catalog rows come from tests/commerce/factories.py, re-exported here.
"""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth.models import Group, User

from core.roles import COORDINATOR
from tests.commerce.factories import ProductFactory, ProductLineFactory
from ugc.models import (
    Asset,
    ContentCategory,
    Creator,
    ProductLineTag,
    ProductTag,
    Rendition,
    TagSource,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-123")


class CoordinatorFactory(UserFactory):
    @factory.post_generation
    def coordinator_role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=COORDINATOR))


class CreatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creator

    platform = "instagram"
    handle = factory.Sequence(lambda n: f"creator{n}")
    display_name = factory.Faker("name")


class ContentCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    media_type = "image"
    source_platform = "instagram"
    creator = factory.SubFactory(CreatorFactory)
    caption = factory.Sequence(lambda n: f"Look {n} #summer")
    platform_id = factory.Sequence(lambda n: f"ig-{n}")
    content_sha256 = factory.Sequence(lambda n: hashlib.sha256(f"asset-{n}".encode()).hexdigest())


class RenditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rendition

    asset = factory.SubFactory(AssetFactory)
    kind = "image"
    format = "webp"
    width = 320
    height = factory.LazyAttribute(lambda o: o.width * 4 // 3)
    byte_size = 1234
    file = factory.LazyAttribute(lambda o: f"renditions/{o.asset.pk}/{o.width}.{o.format}")


class ProductTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductTag

    asset = factory.SubFactory(AssetFactory)
    product = factory.SubFactory(ProductFactory)
    source = TagSource.MANUAL


class ProductLineTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLineTag

    asset = factory.SubFactory(AssetFactory)
    product_line = factory.SubFactory(ProductLineFactory)
    source = TagSource.MANUAL


# --- galleries -----------------------------------------------------------------------


class PublishableAssetFactory(AssetFactory):
    """Processed, approved, rights granted: what a storefront may show."""

    processing_state = "in_review"
    moderation_state = "approved"
    rights_state = "granted"
    width = 1080
    height = 1350
    placeholder = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    dominant_colors = factory.LazyFunction(lambda: ["#aabbcc"])


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ugc.Site"

    name = factory.Sequence(lambda n: f"Shop {n}")
    domain = factory.Sequence(lambda n: f"shop{n}.example.com")
    allowed_origins = factory.LazyAttribute(lambda o: [f"https://{o.domain}"])


class GalleryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ugc.Gallery"

    site = factory.SubFactory(SiteFactory)
    slug = factory.Sequence(lambda n: f"gallery-{n}")
    title = factory.LazyAttribute(lambda o: o.slug.title())


class GalleryPinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ugc.GalleryPin"

    gallery = factory.SubFactory(GalleryFactory)
    asset = factory.SubFactory(PublishableAssetFactory)
    position = factory.Sequence(lambda n: n)


class GalleryRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ugc.GalleryRule"

    gallery = factory.SubFactory(GalleryFactory)
