-- Imports: credit notes as a fourth kind, and the changes a later ERP export makes to what the
-- store has (a customer renamed, an invoice's amount corrected) applied only when asked
-- (`settle import --update`), each with its audit row holding before and after.

GRANT INSERT ON credit_notes TO settle_importer;
GRANT USAGE ON SEQUENCE credit_notes_id_seq TO settle_importer;

CREATE OR REPLACE FUNCTION record_import(p_kind text, p_details jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_require('importer');
    IF p_kind IS NULL OR p_kind NOT IN ('customers', 'invoices', 'payments', 'credit_notes') THEN
        RAISE EXCEPTION '"%" is not something settle imports', coalesce(p_kind, '') USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_audit('import', p_kind, NULL, NULL, p_details);
END $$;

-- A customer's name, region, terms or credit limit as the export has them now. NULL leaves a
-- field alone. Returns what changed ({"name": [before, after], …}), or NULL if nothing did.
CREATE FUNCTION import_update_customer(p_code text, p_name text, p_region text, p_terms int, p_credit_limit bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c customers%ROWTYPE;
    changes jsonb := '{}';
BEGIN
    PERFORM settle_require('importer');
    SELECT * INTO c FROM customers WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no customer with code `%`', p_code USING ERRCODE = 'no_data_found';
    END IF;
    IF p_terms IS NOT NULL AND p_terms NOT BETWEEN 0 AND 365 THEN
        RAISE EXCEPTION 'terms of % days are not between 0 and 365', p_terms USING ERRCODE = 'check_violation';
    END IF;
    IF p_name IS NOT NULL AND p_name <> c.name THEN
        changes := changes || jsonb_build_object('name', jsonb_build_array(c.name, p_name));
    END IF;
    IF p_region IS NOT NULL AND p_region <> c.region THEN
        changes := changes || jsonb_build_object('region', jsonb_build_array(c.region, p_region));
    END IF;
    IF p_terms IS NOT NULL AND p_terms <> c.terms_days THEN
        changes := changes || jsonb_build_object('terms_days', jsonb_build_array(c.terms_days, p_terms));
    END IF;
    IF p_credit_limit IS NOT NULL AND p_credit_limit <> c.credit_limit_minor THEN
        changes := changes || jsonb_build_object('credit_limit',
            jsonb_build_array(settle_money(c.credit_limit_minor, c.currency), settle_money(p_credit_limit, c.currency)));
    END IF;
    IF changes = '{}' THEN
        RETURN NULL;
    END IF;
    UPDATE customers SET name = coalesce(p_name, name), region = coalesce(p_region, region),
                         terms_days = coalesce(p_terms, terms_days), credit_limit_minor = coalesce(p_credit_limit, credit_limit_minor)
     WHERE id = c.id;
    PERFORM settle_audit('import_update', 'customer', c.id, c.id, changes);
    RETURN changes;
END $$;

-- An invoice's dates and amount as the export has them now. Its customer and currency do not
-- change (credit it and invoice again), nor do the dates of one with payments applied; an amount
-- below what is already paid is refused. What is open follows the amount; an invoice paid in
-- full by the change is settled today.
CREATE FUNCTION import_update_invoice(p_number text, p_customer bigint, p_issue date, p_due date, p_amount bigint, p_currency text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    i invoices%ROWTYPE;
    paid bigint;
    changes jsonb := '{}';
BEGIN
    PERFORM settle_require('importer');
    SELECT * INTO i FROM invoices WHERE number = p_number FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no invoice numbered `%`', p_number USING ERRCODE = 'no_data_found';
    END IF;
    IF p_customer IS DISTINCT FROM i.customer_id THEN
        RAISE EXCEPTION '% belongs to another customer in the store: an invoice does not move (credit it and invoice again)', p_number
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_currency IS DISTINCT FROM i.currency::text THEN
        RAISE EXCEPTION '% is in % in the store: its currency does not change (credit it and invoice again)', p_number, i.currency
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_due < p_issue THEN
        RAISE EXCEPTION 'due date % is before issue date %', p_due, p_issue USING ERRCODE = 'check_violation';
    END IF;
    paid := i.amount_minor - i.open_minor;
    IF p_amount < paid THEN
        RAISE EXCEPTION '% has % paid against it: the new amount % is less', p_number,
            settle_money(paid, i.currency), settle_money(p_amount, i.currency) USING ERRCODE = 'check_violation';
    END IF;
    IF p_amount <> i.amount_minor THEN
        changes := changes || jsonb_build_object('amount',
            jsonb_build_array(settle_money(i.amount_minor, i.currency), settle_money(p_amount, i.currency)));
    END IF;
    IF p_issue <> i.issue_date THEN
        changes := changes || jsonb_build_object('issued', jsonb_build_array(i.issue_date, p_issue));
    END IF;
    IF p_due <> i.due_date THEN
        changes := changes || jsonb_build_object('due', jsonb_build_array(i.due_date, p_due));
    END IF;
    IF changes = '{}' THEN
        RETURN NULL;
    END IF;
    -- Allocations keep the dates of their invoice (aging as of a past day reads them there).
    IF (p_issue <> i.issue_date OR p_due <> i.due_date)
       AND EXISTS (SELECT 1 FROM allocations a WHERE a.invoice_id = i.id) THEN
        RAISE EXCEPTION '% has payments or credits applied: its dates do not change (credit it and invoice again)', p_number
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE invoices SET issue_date = p_issue, due_date = p_due, amount_minor = p_amount, open_minor = p_amount - paid,
                        settled_on = CASE WHEN p_amount - paid = 0 THEN coalesce(settled_on, settle_today()) END
     WHERE id = i.id;
    PERFORM settle_audit('import_update', 'invoice', i.id, i.customer_id, changes);
    RETURN changes;
END $$;

REVOKE ALL ON FUNCTION import_update_customer(text, text, text, int, bigint),
    import_update_invoice(text, bigint, date, date, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import_update_customer(text, text, text, int, bigint),
    import_update_invoice(text, bigint, date, date, bigint, text) TO settle_importer;
