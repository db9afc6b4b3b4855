-- A change the station refuses (outside the account's beats, a confidential reporter changed by
-- someone else, a forged base version, an invalid record) is kept like every other, with status
-- 'refused' and the reason, and acknowledged, so the laptop's queue moves on and the officer is told.
ALTER TABLE changes ADD COLUMN refusal TEXT;   -- JSON {"reason": ..., "message": ...}

-- The trail shows a refused change with its reason instead of its field names.
DROP VIEW audit_trail;
-- Staff resolutions appear without the value chosen: the trail is read by administrators, who see
-- no record contents, and a value may be a confidential reporter. (The value stays in the
-- conflict's own row, which only staff and the chief read.)
CREATE VIEW audit_trail AS
    SELECT 'security' AS source, id, at, actor, device_id, action, target, outcome, detail FROM audit
    UNION ALL
    SELECT 'staff', id, created_at, staff, NULL, action, entity || ':' || entity_id, 'ok',
           json_remove(details, '$.value') FROM staff_actions
    UNION ALL
    SELECT 'change', c.seq, c.received_at, d.officer_name, c.device_id, 'change', c.entity || ':' || c.entity_id, c.status,
           coalesce(json_extract(c.refusal, '$.reason') || ': ' || json_extract(c.refusal, '$.message'),
                    (SELECT group_concat(key, ',') FROM json_each(c.fields)))
    FROM changes c JOIN devices d ON d.device_id = c.device_id;

-- Wrong passwords are counted per client address as well as per name, so that a stranger's tries
-- lock out the stranger, not the account's owner.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_by_client ON login_failures (client, at_unix);
