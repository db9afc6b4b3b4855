-- Duplicate residents: the same ID number, or the same name + birth date + phone (see
-- doorstep_core::identity). The keys sit beside each resident so a newcomer is checked by index.
ALTER TABLE records ADD COLUMN id_key TEXT;
ALTER TABLE records ADD COLUMN person_key TEXT;
CREATE INDEX records_resident_id_key ON records (id_key) WHERE entity = 'resident' AND id_key IS NOT NULL;
CREATE INDEX records_resident_person_key ON records (person_key) WHERE entity = 'resident' AND person_key IS NOT NULL;

-- What a merge moved is now one entry per field it changed, with the value before and after, so
-- that undo can put back exactly that (households only ever moved `household_id`).
UPDATE duplicates SET moved = (
    SELECT json_group_array(json_object('entity', json_extract(m.value, '$[0]'), 'id', json_extract(m.value, '$[1]'),
                                        'field', 'household_id', 'before', duplicates.loser, 'after', duplicates.survivor))
    FROM json_each(duplicates.moved) AS m)
WHERE moved IS NOT NULL;
