from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    """Clients of the Instagram (Graph), TikTok and YouTube APIs, and their local emulator."""

    name = "platforms"
    verbose_name = "Platforms"
