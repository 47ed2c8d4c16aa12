"""Hypothesis over the asset's state machines (ugc/models.py TRANSITIONS).

Random sequences of requested moves, allowed or not: an asset never holds a state
outside its machine, a refused move changes nothing, and the one publishing rule
(ugc.selectors.publishable_assets) admits it exactly when it is processed,
approved, granted and not expired.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.ugc.factories import AssetFactory
from tests.ugc.test_curation_rules import should_publish  # the rule, written out
from ugc.models import TRANSITIONS, Asset, InvalidTransition
from ugc.selectors import publishable_assets
from ugc.services.assets import transition

pytestmark = pytest.mark.django_db

STATES = {field: set(moves) | set().union(*moves.values()) for field, moves in TRANSITIONS.items()}
# (field, any state, follow the machine?, which allowed move): half the moves follow the
# machine, so sequences do reach publishable and back, not only refusals.
moves = st.tuples(
    st.sampled_from(sorted(TRANSITIONS)),
    st.sampled_from(sorted(set().union(*STATES.values()))),
    st.booleans(),
    st.integers(0, 10),
)


def chosen(asset: Asset, field: str, anything: str, follow: bool, pick: int) -> str:
    allowed = sorted(TRANSITIONS[field].get(getattr(asset, field), set()))
    return allowed[pick % len(allowed)] if follow and allowed else anything


# Any combination of states to start from, so sequences begin near publishable too.
starts = st.fixed_dictionaries({field: st.sampled_from(sorted(STATES[field])) for field in STATES})
PUBLISHABLE = {
    "processing_state": "in_review",
    "moderation_state": "approved",
    "rights_state": "granted",
}
expiries = st.one_of(st.none(), st.integers(-48, 48).map(lambda h: timedelta(hours=h)))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(start=starts, steps=st.lists(moves, max_size=25), expiry=expiries)
@example(start=PUBLISHABLE, steps=[], expiry=None).via("the rule admits a publishable asset")
@example(start=PUBLISHABLE, steps=[], expiry=timedelta(hours=-1)).via("an expired grant")
def test_random_moves_stay_in_the_machine_and_publishing_follows_the_rule(start, steps, expiry):
    now = timezone.now()
    asset = AssetFactory(**start, rights_expires_at=now + expiry if expiry is not None else None)
    assert publishable_assets(now).filter(pk=asset.pk).exists() == should_publish(asset, now)
    for field, anything, follow, pick in steps:
        target = chosen(asset, field, anything, follow, pick)
        before = getattr(asset, field)
        allowed = target in TRANSITIONS[field].get(before, set())
        try:
            transition(asset, field, target)
        except InvalidTransition:
            assert not allowed, f"{field}: {before} -> {target} is in the machine"
        else:
            assert allowed, f"{field}: {before} -> {target} is not in the machine"
        stored = Asset.objects.get(pk=asset.pk)
        for name, states in STATES.items():
            assert getattr(stored, name) in states
        assert getattr(stored, field) == (target if allowed else before)
        published = publishable_assets(now).filter(pk=asset.pk).exists()
        assert published == should_publish(stored, now), (stored.__dict__, now)
