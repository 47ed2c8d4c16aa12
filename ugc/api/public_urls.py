from django.urls import path

from ugc.api import public

urlpatterns = [
    path(
        "public/galleries/<slug:slug>",
        public.public_gallery,
        name="public-gallery",
    ),
    path(
        "public/galleries/<slug:slug>/embed",
        public.PublicGalleryEmbedView.as_view(),
        name="public-gallery-embed",
    ),
]
