-- The worklist's reminders walk the largest open overdue invoices for candidates, a
-- collector's among their own customers'. With the customer in the index the walk needs no
-- invoice row (a collector's 150 lie among ~5,800 of the largest on the large demo book, each
-- read from the heap before), and a collector's customers are read from an index alone.
DROP INDEX invoices_open_largest_idx;
CREATE INDEX invoices_open_largest_idx ON invoices (open_minor DESC, id) INCLUDE (due_date, customer_id)
    WHERE open_minor > 0;

CREATE INDEX customer_owners_agent_relation_idx ON customer_owners (agent_id, relation) INCLUDE (customer_id);
