-- Unapplied cash and credit (store::aging::unapplied_at: part of every aging, the overview's
-- included) read from the indexes alone. Before, the payments' partial index named only the
-- day, so each unapplied payment was fetched from the table (1,532 heap pages on the large demo
-- store), and credit notes had no index for it at all (a scan of all 40,576): 7 ms of a 28 ms
-- overview computed by the console, and of each overview the worker publishes.
CREATE INDEX payments_unapplied_cover_idx ON payments (received_on) INCLUDE (currency, unapplied_minor)
    WHERE unapplied_minor > 0;
DROP INDEX payments_unapplied_idx;
CREATE INDEX credit_notes_unapplied_idx ON credit_notes (issue_date) INCLUDE (currency, unapplied_minor)
    WHERE unapplied_minor > 0;
-- Applying a credit note updates it: vacuumed early, as payments are (0012), so the visibility
-- map stays fresh for the index-only scan.
ALTER TABLE credit_notes SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
                              autovacuum_analyze_scale_factor = 0.02);
