"""What orchestration keeps: workflow definitions and their history, executions, step
executions, task attempts, the event log and claimed schedule ticks.

Run records (``executions`` .. ``execution_events``) mirror ``sounding.domain.orchestration``;
``SqlRunStorage`` reads and writes them. Statuses are ``RunStatus`` values; every time is stored
in UTC. Ids of executions, steps and tasks are the engine's strings.
"""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, RedactedText, metadata, row_version

workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("spec", JSONType, nullable=False),  # the workflow document as submitted
    sa.Column("version", sa.Integer, nullable=False),  # of the current spec, from 1
    sa.Column("enabled", sa.Boolean, nullable=False),  # disabled: schedules and triggers off
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("updated_by", sa.String(200)),
    row_version(),
)

workflow_versions = sa.Table(
    "workflow_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workflow_id", sa.ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("spec", JSONType, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.UniqueConstraint("workflow_id", "version"),
)

executions = sa.Table(
    "executions",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True),  # insertion order: lists are newest first
    sa.Column("id", sa.String(200), nullable=False, unique=True),
    sa.Column("workflow", sa.String(200), nullable=False),  # a name; ad-hoc runs have no row
    sa.Column("spec", JSONType, nullable=False),  # the document this execution started with
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("params", JSONType, nullable=False),
    sa.Column("trigger", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Column("error", RedactedText),
    # the last event seq handed out; bumping it row-locks, so seqs follow commit order
    sa.Column("event_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Index(None, "status"),
    sa.Index(None, "workflow", "pk"),
)

step_executions = sa.Table(
    "step_executions",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True),  # insertion order of an execution's steps
    sa.Column("execution_id", sa.ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("tasks_total", sa.Integer, nullable=False),
    sa.Column("tasks_done", sa.Integer, nullable=False),
    sa.Column("tasks_failed", sa.Integer, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Column("reason", RedactedText),
    sa.UniqueConstraint("execution_id", "step_id"),
)

task_attempts = sa.Table(
    "task_attempts",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True),
    sa.Column("execution_id", sa.ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("task_key", sa.String(1000), nullable=False),  # an object's name, or "*"
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("source", sa.String(200)),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("result", JSONType),
    sa.Column("error", RedactedText),
    sa.Column("error_type", sa.String(200)),
    sa.Column("final", sa.Boolean, nullable=False),
    sa.UniqueConstraint("execution_id", "step_id", "task_key", "attempt"),
    sa.Index(None, "execution_id", "status"),  # per-status counts and pages (the monitor)
)

execution_events = sa.Table(
    "execution_events",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True),
    sa.Column("execution_id", sa.ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # 1, 2, 3 ... per execution
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("step_id", sa.String(200)),
    sa.Column("task_key", sa.String(1000)),
    sa.Column("status", sa.String(20)),
    sa.Column("data", JSONType, nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.UniqueConstraint("execution_id", "seq"),
)

# One row per schedule tick that started (or is starting) an execution. The primary key makes
# the claim atomic: of several servers on one database, only the insert that wins starts it.
schedule_ticks = sa.Table(
    "schedule_ticks",
    metadata,
    sa.Column("workflow", sa.String(200), primary_key=True),
    sa.Column("tick_at", TS, primary_key=True),
    sa.Column("claimed_at", TS, nullable=False),
    sa.Column("claimed_by", sa.String(200)),  # which server, for operators
    sa.Column("execution_id", sa.String(200)),  # set once the execution was created
)

pools = sa.Table(
    "pools",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("slots", sa.Integer, nullable=False),  # tasks (x their pool_slots) at once
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String(200)),
)

# The engines (``sounding serve`` processes, CLI processes running executions) that share this
# store: one row per start, with a generated id, where it runs and its last heartbeat.
orchestration_servers = sa.Table(
    "orchestration_servers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("heartbeat_at", TS, nullable=False),
    sa.Column("stopped_at", TS),  # a clean stop; a crashed server's row keeps it empty
)

# Who runs each execution: its owner renews ``expires_at`` on every heartbeat; once it is past,
# another server may claim the execution with an UPDATE that compares ``epoch`` (bumped on
# every change of owner), so of several claimers exactly one wins. ``request`` carries a
# pause/resume/cancel sent to a server that is not the owner, for the owner to carry out.
execution_leases = sa.Table(
    "execution_leases",
    metadata,
    sa.Column(
        "execution_id",
        sa.ForeignKey("executions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("epoch", sa.Integer, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("acquired_at", TS, nullable=False),  # when the owner got it (a takeover's time)
    sa.Column("previous_owner_id", sa.String(64)),  # whom a takeover took it from
    sa.Column("takeovers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("request", sa.String(20)),
    sa.Column("released_at", TS),  # the execution ended (or the owner stopped cleanly)
    sa.Index(None, "owner_id"),
)
