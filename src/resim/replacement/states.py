"""The replacement lifecycle: one enum, one table of allowed transitions. Nothing else
changes an application's state (see :func:`transition`)."""

from __future__ import annotations

import enum

from resim.errors import Conflict


class ApplicationState(enum.StrEnum):
    DRAFT = "draft"  # the customer is filling it in; resumable
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # AGCOM 86/21/CIR window after the SMS
    IN_REVIEW = "in_review"  # an agent decides (two, when flagged high risk)
    APPROVED = "approved"
    REJECTED = "rejected"
    OBJECTED = "objected"  # the holder objected to the SIM change: stopped
    WITHDRAWN = "withdrawn"  # the customer gave up the draft or the application
    PROVISIONING = "provisioning"  # the new profile is being ordered (ES2+)
    CODE_READY = "code_ready"  # the activation code can be delivered
    INSTALLED = "installed"
    FAILED = "failed"


S = ApplicationState

TRANSITIONS: dict[ApplicationState, frozenset[ApplicationState]] = {
    S.DRAFT: frozenset({S.AWAITING_CONFIRMATION, S.WITHDRAWN}),
    S.AWAITING_CONFIRMATION: frozenset({S.APPROVED, S.IN_REVIEW, S.OBJECTED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.OBJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.PROVISIONING}),
    S.PROVISIONING: frozenset({S.CODE_READY, S.FAILED}),
    # Back to provisioning when the customer asks again for a code that expired unused.
    S.CODE_READY: frozenset({S.INSTALLED, S.FAILED, S.PROVISIONING}),
    S.INSTALLED: frozenset(),
    S.FAILED: frozenset(),
    S.REJECTED: frozenset(),
    S.OBJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# An application in one of these states blocks a second one for the same line.
OPEN = frozenset(s for s in ApplicationState if TRANSITIONS[s]) | {S.DRAFT}
TERMINAL = frozenset(s for s in ApplicationState if not TRANSITIONS[s])


def transition(current: ApplicationState, target: ApplicationState) -> ApplicationState:
    """The new state, or a Conflict when the lifecycle does not allow the step."""
    if target not in TRANSITIONS[current]:
        raise Conflict(
            "INVALID_TRANSITION",
            "This application cannot go from %(current)s to %(target)s.",
            params={"current": current.value, "target": target.value},
        )
    return target
