-- Residents' pinyin tokens are built again (by the migration's hook, search::reindex_residents):
-- a surname now gets a second reading only from search.rs's list of surnames read otherwise than
-- their character (单 shan), not every reading the dictionary knows (王 also yù made "yhy" find
-- 王海燕).
SELECT 1;
