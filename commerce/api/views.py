"""Catalog, orders and customers: thin views over selectors and services."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from commerce import selectors
from commerce.api import filters
from commerce.api.permissions import ReadAnalystWriteAdmin
from commerce.api.serializers import (
    CustomerSerializer,
    OrderSerializer,
    ProductLineSerializer,
    ProductSerializer,
)
from commerce.services import catalog as catalog_service
from core.api.permissions import IsAnalyst


class ProductLineViewSet(viewsets.ReadOnlyModelViewSet):
    """Product lines (a tree: `parent` is the enclosing line)."""

    serializer_class = ProductLineSerializer
    permission_classes = [IsAnalyst]
    filterset_class = filters.ProductLineFilter

    def get_queryset(self):
        return selectors.product_lines()


class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalog: coordinators and analysts read; admins create and change products."""

    serializer_class = ProductSerializer
    permission_classes = [ReadAnalystWriteAdmin]
    filterset_class = filters.ProductFilter

    def get_queryset(self):
        return selectors.products()

    def perform_create(self, serializer):
        serializer.instance = catalog_service.write_product(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalog_service.write_product(
            product=serializer.instance, data=serializer.validated_data
        )


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders with their lines; amounts are in the order's currency."""

    serializer_class = OrderSerializer
    permission_classes = [IsAnalyst]
    filterset_class = filters.OrderFilter

    def get_queryset(self):
        return selectors.orders()


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Pseudonymous customers: a keyed hash, order counts and the visitor ids seen."""

    serializer_class = CustomerSerializer
    permission_classes = [IsAnalyst]
    filterset_class = filters.CustomerFilter

    def get_queryset(self):
        return selectors.customers()
