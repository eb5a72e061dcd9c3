-- Accounts and access: users, roles per workspace, sessions, login
-- throttling, one-time links, API tokens and the audit log. Secrets (session,
-- reset, invitation and API token values) are never stored, only their
-- SHA-256, so a copy of the database grants no access.

-- "user" is a reserved word in PostgreSQL.
CREATE TABLE app_user (
	id {{id}},
	-- normalised: trimmed and lower-case.
	email TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
	name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 200),
	-- PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash
	password_hash TEXT NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- One row once the owner exists. Its fixed key makes two concurrent first-run
-- setups (on two nodes) conflict instead of both creating an owner.
CREATE TABLE auth_setup (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	owner_id BIGINT NOT NULL REFERENCES app_user (id),
	at BIGINT NOT NULL
);

CREATE TABLE membership (
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	user_id BIGINT NOT NULL REFERENCES app_user (id),
	role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
	created_at BIGINT NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX membership_user ON membership (user_id);

-- Sessions live in the database so that every node behind a load balancer
-- knows them. Idle and absolute expiry are computed from the two times.
CREATE TABLE user_session (
	id {{id}},
	user_id BIGINT NOT NULL REFERENCES app_user (id),
	token_hash TEXT NOT NULL UNIQUE,
	csrf_secret TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

-- Failed logins per e-mail address and per client IP, counted in a sliding
-- window; shared by all nodes.
CREATE TABLE login_failure (
	id {{id}},
	kind TEXT NOT NULL CHECK (kind IN ('email', 'ip')),
	subject TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX login_failure_subject ON login_failure (kind, subject, at);

-- The row stays after the lock ends: failures before locked_until no longer
-- count, so a released account starts afresh.
CREATE TABLE login_lock (
	kind TEXT NOT NULL CHECK (kind IN ('email', 'ip')),
	subject TEXT NOT NULL,
	locked_until BIGINT NOT NULL,
	PRIMARY KEY (kind, subject)
);

CREATE TABLE password_reset (
	id {{id}},
	user_id BIGINT NOT NULL REFERENCES app_user (id),
	token_hash TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT
);
CREATE INDEX password_reset_user ON password_reset (user_id);

CREATE TABLE invitation (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	email TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
	token_hash TEXT NOT NULL UNIQUE,
	invited_by BIGINT NOT NULL REFERENCES app_user (id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	accepted_at BIGINT,
	accepted_by BIGINT REFERENCES app_user (id)
);
CREATE INDEX invitation_workspace ON invitation (workspace_id, id);

CREATE TABLE api_token (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
	token_hash TEXT NOT NULL UNIQUE,
	-- the first characters of the value, so people can tell tokens apart.
	prefix TEXT NOT NULL,
	created_by BIGINT NOT NULL REFERENCES app_user (id),
	created_at BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at BIGINT
);
CREATE INDEX api_token_workspace ON api_token (workspace_id, id);

-- Who changed what, when, with the object before and after as JSON.
-- workspace_id is NULL for account-level events (password changes,
-- sign-ins). Actors have no foreign key: the log outlives what it names.
CREATE TABLE audit_log (
	id {{id}},
	workspace_id BIGINT REFERENCES workspace (id),
	actor_user_id BIGINT,
	actor_token_id BIGINT,
	action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
	object_type TEXT NOT NULL DEFAULT '',
	object_id BIGINT,
	before_json TEXT,
	after_json TEXT,
	at BIGINT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id);
