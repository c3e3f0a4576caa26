-- The hot tables are vacuumed and analysed early. Every payment updates its invoice's open
-- amount; PostgreSQL's defaults wait for a fifth of a table to change, and meanwhile the
-- visibility map of `invoices` goes stale and the index-only scans behind aging today turn
-- into heap visits. Vacuum after about 1 % of a table changed (and 1,000 rows at the least).
ALTER TABLE invoices SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                          autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE allocations SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE payments SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
                          autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE change_log SET (autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE outreach SET (autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE holds SET (autovacuum_vacuum_scale_factor = 0.02);
