-- Where in the station's log a merge happened, so that its undo can also move back what was
-- re-routed to the survivor after it (a visit recorded offline against the merged-away household).
ALTER TABLE duplicates ADD COLUMN merged_seq INTEGER;
