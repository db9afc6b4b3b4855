-- Which laptop's changes a record's current state is, exactly as that laptop holds them: its
-- changes `echo_from` to `echo_seq`, applied one after the other on a version it had seen, nothing
-- merged in. The laptop's pull in the same sync as those changes does not bring the record back (it
-- downloaded its own 20,000 pushed records again before). Cleared by every other write.
ALTER TABLE records ADD COLUMN echo_device TEXT;
ALTER TABLE records ADD COLUMN echo_seq INTEGER;
ALTER TABLE records ADD COLUMN echo_from INTEGER;
