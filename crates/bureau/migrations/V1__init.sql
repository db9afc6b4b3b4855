-- The bureau's store: the stations that replicate to it, their records (a read side, never edited
-- here), the bureau's own accounts and audit trail, and the inspectors' flags.
--
-- Every table of station data is partitioned by station (LIST on station_id), so one station's data
-- can be detached, archived or moved as a table of its own; a station's visits are partitioned again
-- by month. Partitions are made when a station enrols (and a visit month when its first visit comes).

CREATE TABLE stations (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    credential_hash text UNIQUE,
    enrolled_at     timestamptz,
    revoked_at      timestamptz,
    -- How many times the station started its copy again (after a restore of its own).
    generation      integer NOT NULL DEFAULT 0,
    -- The lineage of the station's database the copy follows (a restore there starts a new one).
    lineage         text,
    records_cursor  bigint NOT NULL DEFAULT 0,
    staff_cursor    bigint NOT NULL DEFAULT 0,
    audit_cursor    bigint NOT NULL DEFAULT 0,
    -- The station's newest version when it last sent: the lag is this less records_cursor.
    station_head    bigint NOT NULL DEFAULT 0,
    last_batch_at   timestamptz,
    last_seen_at    timestamptz
);

CREATE TABLE station_codes (
    code_hash    text PRIMARY KEY,
    station_name text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- Columns every station record has: the station's version of it, the copy's generation it was
-- written in, whether it is deleted, its beat, and its fields as the station holds them.

CREATE TABLE households (
    station_id    integer NOT NULL REFERENCES stations (id),
    id            text NOT NULL,
    version       bigint NOT NULL,
    generation    integer NOT NULL,
    deleted       boolean NOT NULL,
    beat          text NOT NULL,
    address       text NOT NULL,
    address_key   text NOT NULL,
    kind          text NOT NULL,
    tags          text[] NOT NULL,
    fields        jsonb NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);

CREATE TABLE residents (
    station_id    integer NOT NULL REFERENCES stations (id),
    id            text NOT NULL,
    version       bigint NOT NULL,
    generation    integer NOT NULL,
    deleted       boolean NOT NULL,
    beat          text NOT NULL,
    household_id  text NOT NULL,
    name          text NOT NULL,
    -- Pinyin tokens of the name (full and initials, each syllable), space-separated.
    pinyin        text NOT NULL,
    id_key        text,
    birth_date    date,
    fields        jsonb NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);
CREATE INDEX residents_by_id_key ON residents (id_key) WHERE id_key IS NOT NULL;
CREATE INDEX residents_by_name ON residents (name, birth_date);
CREATE INDEX residents_by_household ON residents (station_id, household_id);

-- A partitioned table's key must hold its partition keys: a visit is one (station, id, visited_at)
-- row, and an edit that moves its time deletes the row and writes it anew.
CREATE TABLE visits (
    station_id    integer NOT NULL REFERENCES stations (id),
    id            text NOT NULL,
    version       bigint NOT NULL,
    generation    integer NOT NULL,
    deleted       boolean NOT NULL,
    beat          text NOT NULL,
    household_id  text NOT NULL,
    visited_at    timestamptz NOT NULL,
    rating        text,
    purposes      text[] NOT NULL,
    inquiry_areas text[] NOT NULL,
    fields        jsonb NOT NULL,
    PRIMARY KEY (station_id, id, visited_at)
) PARTITION BY LIST (station_id);
CREATE INDEX visits_by_id ON visits (station_id, id);
CREATE INDEX visits_by_household ON visits (station_id, household_id, visited_at);

CREATE TABLE concerns (
    station_id    integer NOT NULL REFERENCES stations (id),
    id            text NOT NULL,
    version       bigint NOT NULL,
    generation    integer NOT NULL,
    deleted       boolean NOT NULL,
    beat          text NOT NULL,
    household_id  text NOT NULL,
    visit_id      text,
    category      text NOT NULL,
    urgency       text NOT NULL,
    status        text NOT NULL,
    confidential  boolean NOT NULL,
    raised_at     timestamptz NOT NULL,
    closed_at     timestamptz,
    feedback_at   timestamptz,
    -- Without the reporter when the concern is confidential (see concern_reporters).
    fields        jsonb NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);
CREATE INDEX concerns_by_category ON concerns (category, status) WHERE NOT deleted;
CREATE INDEX concerns_by_household ON concerns (station_id, household_id);

-- A confidential concern's reporter, apart from the concern: no read of concerns can show it by
-- mistake. Read only for an account holding that right explicitly, and each read is logged.
CREATE TABLE concern_reporters (
    station_id    integer NOT NULL REFERENCES stations (id),
    concern_id    text NOT NULL,
    reporter_name text NOT NULL,
    reporter_id   text,
    PRIMARY KEY (station_id, concern_id)
) PARTITION BY LIST (station_id);

CREATE TABLE tasks (
    station_id    integer NOT NULL REFERENCES stations (id),
    id            text NOT NULL,
    version       bigint NOT NULL,
    generation    integer NOT NULL,
    deleted       boolean NOT NULL,
    beat          text NOT NULL,
    household_id  text NOT NULL,
    concern_id    text,
    kind          text NOT NULL,
    status        text NOT NULL,
    assignee      text NOT NULL,
    due_date      date,
    feedback_at   timestamptz,
    fields        jsonb NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);
CREATE INDEX tasks_by_concern ON tasks (station_id, concern_id) WHERE concern_id IS NOT NULL;

-- The station's staff decisions and security trail, as it sent them.
CREATE TABLE station_staff_actions (
    station_id integer NOT NULL REFERENCES stations (id),
    id         bigint NOT NULL,
    at         text NOT NULL,
    staff      text NOT NULL,
    action     text NOT NULL,
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    details    jsonb NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);

CREATE TABLE station_audit (
    station_id integer NOT NULL REFERENCES stations (id),
    id         bigint NOT NULL,
    at         text NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    outcome    text NOT NULL,
    PRIMARY KEY (station_id, id)
) PARTITION BY LIST (station_id);

-- The bureau's own people. Roles: admin (accounts, stations), analyst (reports, look-up),
-- inspector (oversight of complaints about the police). may_see_reporters is the explicit right
-- to read a confidential reporter of such a complaint.
CREATE TABLE accounts (
    id                uuid PRIMARY KEY,
    username          text NOT NULL,
    display_name      text NOT NULL,
    roles             text[] NOT NULL,
    may_see_reporters boolean NOT NULL DEFAULT false,
    password_hash     text NOT NULL,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_by_username ON accounts (lower(username));

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id),
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE TABLE login_failures (
    username text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_name ON login_failures (lower(username), at);

-- The bureau's trail: sign-ins, refusals, enrolments, every cross-station look-up with its reason,
-- every read of a confidential reporter, every flag. Append-only.
CREATE TABLE audit (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    target  text NOT NULL DEFAULT '',
    outcome text NOT NULL,
    reason  text NOT NULL DEFAULT '',
    detail  text NOT NULL DEFAULT ''
);
CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_is_never_edited BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();

-- An inspector's flag on a complaint (a concern, or a visit about work style or integrity): travels
-- down to its station, which makes a follow-up task of it and says so in its next batch.
CREATE TABLE flags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id  integer NOT NULL REFERENCES stations (id),
    entity      text NOT NULL CHECK (entity IN ('concern', 'visit')),
    record_id   text NOT NULL,
    reason      text NOT NULL,
    flagged_by  text NOT NULL,
    flagged_at  timestamptz NOT NULL DEFAULT now(),
    task_id     text,
    applied_at  timestamptz
);
CREATE INDEX flags_pending ON flags (station_id) WHERE applied_at IS NULL;

-- A record's id across stations: a batch naming a record another station holds is refused.
CREATE INDEX households_by_id ON households (id);
CREATE INDEX residents_by_id ON residents (id);
CREATE INDEX concerns_by_id ON concerns (id);
CREATE INDEX tasks_by_id ON tasks (id);
CREATE INDEX visits_by_bare_id ON visits (id);
