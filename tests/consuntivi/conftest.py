"""The fixtures every consuntivi test shares: the small plan of tests/consuntivi/factories.py, its people, a round."""

import pytest

from tests.consuntivi.factories import entry_plan, open_round, people


@pytest.fixture
def plan(db):
    """The plan with three units and no values yet (factories.ENTRY_SHEETS)."""
    return entry_plan()


@pytest.fixture
def who(plan):
    """The personas: planner, head_u1, head_u2, oiv, admin, and the units by code."""
    return people(plan)


@pytest.fixture
def rnd(plan, who):
    """The annual 2017 round, open, without a deadline."""
    return open_round(plan, who["planner"])
