-- The community data core. Times are Unix milliseconds (UTC); booleans are
-- 0/1 integers so one SQL text serves both engines; every table carries
-- workspace_id so the schema can be distributed by it.

CREATE TABLE workspace (
	id {{id}},
	name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
	created_at BIGINT NOT NULL
);

CREATE TABLE community (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	interest TEXT NOT NULL DEFAULT '',
	brand_link TEXT NOT NULL DEFAULT '',
	timezone TEXT NOT NULL DEFAULT 'UTC',
	created_at BIGINT NOT NULL,
	UNIQUE (workspace_id, name)
);

CREATE TABLE source (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	community_id BIGINT NOT NULL REFERENCES community (id),
	platform TEXT NOT NULL CHECK (platform IN ('slack', 'discord', 'telegram', 'whatsapp', 'reddit', 'discourse', 'csv')),
	name TEXT NOT NULL,
	config_json TEXT NOT NULL DEFAULT '{}',
	cursor TEXT NOT NULL DEFAULT '',
	last_sync_at BIGINT,
	UNIQUE (community_id, platform, name)
);

CREATE TABLE channel (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	source_id BIGINT NOT NULL REFERENCES source (id),
	external_id TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT 'channel',
	is_archived INTEGER NOT NULL DEFAULT 0 CHECK (is_archived IN (0, 1)),
	UNIQUE (source_id, external_id)
);

CREATE TABLE member (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	display_name TEXT NOT NULL DEFAULT '',
	is_bot INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),
	is_team INTEGER NOT NULL DEFAULT 0 CHECK (is_team IN (0, 1)),
	joined_at BIGINT,
	first_active_at BIGINT,
	last_active_at BIGINT,
	attributes_json TEXT NOT NULL DEFAULT '{}',
	-- comma-separated field names a person changed by hand; imports never
	-- overwrite them.
	manually_changed_fields TEXT NOT NULL DEFAULT '',
	-- set while this member is merged into another (see merge_action).
	merged_into BIGINT REFERENCES member (id),
	created_at BIGINT NOT NULL
);
CREATE INDEX member_workspace ON member (workspace_id, id);

CREATE TABLE identity (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	member_id BIGINT NOT NULL REFERENCES member (id),
	-- empty for kinds that name a person on every platform (email, phone).
	platform TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('user_id', 'username', 'email', 'phone', 'profile_url')),
	value TEXT NOT NULL,
	value_normalized TEXT NOT NULL,
	verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
	source_id BIGINT REFERENCES source (id),
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_verified ON identity (workspace_id, platform, kind, value_normalized) WHERE verified = 1;
CREATE INDEX identity_unverified ON identity (member_id, platform, kind, value_normalized) WHERE verified = 0;
CREATE INDEX identity_member ON identity (member_id);

-- Activity content is immutable once imported; only the "who" columns
-- (member_id, object_member_id) change, when members are merged or unmerged.
-- A reply's parent and thread root are the activities of the same source
-- whose external_id is parent_external_id and thread_root_external_id: the
-- natural key links them whatever order files arrive in, with no second
-- pass. The table has no foreign keys: it is written only by the importer,
-- which takes every id from the database, and each check would cost a
-- lookup per row on the hottest path.
CREATE TABLE activity (
	id {{id}},
	workspace_id BIGINT NOT NULL,
	community_id BIGINT NOT NULL,
	source_id BIGINT NOT NULL,
	channel_id BIGINT,
	external_id TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
	occurred_at BIGINT NOT NULL,
	member_id BIGINT,
	identity_id BIGINT,
	object_member_id BIGINT,
	object_identity_id BIGINT,
	parent_external_id TEXT,
	thread_root_external_id TEXT,
	body TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	attachments_json TEXT NOT NULL DEFAULT '',
	attributes_json TEXT NOT NULL DEFAULT '',
	is_edited INTEGER NOT NULL DEFAULT 0 CHECK (is_edited IN (0, 1)),
	UNIQUE (source_id, external_id)
);
CREATE INDEX activity_community_time ON activity (community_id, occurred_at);
CREATE INDEX activity_member_time ON activity (member_id, occurred_at);

CREATE TABLE merge_action (
	id {{id}},
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	primary_id BIGINT NOT NULL REFERENCES member (id),
	secondary_id BIGINT NOT NULL REFERENCES member (id),
	reason TEXT NOT NULL DEFAULT '',
	backup_json TEXT NOT NULL,
	at BIGINT NOT NULL,
	undone_at BIGINT
);
CREATE INDEX merge_action_members ON merge_action (workspace_id, primary_id);

CREATE TABLE no_merge (
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	member_a BIGINT NOT NULL,
	member_b BIGINT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (workspace_id, member_a, member_b),
	CHECK (member_a < member_b)
);

CREATE TABLE erasure (
	workspace_id BIGINT NOT NULL REFERENCES workspace (id),
	platform TEXT NOT NULL,
	kind TEXT NOT NULL,
	value_normalized TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (workspace_id, platform, kind, value_normalized)
);
