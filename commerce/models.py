"""The brand's catalog and orders. Money is Decimal with a currency, never float."""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

currency_code = RegexValidator(r"^[A-Z]{3}$", "a three-letter ISO 4217 currency code")


class ProductLine(models.Model):
    """A product line; lines nest (a line may have sub-lines)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def ancestors(self) -> list[ProductLine]:
        """This line's parents, nearest first (the tree is shallow)."""
        chain, line = [], self.parent
        while line is not None and line not in chain:
            chain.append(line)
            line = line.parent
        return chain


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    PREORDER = "preorder", "Pre-order"
    DISCONTINUED = "discontinued", "Discontinued"


class Product(models.Model):
    """A product of the catalog; identified by SKU, or by the shop's handle."""

    sku = models.CharField(max_length=100, unique=True)
    handle = models.SlugField(max_length=255, null=True, blank=True, unique=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    url = models.URLField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(max_length=3, blank=True, validators=[currency_code])
    availability = models.CharField(
        max_length=20, choices=Availability.choices, default=Availability.IN_STOCK
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["product_line", "title"])]

    def __str__(self):
        return f"{self.title} ({self.sku})"


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=100, unique=True)
    options = models.JSONField(default=dict, blank=True)  # {"size": "M", "colour": "red"}
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["sku"]

    def __str__(self):
        return self.sku
