from __future__ import annotations

import itertools

import pytest

from resim.errors import Conflict
from resim.replacement.states import OPEN, TERMINAL, TRANSITIONS, ApplicationState, transition

S = ApplicationState


def test_every_state_has_a_row_and_only_known_targets() -> None:
    assert set(TRANSITIONS) == set(ApplicationState)
    for targets in TRANSITIONS.values():
        assert targets <= set(ApplicationState)


def test_every_state_is_reachable_from_a_draft() -> None:
    seen = {S.DRAFT}
    frontier = [S.DRAFT]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(ApplicationState)


def test_the_happy_path() -> None:
    path = [
        S.DRAFT,
        S.AWAITING_CONFIRMATION,
        S.IN_REVIEW,
        S.APPROVED,
        S.PROVISIONING,
        S.CODE_READY,
        S.INSTALLED,
    ]
    for current, target in itertools.pairwise(path):
        assert transition(current, target) == target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.APPROVED),
        (S.REJECTED, S.APPROVED),
        (S.OBJECTED, S.IN_REVIEW),
        (S.INSTALLED, S.PROVISIONING),
        (S.APPROVED, S.REJECTED),
    ],
)
def test_a_step_outside_the_table_is_a_conflict(
    current: ApplicationState, target: ApplicationState
) -> None:
    with pytest.raises(Conflict) as raised:
        transition(current, target)
    assert raised.value.code == "INVALID_TRANSITION"


def test_open_and_terminal_states_partition_the_lifecycle() -> None:
    assert OPEN.isdisjoint(TERMINAL)
    assert set(ApplicationState) == OPEN | TERMINAL
    assert S.OBJECTED in TERMINAL and S.IN_REVIEW in OPEN
