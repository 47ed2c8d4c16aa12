"""The creator's public pages (workspace/creators.py), at /creators/."""

from django.urls import path

from workspace import creators

app_name = "creators"

urlpatterns = [
    path("tiktok/callback", creators.callback_view, name="callback"),
    path("invite/<str:token>", creators.invite_view, name="invite"),
    path("invite/<str:token>/connect", creators.connect_view, name="connect"),
    path("disconnect/<str:token>", creators.disconnect_view, name="disconnect"),
]
