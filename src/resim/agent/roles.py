"""Who may do what in the back office: one table, checked on every route (and tested as a
matrix, each role against each action)."""

from __future__ import annotations

import enum

from resim.i18n import N_


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"  # the tenant's administrator: policy and accounts
    AUDITOR = "auditor"  # reads everything but documents; changes nothing


ROLE_NAMES = {
    Role.AGENT.value: N_("agent"),
    Role.SUPERVISOR.value: N_("supervisor"),
    Role.ADMIN.value: N_("administrator"),
    Role.AUDITOR.value: N_("auditor"),
}


class Action(enum.StrEnum):
    DASHBOARD = "dashboard"
    QUEUE = "queue"  # see the review queue and an application's review page
    DECIDE = "decide"  # claim, approve, reject
    SECOND_APPROVAL = "second_approval"  # the second approval of a high-risk application
    DOCUMENTS = "documents"  # open an identity document or police report
    LINES = "lines"  # search lines and read their timeline
    LINE_STATE = "line_state"  # suspend or reactivate a line
    JOBS = "jobs"  # see stuck and parked jobs
    JOB_RETRY = "job_retry"
    AUDIT = "audit"  # search, export and verify the audit trail
    POLICY = "policy"  # read the tenant's policy
    POLICY_EDIT = "policy_edit"
    AGENTS = "agents"  # create agents, change roles, deactivate
    BANK_QUERIES = "bank_queries"  # the banks' SIM Swap API queries about the tenant's numbers
    BANK_CLIENTS = "bank_clients"  # the banks' API clients: create, switch off


R = Role
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.DASHBOARD: frozenset(Role),
    Action.QUEUE: frozenset({R.AGENT, R.SUPERVISOR, R.AUDITOR}),
    Action.DECIDE: frozenset({R.AGENT, R.SUPERVISOR}),
    Action.SECOND_APPROVAL: frozenset({R.SUPERVISOR}),
    Action.DOCUMENTS: frozenset({R.AGENT, R.SUPERVISOR}),
    Action.LINES: frozenset(Role),
    Action.LINE_STATE: frozenset({R.AGENT, R.SUPERVISOR}),
    Action.JOBS: frozenset({R.SUPERVISOR, R.ADMIN, R.AUDITOR}),
    Action.JOB_RETRY: frozenset({R.SUPERVISOR}),
    Action.AUDIT: frozenset({R.ADMIN, R.AUDITOR}),
    Action.POLICY: frozenset({R.SUPERVISOR, R.ADMIN, R.AUDITOR}),
    Action.POLICY_EDIT: frozenset({R.ADMIN}),
    Action.AGENTS: frozenset({R.ADMIN}),
    Action.BANK_QUERIES: frozenset({R.SUPERVISOR, R.ADMIN, R.AUDITOR}),
    Action.BANK_CLIENTS: frozenset({R.ADMIN}),
}


def allowed(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]
