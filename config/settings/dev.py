"""Development and the demo: the embedded database and broker.

DEBUG stays off unless the developer sets DEBUG=1: its page shows a traceback and the
settings to whoever typed the request, and the demo is shown to people. Without it the
demo still serves what DEBUG served: static files from the apps (no collectstatic)
and renditions under MEDIA_URL.
"""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", False)
INTERNAL_IPS = ["127.0.0.1"]
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# WhiteNoise warns at every start when STATIC_ROOT is missing; collectstatic fills it in production.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
