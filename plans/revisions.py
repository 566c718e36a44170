"""The plan's own history of changes after adoption (rimodulazioni), written the same way on every path.

The web forms and the workbook import both record through RevisionLog, so the same change reads the same in
the revision list and in the Relazione: the same subject, field name and Italian value text, and always an actor
(a person, or the system actor of perfplan.actors for an unattended command-line write).
"""

from __future__ import annotations

from typing import Any

from perfplan.actors import actor_or_system
from perfplan.formats import value_it
from plans.models import Objective, OrgUnit, Plan, PlanRevision, PlanState


def revision_text(value: Any) -> str:
    """How an old or new value reads in the revision history."""
    if isinstance(value, OrgUnit | Objective):
        return value.code
    return value_it(value)


class RevisionLog:
    """Collects the changes of one write; records them only when the plan is adopted (domain.md §4)."""

    def __init__(self, plan: Plan, user, reason: str, *, adopted: bool | None = None) -> None:
        self.plan = plan
        self.user = user
        self.reason = reason
        self.adopted = plan.state == PlanState.ADOPTED if adopted is None else adopted
        self.rows: list[PlanRevision] = []

    def add(self, subject_type: str, code: str, field_name: str, old: Any, new: Any) -> None:
        if not self.adopted:
            return
        self.rows.append(
            PlanRevision(
                plan=self.plan,
                reason=self.reason,
                subject_type=subject_type,
                subject_code=code[:200],
                field=field_name[:60],
                old_value=revision_text(old),
                new_value=revision_text(new),
            )
        )

    def save(self) -> int:
        if self.rows:
            user = actor_or_system(self.user)
            for row in self.rows:
                row.user = user
                row.reason = self.reason
            PlanRevision.objects.bulk_create(self.rows, batch_size=500)
        return len(self.rows)
