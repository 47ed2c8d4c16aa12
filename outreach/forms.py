"""The storefront upload form: its fields, the terms box and the honeypot. The files
are checked beside it (count here, size by the capped upload handler, the bytes by
ingestion)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from commerce.models import Product


class UploadForm(forms.Form):
    caption = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    name = forms.CharField(max_length=100)
    email = forms.EmailField(max_length=254, required=False)
    product = forms.CharField(max_length=100, required=False)
    terms = forms.BooleanField()
    # Hidden from people by the page's style; a bot filling every field fills it.
    website = forms.CharField(required=False)

    def __init__(self, *args, words: dict[str, str], require_email: bool = False,
                 fixed_product: Product | None = None, **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.words = words
        self.fixed_product = fixed_product
        self.fields["terms"].error_messages["required"] = words["need_terms"]
        if require_email:
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = words["need_email"]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_product(self) -> Product | None:
        if self.fixed_product is not None:
            return self.fixed_product  # from a signed link: not the shopper's to change
        sku = self.cleaned_data["product"].strip()
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(self.words["unknown_product"])
        return product

    def check_files(self, files: list) -> None:
        """A form error when no file or too many came."""
        if not files:
            self.add_error(None, self.words["need_files"])
        elif len(files) > settings.UPLOAD_MAX_FILES:
            self.add_error(None, self.words["too_many"].format(count=settings.UPLOAD_MAX_FILES))
