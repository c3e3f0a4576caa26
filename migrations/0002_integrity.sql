-- Allocations keep invoice, payment and credit-note balances honest; the audit log is
-- append-only; every change to the live tables writes a change-log row in its own transaction.

CREATE FUNCTION allocation_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inv invoices%ROWTYPE;
    left_minor bigint;
BEGIN
    SELECT * INTO inv FROM invoices WHERE id = NEW.invoice_id FOR UPDATE;
    IF NEW.amount_minor > inv.open_minor THEN
        RAISE EXCEPTION 'allocation of % would take invoice % below zero (open %)',
            NEW.amount_minor, inv.number, inv.open_minor USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.applied_on < inv.issue_date THEN
        RAISE EXCEPTION 'allocation on % precedes invoice % issued %', NEW.applied_on, inv.number, inv.issue_date
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.payment_id IS NOT NULL THEN
        UPDATE payments SET unapplied_minor = unapplied_minor - NEW.amount_minor
         WHERE id = NEW.payment_id AND currency = inv.currency AND unapplied_minor >= NEW.amount_minor
        RETURNING unapplied_minor, received_on INTO left_minor, NEW.source_date;
    ELSE
        UPDATE credit_notes SET unapplied_minor = unapplied_minor - NEW.amount_minor
         WHERE id = NEW.credit_note_id AND currency = inv.currency AND unapplied_minor >= NEW.amount_minor
        RETURNING unapplied_minor, issue_date INTO left_minor, NEW.source_date;
    END IF;
    NEW.currency := inv.currency;
    NEW.invoice_issue_date := inv.issue_date;
    NEW.invoice_due_date := inv.due_date;
    IF left_minor IS NULL THEN
        RAISE EXCEPTION 'allocation of % exceeds what is unapplied on its payment or credit note, or its currency differs from invoice %',
            NEW.amount_minor, inv.number USING ERRCODE = 'check_violation';
    END IF;
    UPDATE invoices
       SET open_minor = open_minor - NEW.amount_minor,
           settled_on = CASE WHEN open_minor - NEW.amount_minor = 0 THEN
                            GREATEST(NEW.applied_on, (SELECT max(applied_on) FROM allocations WHERE invoice_id = inv.id))
                        END
     WHERE id = inv.id;
    RETURN NEW;
END $$;
CREATE TRIGGER allocation_before_insert BEFORE INSERT ON allocations
    FOR EACH ROW EXECUTE FUNCTION allocation_before_insert();

CREATE FUNCTION allocation_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE invoices SET open_minor = open_minor + OLD.amount_minor, settled_on = NULL WHERE id = OLD.invoice_id;
    UPDATE payments SET unapplied_minor = unapplied_minor + OLD.amount_minor WHERE id = OLD.payment_id;
    UPDATE credit_notes SET unapplied_minor = unapplied_minor + OLD.amount_minor WHERE id = OLD.credit_note_id;
    RETURN OLD;
END $$;
CREATE TRIGGER allocation_before_delete BEFORE DELETE ON allocations
    FOR EACH ROW EXECUTE FUNCTION allocation_before_delete();

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER allocation_no_update BEFORE UPDATE ON allocations
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL DEFAULT session_user,
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id bigint,
    customer_id bigint,
    details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_customer_idx ON audit_log (customer_id, at DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The live feed. Readers take rows past their (xid, seq) cursor and below the snapshot's
-- xmin, so a transaction that commits late is never skipped.
CREATE TABLE change_log (
    seq  bigserial,
    xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at   timestamptz NOT NULL DEFAULT now(),
    tbl  text NOT NULL,
    key  bigint NOT NULL,
    op   char(1) NOT NULL,
    PRIMARY KEY (xid, seq)
);

CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (tbl, key, op)
    VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, left(TG_OP, 1));
    -- One wake-up hint per transaction: identical notifications in a transaction are folded.
    PERFORM pg_notify('settle_changes', '');
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['invoices', 'payments', 'allocations', 'credit_notes', 'disputes',
                             'dispute_events', 'holds', 'outreach', 'promises', 'customers']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION log_change()', t || '_change_log', t);
    END LOOP;
END $$;
