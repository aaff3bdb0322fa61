-- Partner keys (stageindex keys create|list|revoke; docs/api.md): a partner
-- sends its key as Authorization: Bearer KEY and gets its own rate limit
-- and, with departments, a view of those départements' offers only.
-- Only the SHA-256 of a key is stored: the key itself is printed once, at
-- creation. A revoked key is kept (revoked_at) so that a request with it
-- is told "revoked" rather than "unknown", and its name is not reused.

CREATE TABLE partner_keys (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    rate        double precision NOT NULL CHECK (rate > 0),
    burst       integer NOT NULL CHECK (burst >= 1),
    departments text[],   -- NULL: every département
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

---- create above / drop below ----

DROP TABLE partner_keys;
