"""Development and the demo: the embedded database and broker, debug on."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
INTERNAL_IPS = ["127.0.0.1"]

# WhiteNoise warns at every start when STATIC_ROOT is missing; collectstatic fills it in production.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
