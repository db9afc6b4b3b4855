-- A visit's confidential concerns, found by index: their reporters are taken out of the visit's
-- people met for everyone who may not see them.
CREATE INDEX records_concern_visit ON records (json_extract(fields, '$.visit_id')) WHERE entity = 'concern';
