from django.urls import path

from config.api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
]
