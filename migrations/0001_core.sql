-- settle: the AR store. Money is integer minor units plus an ISO currency code.

CREATE DOMAIN currency_code AS text CHECK (VALUE ~ '^[A-Z]{3}$');
CREATE DOMAIN money_minor AS bigint CHECK (VALUE >= 0);

CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO settings (key, value) VALUES
    ('reporting_currency', 'USD'),
    ('business_time_zone', 'America/New_York');

CREATE TABLE currencies (
    code        currency_code PRIMARY KEY,
    minor_units smallint NOT NULL CHECK (minor_units BETWEEN 0 AND 4),
    name        text NOT NULL
);
INSERT INTO currencies VALUES ('USD', 2, 'US dollar'), ('EUR', 2, 'Euro'), ('GBP', 2, 'Pound sterling');

-- Rate to convert one unit of `currency` into the reporting currency, times 10^8.
CREATE TABLE fx_rates (
    currency  currency_code NOT NULL REFERENCES currencies,
    rate_date date NOT NULL,
    rate_e8   bigint NOT NULL CHECK (rate_e8 > 0),
    PRIMARY KEY (currency, rate_date)
);

CREATE TABLE business_calendars (
    id         serial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    time_zone  text NOT NULL,
    work_days  smallint[] NOT NULL DEFAULT '{1,2,3,4,5}', -- ISO weekday numbers
    day_start  time NOT NULL DEFAULT '09:00',
    day_end    time NOT NULL DEFAULT '17:00',
    CHECK (day_end > day_start)
);

CREATE TABLE calendar_holidays (
    calendar_id int NOT NULL REFERENCES business_calendars ON DELETE CASCADE,
    day         date NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (calendar_id, day)
);

CREATE TABLE agents (
    id           serial PRIMARY KEY,
    role_name    text NOT NULL UNIQUE,          -- the PostgreSQL role this person logs in as
    display_name text NOT NULL,
    email        text NOT NULL,
    title        text NOT NULL CHECK (title IN ('lead', 'collector', 'viewer', 'account_executive', 'customer_success'))
);

CREATE TABLE customers (
    id                 bigserial PRIMARY KEY,
    code               text NOT NULL UNIQUE,
    name               text NOT NULL,
    region             text NOT NULL,
    terms_days         int  NOT NULL CHECK (terms_days BETWEEN 0 AND 365),
    credit_limit_minor money_minor NOT NULL,
    currency           currency_code NOT NULL REFERENCES currencies,
    reporting_currency currency_code NOT NULL REFERENCES currencies,
    strategic          boolean NOT NULL DEFAULT false,
    segment_override   text CHECK (segment_override IN ('vip', 'chronic_late', 'high_risk', 'standard')),
    override_reason    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((segment_override IS NULL) = (override_reason IS NULL))
);
CREATE INDEX customers_name_idx ON customers (lower(name));

CREATE TABLE customer_owners (
    customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
    agent_id    int NOT NULL REFERENCES agents,
    relation    text NOT NULL CHECK (relation IN ('account_executive', 'customer_success', 'collector')),
    PRIMARY KEY (customer_id, relation)
);
CREATE INDEX customer_owners_agent_idx ON customer_owners (agent_id);

CREATE TABLE contacts (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
    name         text NOT NULL,
    email        text,
    phone        text,
    channel      text NOT NULL CHECK (channel IN ('email', 'phone', 'portal', 'letter')),
    is_primary   boolean NOT NULL DEFAULT false
);
CREATE INDEX contacts_customer_idx ON contacts (customer_id);

CREATE TABLE handoff_briefs (
    customer_id           bigint PRIMARY KEY REFERENCES customers ON DELETE CASCADE,
    key_contacts          text NOT NULL DEFAULT '',
    communication_prefs   text NOT NULL DEFAULT '',
    nonstandard_terms     text NOT NULL DEFAULT '',
    delivery_commitments  text NOT NULL DEFAULT '',
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers,
    number       text NOT NULL UNIQUE,
    issue_date   date NOT NULL,
    due_date     date NOT NULL,
    amount_minor money_minor NOT NULL,
    currency     currency_code NOT NULL REFERENCES currencies,
    -- Maintained by allocation triggers: what is open today, and the day it reached zero.
    open_minor   money_minor NOT NULL,
    settled_on   date,
    CHECK (due_date >= issue_date),
    CHECK (open_minor <= amount_minor),
    CHECK ((open_minor = 0) = (settled_on IS NOT NULL) OR amount_minor = 0)
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, issue_date);
CREATE INDEX invoices_issue_idx ON invoices (issue_date) INCLUDE (amount_minor, currency);
CREATE INDEX invoices_open_idx ON invoices (due_date) INCLUDE (customer_id, open_minor, currency, issue_date) WHERE open_minor > 0;
CREATE INDEX invoices_settled_idx ON invoices (settled_on) INCLUDE (issue_date, due_date, currency, customer_id)
    WHERE settled_on IS NOT NULL;

CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers,
    reference    text NOT NULL UNIQUE,
    received_on  date NOT NULL,
    amount_minor money_minor NOT NULL CHECK (amount_minor > 0),
    currency     currency_code NOT NULL REFERENCES currencies,
    unapplied_minor money_minor NOT NULL
);
CREATE INDEX payments_customer_idx ON payments (customer_id, received_on);
CREATE INDEX payments_unapplied_idx ON payments (received_on) WHERE unapplied_minor > 0;

CREATE TABLE credit_notes (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers,
    number       text NOT NULL UNIQUE,
    issue_date   date NOT NULL,
    amount_minor money_minor NOT NULL CHECK (amount_minor > 0),
    currency     currency_code NOT NULL REFERENCES currencies,
    reason       text NOT NULL,
    unapplied_minor money_minor NOT NULL
);
CREATE INDEX credit_notes_issue_idx ON credit_notes (issue_date);

CREATE TABLE allocations (
    id             bigserial PRIMARY KEY,
    invoice_id     bigint NOT NULL REFERENCES invoices,
    payment_id     bigint REFERENCES payments,
    credit_note_id bigint REFERENCES credit_notes,
    applied_on     date NOT NULL,
    amount_minor   money_minor NOT NULL CHECK (amount_minor > 0),
    -- Copied from the invoice and the payment or credit note by the insert trigger (facts that
    -- never change), so aging as of a past date reads allocations from one index.
    currency           currency_code NOT NULL,
    invoice_issue_date date NOT NULL,
    invoice_due_date   date NOT NULL,
    source_date        date NOT NULL,
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);
CREATE INDEX allocations_invoice_idx ON allocations (invoice_id, applied_on);
CREATE INDEX allocations_payment_idx ON allocations (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX allocations_credit_idx ON allocations (credit_note_id) WHERE credit_note_id IS NOT NULL;
CREATE INDEX allocations_applied_idx ON allocations (applied_on)
    INCLUDE (invoice_issue_date, invoice_due_date, currency, amount_minor, source_date, invoice_id);

CREATE TABLE orders (
    id           bigserial PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers,
    number       text NOT NULL UNIQUE,
    placed_at    timestamptz NOT NULL,
    amount_minor money_minor NOT NULL,
    currency     currency_code NOT NULL REFERENCES currencies,
    status       text NOT NULL CHECK (status IN ('open', 'held', 'released', 'shipped', 'cancelled'))
);
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE TABLE hold_policies (
    reason              text PRIMARY KEY CHECK (reason IN ('overdue_balance', 'credit_limit', 'manual_review')),
    auto_release        boolean NOT NULL,
    release_lag_minutes int NOT NULL CHECK (release_lag_minutes > 0)
);
INSERT INTO hold_policies VALUES
    ('overdue_balance', false, 240),
    ('credit_limit', false, 480),
    ('manual_review', false, 1440);

CREATE TABLE holds (
    id             bigserial PRIMARY KEY,
    order_id       bigint NOT NULL REFERENCES orders,
    reason         text NOT NULL REFERENCES hold_policies,
    placed_at      timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('held', 'cleared', 'released')),
    cleared_at     timestamptz,
    released_at    timestamptz,
    released_by    int REFERENCES agents,
    release_note   text,
    CHECK ((status = 'held') = (cleared_at IS NULL) OR status = 'released'),
    CHECK ((status = 'released') = (released_at IS NOT NULL))
);
CREATE INDEX holds_active_idx ON holds (status, cleared_at) WHERE status <> 'released';
CREATE INDEX holds_cleared_idx ON holds (cleared_at) WHERE cleared_at IS NOT NULL;
CREATE UNIQUE INDEX holds_one_active_per_order ON holds (order_id) WHERE status <> 'released';

CREATE TABLE hold_blockers (
    hold_id    bigint NOT NULL REFERENCES holds ON DELETE CASCADE,
    invoice_id bigint NOT NULL REFERENCES invoices,
    PRIMARY KEY (hold_id, invoice_id)
);
CREATE INDEX hold_blockers_invoice_idx ON hold_blockers (invoice_id);

CREATE TABLE sla_policies (
    id                     serial PRIMARY KEY,
    name                   text NOT NULL UNIQUE,
    category               text,   -- NULL: any category
    segment                text,   -- NULL: any segment
    calendar_id            int REFERENCES business_calendars, -- NULL: calendar hours
    first_response_minutes int NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes     int NOT NULL CHECK (resolution_minutes > 0),
    priority               int NOT NULL DEFAULT 0
);

