-- Background jobs and recurring schedules, kept in the database so that a
-- restart or a second node loses nothing (see internal/jobs). Times are Unix
-- milliseconds (UTC).

CREATE TABLE job (
	id {{id}},
	-- NULL for system jobs that belong to no workspace.
	workspace_id BIGINT REFERENCES workspace (id),
	kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
	payload_json TEXT NOT NULL DEFAULT '{}',
	status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
	-- attempts counts claims, so a run lost with a crashed node counts too.
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
	run_at BIGINT NOT NULL,
	-- the lease: the owner may run the job until locked_until; after that
	-- another node may take it over.
	locked_by TEXT,
	locked_until BIGINT,
	-- the lease length the job was claimed with, so a heartbeat renews by it.
	lease_ms BIGINT NOT NULL DEFAULT 0,
	-- free-form and kept across attempts, so a resumed job can continue
	-- from its last checkpoint.
	progress_json TEXT,
	result_json TEXT,
	error TEXT NOT NULL DEFAULT '',
	unique_key TEXT,
	created_at BIGINT NOT NULL,
	started_at BIGINT,
	finished_at BIGINT
);
-- A key de-duplicates only while its job is pending: once the job finished,
-- the same key may be enqueued again.
CREATE UNIQUE INDEX job_unique_key ON job (unique_key) WHERE status IN ('queued', 'running');
CREATE INDEX job_claim ON job (status, run_at, id);
CREATE INDEX job_lease ON job (status, locked_until);
CREATE INDEX job_workspace ON job (workspace_id, id);

CREATE TABLE job_schedule (
	name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
	-- NULL for system schedules.
	workspace_id BIGINT REFERENCES workspace (id),
	kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
	payload_json TEXT NOT NULL DEFAULT '{}',
	every_ms BIGINT NOT NULL CHECK (every_ms > 0),
	next_run_at BIGINT NOT NULL
);
CREATE INDEX job_schedule_due ON job_schedule (next_run_at);
