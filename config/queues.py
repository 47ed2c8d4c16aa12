"""The task queues, their time limits, and which task goes to which queue.

Kept free of Celery and Django imports so settings and tests can read it.
"""

from __future__ import annotations

import fnmatch

# Queue name -> (soft time limit, hard time limit) in seconds; settings may override.
QUEUES: dict[str, tuple[int, int]] = {
    "media": (300, 360),
    "embeddings": (600, 660),
    "scoring": (600, 660),
    "analytics": (1500, 1800),
    # A run stops at its page limit well before this; a killed run resumes from its cursor.
    "collection": (600, 660),
    "default": (120, 150),
}

# Task-name patterns -> queue, first match wins. Tasks are named by module.
ROUTES: list[tuple[str, str]] = [
    ("ugc.tasks.media_*", "media"),
    ("ugc.tasks.process_*", "media"),
    ("ugc.tasks.embed_*", "embeddings"),
    ("ugc.tasks.suggest_*", "embeddings"),
    ("ugc.tasks.score_*", "scoring"),
    ("ugc.tasks.rescore_*", "scoring"),
    ("analytics.tasks.*", "analytics"),
    ("sources.tasks.*", "collection"),
]

DEFAULT_QUEUE = "default"


def queue_for(task_name: str) -> str:
    for pattern, queue in ROUTES:
        if fnmatch.fnmatchcase(task_name, pattern):
            return queue
    return DEFAULT_QUEUE