CREATE TABLE disputes (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE,
    invoice_id        bigint NOT NULL REFERENCES invoices,
    customer_id       bigint NOT NULL REFERENCES customers,
    amount_minor      money_minor NOT NULL CHECK (amount_minor > 0),
    currency          currency_code NOT NULL REFERENCES currencies,
    category          text NOT NULL CHECK (category IN ('pricing', 'quantity', 'quality', 'missing_po',
                                                        'duplicate_billing', 'tax', 'service_not_rendered', 'other')),
    line_item         text,
    state             text NOT NULL CHECK (state IN ('open', 'investigating', 'awaiting_customer', 'resolved')),
    outcome           text CHECK (outcome IN ('credited', 'rejected', 'partially_credited')),
    credited_minor    money_minor,
    policy_id         int NOT NULL REFERENCES sla_policies,
    assignee_id       int REFERENCES agents,
    escalated         boolean NOT NULL DEFAULT false,
    opened_at         timestamptz NOT NULL,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    CHECK ((state = 'resolved') = (outcome IS NOT NULL)),
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (credited_minor IS NULL OR credited_minor <= amount_minor)
);
CREATE INDEX disputes_open_idx ON disputes (opened_at) WHERE state <> 'resolved';
CREATE INDEX disputes_invoice_idx ON disputes (invoice_id);
CREATE INDEX disputes_customer_idx ON disputes (customer_id);

CREATE TABLE dispute_events (
    id          bigserial PRIMARY KEY,
    dispute_id  bigint NOT NULL REFERENCES disputes,
    at          timestamptz NOT NULL,
    agent_id    int REFERENCES agents,
    kind        text NOT NULL CHECK (kind IN ('opened', 'response', 'state', 'assigned', 'note', 'escalated')),
    from_state  text,
    to_state    text,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX dispute_events_dispute_idx ON dispute_events (dispute_id, at);

CREATE TABLE promises (
    id            bigserial PRIMARY KEY,
    customer_id   bigint NOT NULL REFERENCES customers,
    invoice_id    bigint REFERENCES invoices,
    amount_minor  money_minor NOT NULL CHECK (amount_minor > 0),
    currency      currency_code NOT NULL REFERENCES currencies,
    made_on       date NOT NULL,
    promised_for  date NOT NULL CHECK (promised_for >= made_on),
    status        text NOT NULL CHECK (status IN ('open', 'kept', 'broken')),
    recorded_by   int REFERENCES agents
);
CREATE INDEX promises_customer_idx ON promises (customer_id);

CREATE TABLE outreach_templates (
    id       serial PRIMARY KEY,
    code     text NOT NULL UNIQUE,
    segment  text NOT NULL CHECK (segment IN ('vip', 'chronic_late', 'high_risk', 'standard', 'any')),
    purpose  text NOT NULL CHECK (purpose IN ('reminder', 'hold_release', 'promise_followup')),
    tone     text NOT NULL CHECK (tone IN ('personal', 'friendly', 'firm', 'escalation', 'confirmation')),
    channel  text NOT NULL CHECK (channel IN ('email', 'phone_task', 'portal', 'personal_note')),
    subject  text NOT NULL,
    body     text NOT NULL
);

CREATE TABLE outreach (
    id             bigserial PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES customers,
    invoice_id     bigint REFERENCES invoices,          -- the invoice the message is about, if one
    invoice_ids    bigint[] NOT NULL DEFAULT '{}',
    hold_id        bigint REFERENCES holds,
    purpose        text NOT NULL CHECK (purpose IN ('reminder', 'hold_release', 'promise_followup')),
    channel        text NOT NULL CHECK (channel IN ('email', 'phone_task', 'portal', 'personal_note')),
    tone           text NOT NULL CHECK (tone IN ('personal', 'friendly', 'firm', 'escalation', 'confirmation')),
    template_id    int REFERENCES outreach_templates,
    subject        text NOT NULL,
    body           text NOT NULL,
    copies         text[] NOT NULL DEFAULT '{}',
    send_after     timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('draft', 'queued', 'sent', 'failed', 'cancelled')),
    override_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     int REFERENCES agents,
    claimed_by     text,
    sent_at        timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- At most one active message per invoice and purpose; a hold's confirmation exists once.
CREATE UNIQUE INDEX outreach_one_active ON outreach (invoice_id, purpose)
    WHERE status IN ('draft', 'queued') AND invoice_id IS NOT NULL;
CREATE UNIQUE INDEX outreach_one_confirmation ON outreach (hold_id)
    WHERE hold_id IS NOT NULL AND status <> 'cancelled';
CREATE INDEX outreach_queue_idx ON outreach (send_after) WHERE status = 'queued';
CREATE INDEX outreach_send_after_idx ON outreach (send_after DESC, id DESC);
CREATE INDEX outreach_customer_idx ON outreach (customer_id, created_at);

CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    agent_id    int NOT NULL REFERENCES agents,
    customer_id bigint REFERENCES customers,
    kind        text NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX notifications_agent_idx ON notifications (agent_id, created_at);

-- Derived per-customer figures (payment rhythm, segment), refreshed by refresh_customer_profiles().
CREATE TABLE customer_profiles (
    customer_id       bigint PRIMARY KEY REFERENCES customers ON DELETE CASCADE,
    segment           text NOT NULL,
    segment_reason    text NOT NULL,
    typical_days      int,
    spread_days       int,
    recent_days       int,
    slipping          boolean NOT NULL DEFAULT false,
    refreshed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_profiles_segment_idx ON customer_profiles (segment);
