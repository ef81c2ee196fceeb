-- A fleet rewrites its node rows all day (every report refreshes the last report, uptime and
-- last_seen_at; none of those columns is indexed). With room left on each page PostgreSQL can
-- update a row in place (a HOT update: no new index entries, dead versions pruned on the page),
-- instead of moving it to another page and adding an entry to each of the table's four indexes.
alter table node set (fillfactor = 70);
-- Only pages written from now on keep that room; existing full pages gain it as rows move off them
-- (a table rewrite, VACUUM FULL, would do it at once).
