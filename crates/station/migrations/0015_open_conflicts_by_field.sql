-- Every write of a field looks for the open conflicts of that field (follow_open_conflicts in
-- store/mod.rs): found by the field, not by scanning every open conflict.
CREATE INDEX conflicts_open_by_field ON conflicts (entity, entity_id, field) WHERE status = 'open';
