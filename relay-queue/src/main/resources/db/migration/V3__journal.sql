-- Bodies live in the queue's journal (spool/ in the data folder, see Journal): the database keeps
-- where (segment and offset). body stays for rows of older versions until they are moved there.
ALTER TABLE message ALTER COLUMN body DROP NOT NULL;
ALTER TABLE message ADD COLUMN spool_segment BIGINT;
ALTER TABLE message ADD COLUMN spool_offset BIGINT;
-- The journal deletes a segment once no message row names it.
CREATE INDEX message_segment ON message (spool_segment);
