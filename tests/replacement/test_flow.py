"""The lifecycle's one table, step by step, and its one owner: only replacement/flow.py moves
an application (it alone calls ``transition`` or sets an application's ``state``)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import grimp
import pytest

import resim
from resim.errors import Conflict
from resim.replacement.states import TRANSITIONS, ApplicationState, transition

S = ApplicationState

# Every step the lifecycle allows, written out: a change to the table must change this too.
ALLOWED = {
    (S.DRAFT, S.AWAITING_CONFIRMATION),
    (S.DRAFT, S.WITHDRAWN),
    (S.AWAITING_CONFIRMATION, S.APPROVED),
    (S.AWAITING_CONFIRMATION, S.IN_REVIEW),
    (S.AWAITING_CONFIRMATION, S.OBJECTED),
    (S.AWAITING_CONFIRMATION, S.WITHDRAWN),
    (S.IN_REVIEW, S.APPROVED),
    (S.IN_REVIEW, S.REJECTED),
    (S.IN_REVIEW, S.OBJECTED),
    (S.IN_REVIEW, S.WITHDRAWN),
    (S.APPROVED, S.PROVISIONING),
    (S.PROVISIONING, S.CODE_READY),
    (S.PROVISIONING, S.FAILED),
    (S.CODE_READY, S.INSTALLED),
    (S.CODE_READY, S.FAILED),
    (S.CODE_READY, S.PROVISIONING),  # the customer asks again for a code that expired unused
}
REFUSED = sorted(set(itertools.product(S, S)) - ALLOWED)

SRC = Path(resim.__file__).parent
OWNER = SRC / "replacement" / "flow.py"
TABLE = SRC / "replacement" / "states.py"


def test_the_table_allows_exactly_the_listed_steps() -> None:
    table = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_step_gives_its_target(
    current: ApplicationState, target: ApplicationState
) -> None:
    assert transition(current, target) == target


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_any_other_step_is_a_conflict(current: ApplicationState, target: ApplicationState) -> None:
    with pytest.raises(Conflict) as raised:
        transition(current, target)
    assert raised.value.code == "INVALID_TRANSITION"
    assert raised.value.params == {"current": current.value, "target": target.value}


def _knows_applications(tree: ast.Module) -> bool:
    """Whether a module imports the application's model or its states."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "resim.replacement.models",
            "resim.replacement.states",
        ):
            return True
    return False


def _state_assignments(tree: ast.Module) -> list[int]:
    """Lines that assign some object's ``state`` attribute."""
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            found += [n.lineno for n in names if isinstance(n, ast.Attribute) and n.attr == "state"]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "state"
        ):
            found.append(node.lineno)
    return found


def _transition_calls(tree: ast.Module) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "transition")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "transition")
        )
    ]


def test_only_the_flow_moves_an_application() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path in (OWNER, TABLE):
            continue
        tree = ast.parse(path.read_text(), str(path))
        where = path.relative_to(SRC)
        offenders += [f"{where}:{line} calls transition" for line in _transition_calls(tree)]
        if _knows_applications(tree):
            offenders += [f"{where}:{line} sets a state" for line in _state_assignments(tree)]
    assert offenders == []


def test_the_owner_check_sees_a_move_outside_the_flow() -> None:
    """The check above would fail on a module that moved an application itself."""
    rogue = ast.parse(
        "from resim.replacement.states import ApplicationState, transition\n"
        "def f(app):\n"
        "    app.state = transition(app.state, ApplicationState.FAILED)\n"
    )
    assert _knows_applications(rogue)
    assert _state_assignments(rogue) == [3]
    assert _transition_calls(rogue) == [3]
    owner = ast.parse(OWNER.read_text())
    assert _transition_calls(owner) and _state_assignments(owner)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("resim.provisioning", "resim.replacement"),
        ("resim.delivery", "resim.replacement"),
        ("resim.delivery", "resim.provisioning"),
        ("resim.provisioning", "resim.delivery"),
    ],
)
def test_the_services_the_flow_calls_never_reach_back_into_it(importer: str, imported: str) -> None:
    """No chain of imports, direct or not: the lifecycle's services report back by value."""
    graph = grimp.build_graph("resim")
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert chains == set()
