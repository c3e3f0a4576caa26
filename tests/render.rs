//! Rendering: snapshots of every view at 80x24 and 160x48 with a fake clock, styles that
//! carry meaning, and every size from 1x1 to 300x100 with 0, 1 and 100,000 rows.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::draw;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use settle::app::state::{AgingLevel, Loadable, OverviewData, Rows, SessionInfo, State, View};
use settle::app::{Action, Msg, update};
use settle::config::theme::{Depth, for_depth, load};
use settle::domain::aging::{AgingSummary, Basis, BookInvoice, BucketEdges, Rates, age_book};
use settle::domain::kpi::{KpiInputs, kpis};
use settle::domain::sla::{Clock, SlaClock};
use settle::domain::trust::trust_metrics;
use settle::model::{
    Account, AuditEntry, Case, CaseEvent, CustomerAging, DisputeLine, HeldOrder, OpenInvoice,
    OutreachLine, PromiseLine,
};
use settle::ui::Theme;

fn now() -> DateTime<Utc> {
    "2026-11-20T15:30:00Z".parse().unwrap()
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn theme() -> Theme {
    load("default", None).unwrap()
}

fn session(role: &str) -> SessionInfo {
    SessionInfo {
        user: "ben".into(),
        role: role.parse().unwrap(),
        agent: Some("Ben Okafor".into()),
        database: "ar".into(),
        host: "db1".into(),
        readonly: false,
        environment: "PROD".into(),
    }
}

fn aging() -> AgingSummary {
    let inv = |due: i64, amount: i64| BookInvoice {
        issue_date: today() - Duration::days(due + 30),
        due_date: today() - Duration::days(due),
        amount,
        currency: "USD".into(),
        allocations: vec![],
    };
    let book: Vec<BookInvoice> = [
        (-5, 1_250_000),
        (10, 830_000),
        (45, 120_000),
        (75, 55_000),
        (100, 9_000),
        (200, 480_000),
    ]
    .into_iter()
    .map(|(d, a)| inv(d, a))
    .collect();
    age_book(
        &book,
        &[],
        today(),
        Basis::Due,
        &BucketEdges::default(),
        "USD",
        &Rates::new(),
    )
}

fn overview() -> OverviewData {
    let inputs = KpiInputs {
        beginning_receivables: 2_600_000,
        credit_sales: 5_000_000,
        ending_total_receivables: 2_744_000,
        ending_current_receivables: 1_250_000,
        days: 90,
        months: 3,
    };
    OverviewData {
        aging: aging(),
        kpis: kpis(inputs, &[(1_700_000, 20), (1_600_000, 31), (1_700_000, 30)]),
        trust: trust_metrics(now(), 30, &[], &[]),
        alerts: vec![
            "✖ 2 disputes have breached an SLA clock".into(),
            "▲ 3 accounts slipping".into(),
        ],
    }
}

fn clock(target: i64, elapsed: i64) -> SlaClock {
    SlaClock {
        target_minutes: target,
        elapsed_minutes: elapsed,
        stopped: false,
        paused: false,
    }
}

fn dispute(n: usize, customer: &str) -> DisputeLine {
    DisputeLine {
        id: n as i64,
        customer_id: 1,
        number: format!("DSP-{n:05}"),
        customer: customer.into(),
        segment: "vip".into(),
        invoice: "INV-00000042".into(),
        category: "pricing".into(),
        state: "investigating".parse().unwrap(),
        amount: 123_456,
        currency: "USD".into(),
        assignee: Some("Ben Okafor".into()),
        escalated: n.is_multiple_of(3),
        opened_at: now() - Duration::hours(5),
        policy: "Standard (business hours)".into(),
        first_response: SlaClock {
            stopped: true,
            ..clock(240, 60)
        },
        resolution: clock(1440, [1500, 1200, 100][n % 3]),
        measured_at: now(),
        clock: Clock::Wall,
        watchers: vec![],
    }
}

/// A state showing `view` with `n` rows (the window holds at most 60 of them).
fn state_with(view: View, n: usize, name: &str) -> State {
    let mut s = State::new(now(), today(), session("collector"));
    s.keys = Action::ALL
        .iter()
        .map(|a| (*a, a.name().chars().next().unwrap().to_string()))
        .collect();
    s.overview = Loadable::Ready(overview());
    s.view = view.clone();
    s.list.total = n as i64;
    let w = n.min(60);
    s.list.rows = match view {
        View::Aging(AgingLevel::Buckets) => {
            s.list.total = 6;
            Rows::Buckets(aging())
        }
        View::Aging(AgingLevel::Customers { .. }) => Rows::Customers(
            (0..w)
                .map(|i| CustomerAging {
                    customer_id: i as i64,
                    code: format!("C{i:06}"),
                    name: name.into(),
                    segment: "standard".into(),
                    invoices: 3,
                    amount: 99_000,
                })
                .collect(),
        ),
        View::Aging(AgingLevel::Invoices { .. }) => Rows::Invoices(
            (0..w)
                .map(|i| OpenInvoice {
                    id: i as i64,
                    customer_id: 1,
                    number: format!("INV-{i:08}"),
                    customer: name.into(),
                    issue_date: today() - Duration::days(60),
                    due_date: today() - Duration::days(30),
                    amount: 50_000,
                    open: 40_000,
                    currency: "EUR".into(),
                    disputed: i == 0,
                    expected: Some(today()),
                })
                .collect(),
        ),
        View::Disputes => Rows::Disputes((0..w).map(|i| dispute(i, name)).collect()),
        View::Holds => Rows::Holds(
            (0..w)
                .map(|i| HeldOrder {
                    told: vec!["Sam Reyes".into()],
                    hold_id: i as i64,
                    customer_id: 1,
                    order: format!("SO-{i:07}"),
                    customer: name.into(),
                    reason: "overdue_balance".into(),
                    status: if i == 0 {
                        "cleared".parse().unwrap()
                    } else {
                        "held".parse().unwrap()
                    },
                    amount: 2_000_000,
                    currency: "USD".into(),
                    placed_at: now() - Duration::hours(30),
                    cleared_at: (i == 0).then(|| now() - Duration::hours(6)),
                    lag_target_minutes: 240,
                    blockers: vec![("INV-00000007".into(), i != 0)],
                })
                .collect(),
        ),
        View::Outreach => Rows::Outreach(
            (0..w)
                .map(|i| OutreachLine {
                    id: i as i64,
                    customer_id: 1,
                    customer: name.into(),
                    invoice: Some("INV-00000042".into()),
                    purpose: "reminder".parse().unwrap(),
                    channel: "personal_note".parse().unwrap(),
                    tone: "personal".parse().unwrap(),
                    status: "queued".parse().unwrap(),
                    subject: "A quick note about invoice INV-00000042".into(),
                    copies: vec!["Sam Keller".into()],
                    send_after: now() + Duration::days(2),
                    suppression: (i == 0).then(|| "usually pays on day 35; expected 14 Mar".into()),
                    last_error: None,
                })
                .collect(),
        ),
        View::Activity => Rows::Activity(
            (0..w)
                .map(|i| AuditEntry {
                    id: i as i64,
                    at: now() - Duration::minutes(i as i64),
                    actor: "Ava Lindqvist".into(),
                    action: "release_hold".into(),
                    entity: "hold".into(),
                    entity_id: Some(7),
                    customer: Some(name.into()),
                    customer_id: Some(1),
                    reference: Some("SO-0000007".into()),
                    details: "note: wire received".into(),
                })
                .collect(),
        ),
        View::Promises => Rows::Promises(
            (0..w)
                .map(|i| PromiseLine {
                    id: i as i64,
                    customer_id: 1,
                    customer: name.into(),
                    invoice: Some(format!("INV-{i:08}")),
                    amount: 250_000,
                    paid: if i == 2 { 250_000 } else { 0 },
                    currency: "USD".into(),
                    made_on: today() - Duration::days(10),
                    promised_for: today() + Duration::days(i as i64 - 1),
                    deadline: today() + Duration::days(i as i64 + 1),
                    status: ["open", "open", "kept", "broken"][i % 4].parse().unwrap(),
                    closed_on: (i % 4 >= 2).then(|| today() - Duration::days(1)),
                    taken_by: Some("Ben Okafor".into()),
                })
                .collect(),
        ),
        View::Inbox => Rows::Inbox(
            (0..w)
                .map(|i| settle::model::Notice {
                    id: i as i64,
                    at: now() - Duration::hours(i as i64),
                    kind: ["slipping", "promise_broken", "hold_released"][i % 3].into(),
                    customer_id: Some(1),
                    customer: Some(name.into()),
                    message: format!(
                        "{name} started slipping: recently 54 days to pay vs usually 31"
                    ),
                    read: i % 2 == 1,
                })
                .collect(),
        ),
        View::Work => Rows::Work((0..w).map(|i| work_item(i, name).into()).collect()),
        _ => Rows::None,
    };
    if let View::Message(id) = view {
        s.message = Loadable::Ready(settle::model::MessageView {
            line: OutreachLine {
                id,
                customer_id: 1,
                customer: name.into(),
                invoice: Some("INV-00000042".into()),
                purpose: "reminder".parse().unwrap(),
                channel: "email".parse().unwrap(),
                tone: "firm".parse().unwrap(),
                status: "uncertain".parse().unwrap(),
                subject: "Payment overdue: invoice INV-00000042".into(),
                copies: vec!["Sam Keller".into()],
                send_after: now() - Duration::hours(2),
                suppression: None,
                last_error: None,
            },
            body:
                "Hello Priya,\n\nInvoice INV-00000042 is 12 days past due.\n\nAccounts Receivable"
                    .into(),
            to: Some("Priya (AP) <ap@acme.example>".into()),
            sent_at: None,
            attempts: 1,
            claimed_by: Some("worker1".into()),
            created_by: Some("Ben Okafor".into()),
            history: vec![AuditEntry {
                id: 1,
                at: now() - Duration::hours(3),
                actor: "ben".into(),
                action: "queue_outreach".into(),
                entity: "outreach".into(),
                entity_id: Some(id),
                customer: None,
                customer_id: None,
                reference: None,
                details: "{\"tone\": \"firm\"}".into(),
            }],
        });
    }
    if let View::Case(id) = view {
        s.case = Loadable::Ready(case(id as usize, name));
    }
    if let View::Customer(_) = view {
        s.account = Loadable::Ready(Account {
            code: "C000001".into(),
            name: name.into(),
            region: "EMEA".into(),
            terms_days: 30,
            credit_limit: 5_000_000,
            currency: "EUR".into(),
            segment: "chronic_late".into(),
            segment_reason: "late on 8 of the last 12 paid invoices; 14.2 days late on average"
                .into(),
            typical_days: Some(41),
            spread_days: Some(6),
            recent_days: Some(55),
            slipping: true,
            owners: vec![("account_executive".into(), "Sam Keller".into())],
            brief: vec![("Key contacts".into(), "AP lead".into())],
            ..Default::default()
        });
    }
    s
}

/// The screen as text; the cell after a wide character is skipped, as a terminal shows it.
fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < area.width {
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
            }
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The column where "USD" starts on each row that has it (in cells).
fn usd_columns(buf: &Buffer) -> Vec<u16> {
    let area = buf.area;
    (0..area.height)
        .skip(1) // the header names the currency too
        .filter_map(|y| {
            (0..area.width.saturating_sub(2)).find(|&x| {
                (0..3).all(|i| buf[(x + i, y)].symbol() == &"USD"[i as usize..=i as usize])
            })
        })
        .collect()
}

fn views() -> Vec<(&'static str, View)> {
    vec![
        ("overview", View::Overview),
        ("aging", View::Aging(AgingLevel::Buckets)),
        (
            "aging_customers",
            View::Aging(AgingLevel::Customers { bucket: 2 }),
        ),
        (
            "aging_invoices",
            View::Aging(AgingLevel::Invoices {
                bucket: 2,
                customer: 1,
                name: "Acme Corp".into(),
            }),
        ),
        ("disputes", View::Disputes),
        ("holds", View::Holds),
        ("outreach", View::Outreach),
        ("customer", View::Customer(1)),
        ("activity", View::Activity),
        ("promises", View::Promises),
        ("case", View::Case(3)),
        ("message", View::Message(9)),
        ("inbox", View::Inbox),
        ("work", View::Work),
    ]
}

/// One worklist item of each kind in turn: a dispute at risk, a reminder that may go, a paid
/// order still held, a task.
fn work_item(i: usize, name: &str) -> settle::model::WorkItem {
    use settle::domain::states::WorkKind;
    use settle::model::{Notice, WorkItem, WorkSubject};
    let late_at = now() + Duration::minutes(i as i64 * 50 - 120);
    let (kind, subject, reference, why) = match i % 4 {
        0 => (
            WorkKind::Dispute,
            WorkSubject::Dispute(Box::new(dispute(i, name))),
            format!("DSP-{i:05}"),
            "first response overdue by 2h00m · open · pricing".to_string(),
        ),
        1 => (
            WorkKind::Reminder,
            WorkSubject::Reminder(OpenInvoice {
                id: i as i64,
                customer_id: 1,
                number: format!("INV-{i:08}"),
                customer: name.into(),
                issue_date: today() - Duration::days(60),
                due_date: today() - Duration::days(30),
                amount: 50_000,
                open: 40_000,
                currency: "EUR".into(),
                disputed: false,
                expected: Some(today() - Duration::days(10)),
            }),
            format!("INV-{i:08}"),
            "30 days overdue · usually paid by 10 Nov · no reminder yet".to_string(),
        ),
        2 => (
            WorkKind::Hold,
            WorkSubject::Notice(Notice {
                id: i as i64,
                at: now(),
                kind: "hold".into(),
                customer_id: Some(1),
                customer: Some(name.into()),
                message: String::new(),
                read: false,
            }),
            format!("SO-{i:07}"),
            "paid 3h10m ago, still held (overdue balance) · release within 4h00m".to_string(),
        ),
        _ => (
            WorkKind::Task,
            WorkSubject::Notice(Notice {
                id: i as i64,
                at: now(),
                kind: "outreach_task".into(),
                customer_id: Some(1),
                customer: Some(name.into()),
                message: "phone task for Acme Corp: overdue invoice".into(),
                read: false,
            }),
            format!("NOTE-{i}"),
            "phone task for Acme Corp: overdue invoice".to_string(),
        ),
    };
    WorkItem {
        kind,
        subject,
        reference,
        customer_id: 1,
        customer: name.into(),
        why,
        late_at,
        amount: 120_000 - i as i64 * 1_000,
        currency: "USD".into(),
        at_stake: 120_000 - i as i64 * 1_000,
        owner: (!i.is_multiple_of(3)).then(|| ("ben".to_string(), "Ben Okafor".to_string())),
    }
}

/// An escalated dispute's case with a timeline of every kind of entry.
fn case(n: usize, customer: &str) -> Case {
    let at = |h: i64| now() - Duration::hours(h);
    let event = |h, kind: &str, who: &str, note: &str| CaseEvent {
        at: at(h),
        kind: kind.parse().unwrap(),
        who: Some(who.into()),
        from: None,
        to: None,
        target: None,
        note: note.into(),
    };
    Case {
        line: dispute(n, customer),
        line_item: Some("Line 3: premium support".into()),
        outcome: None,
        credited: None,
        resolved_at: None,
        invoice_amount: 500_000,
        invoice_open: 500_000,
        invoice_due: today() + Duration::days(5),
        first_response_minutes: 240,
        resolution_minutes: 1440,
        calendar: None,
        holidays: vec![],
        events: vec![
            CaseEvent {
                target: Some("Ava Lindqvist".into()),
                ..event(1, "escalated", "Ben Okafor", "Customer asks for the CFO")
            },
            CaseEvent {
                from: Some("open".into()),
                to: Some("investigating".into()),
                ..event(3, "state", "Ben Okafor", "")
            },
            event(4, "response", "Ben Okafor", "Looking into it today."),
            CaseEvent {
                target: Some("Ben Okafor".into()),
                ..event(4, "assigned", "Ben Okafor", "")
            },
            event(5, "opened", "Ben Okafor", "Raised by phone"),
        ],
    }
}

#[test]
fn every_view_matches_its_snapshot_at_two_sizes() {
    let theme = theme();
    for (name, view) in views() {
        let state = state_with(view, 5, "Acme Corp");
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&draw(&state, &theme, w, h)));
        }
    }
}

#[test]
fn every_view_renders_at_any_size_with_any_number_of_rows() {
    let theme = theme();
    let sizes: Vec<(u16, u16)> = [
        (1, 1),
        (2, 2),
        (39, 7),
        (40, 8),
        (41, 9),
        (80, 24),
        (120, 10),
        (300, 100),
        (10, 100),
        (300, 3),
    ]
    .into();
    for (_, view) in views() {
        for rows in [0, 1, 100_000] {
            let mut state = state_with(view.clone(), rows, "Acme Corp");
            state.list.selected = rows.saturating_sub(1).min(59);
            for &(w, h) in &sizes {
                let screen = text(&draw(&state, &theme, w, h));
                let lines: Vec<&str> = screen.split('\n').collect();
                assert_eq!(lines.len(), h as usize, "{w}x{h}: one line per row");
                if w < 40 || h < 8 {
                    assert!(
                        screen.contains("Terminal") || w * h < 20,
                        "{w}x{h}: {screen}"
                    );
                } else {
                    // The header says where you are; the bottom line says how to leave.
                    assert!(lines[0].contains("settle"), "{w}x{h}: {screen}");
                    assert!(lines[h as usize - 2].contains("quit"), "{w}x{h}: {screen}");
                    assert!(screen.contains(view.title()), "{w}x{h}: {screen}");
                }
            }
        }
    }
}

#[test]
fn the_selected_row_breached_sla_and_readonly_badge_are_styled() {
    let theme = theme();
    let state = state_with(View::Disputes, 3, "Acme Corp");
    let buf = draw(&state, &theme, 160, 20);
    let screen = text(&buf);
    let row = screen
        .lines()
        .position(|l| l.contains("▶"))
        .expect("a selected row marker");
    assert!(
        buf[(5, row as u16)].modifier.contains(Modifier::REVERSED),
        "selected row is reversed"
    );
    let breached_row = screen
        .lines()
        .position(|l| l.contains("✖ breached"))
        .unwrap();
    let col = screen
        .lines()
        .nth(breached_row)
        .unwrap()
        .chars()
        .position(|c| c == '✖')
        .unwrap();
    assert_eq!(
        buf[(col as u16, breached_row as u16)].style().fg,
        theme.sla_breached.fg
    );
    let mut viewer = state_with(View::Overview, 0, "x");
    viewer.session = session("viewer");
    let screen = text(&draw(&viewer, &theme, 120, 30));
    assert!(screen.lines().next().unwrap().contains("READ-ONLY"));
}

#[test]
fn mono_has_no_colour_yet_selection_and_sla_states_stay_visible() {
    let mono = for_depth(load("mono", None).unwrap(), Depth::None);
    let state = state_with(View::Disputes, 3, "Acme Corp");
    let buf = draw(&state, &mono, 160, 20);
    for cell in buf.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
            "a cell carries colour"
        );
    }
    let screen = text(&buf);
    assert!(screen.contains("▶") && screen.contains("✖ breached") && screen.contains("▲ at risk"));
}

#[test]
fn hostile_customer_names_never_reach_the_terminal_and_wide_names_keep_columns() {
    let theme = theme();
    let hostile = "Evil\x1b[2J\x1b]52;c;aGk=\x07 Corp\u{202e}";
    let state = state_with(View::Holds, 2, hostile);
    let buf = draw(&state, &theme, 120, 12);
    let screen = text(&buf);
    assert!(!screen.contains('\x1b') && !screen.contains('\x07') && !screen.contains('\u{202e}'));
    assert!(screen.contains("Evil␛[2J"));
    let wide = state_with(
        View::Holds,
        2,
        "株式会社サクラ 桜 Interiors Très Longue Dénomination Sociale",
    );
    let narrow = state_with(View::Holds, 2, "Acme");
    let (a, b) = (draw(&wide, &theme, 120, 12), draw(&narrow, &theme, 120, 12));
    let cols = [usd_columns(&a), usd_columns(&b)].concat();
    assert!(
        cols.len() == 4 && cols.iter().all(|c| *c == cols[0]),
        "columns stay aligned: {cols:?}\n{}",
        text(&a)
    );
}

#[test]
fn keys_drive_the_state_and_selection_follows_the_row_across_a_refresh() {
    let mut state = state_with(View::Disputes, 5, "Acme Corp");
    update(&mut state, Msg::Action(Action::Down));
    update(&mut state, Msg::Action(Action::Down));
    assert_eq!(state.list.selected_key.as_deref(), Some("DSP-00002"));
    // A refresh brings a new row on top: the cursor stays on DSP-00002.
    let mut rows: Vec<DisputeLine> = (0..5).map(|i| dispute(i, "Acme Corp")).collect();
    rows.insert(0, dispute(99, "New Co"));
    let generation = state.generation;
    update(
        &mut state,
        Msg::Loaded {
            generation,
            data: settle::app::Data::List {
                rows: Rows::Disputes(rows),
                total: 6,
                offset: 0,
            },
        },
    );
    assert_eq!(
        (state.list.selected, state.list.selected_key.as_deref()),
        (3, Some("DSP-00002"))
    );
}

#[test]
fn help_comes_from_the_keymap_and_typing_filters_it() {
    use settle::app::msg::TextKey;
    let theme = theme();
    let mut state = state_with(View::Holds, 3, "Acme Corp");
    update(&mut state, Msg::Action(Action::Help));
    let all = text(&draw(&state, &theme, 120, 40));
    assert!(
        all.contains("Move the selection down one row.") && all.contains(":disputes"),
        "{all}"
    );
    for c in "freeze".chars() {
        update(&mut state, Msg::Text(TextKey::Char(c)));
    }
    let filtered = text(&draw(&state, &theme, 120, 40));
    assert!(
        filtered.contains("Pause or resume live updates"),
        "{filtered}"
    );
    assert!(
        !filtered.contains("Move the selection down one row."),
        "{filtered}"
    );
    assert!(filtered.contains("filter: freeze"));
    update(&mut state, Msg::Text(TextKey::Esc));
    assert!(
        state.show_help && state.help_filter.is_empty(),
        "esc clears the filter first"
    );
    update(&mut state, Msg::Text(TextKey::Esc));
    assert!(!state.show_help);
}

#[test]
fn s_marks_the_sorted_column_in_the_header_and_the_title() {
    let theme = theme();
    let mut state = state_with(View::Holds, 5, "Acme Corp");
    update(&mut state, Msg::Action(Action::SortNext));
    update(&mut state, Msg::Action(Action::SortNext));
    update(&mut state, Msg::Action(Action::SortNext));
    let screen = text(&draw(&state, &theme, 120, 12));
    let header = screen.lines().nth(3).unwrap_or_default();
    assert!(header.contains("Customer▲"), "{screen}");
    assert!(screen.contains("sort: Customer ▲"), "{screen}");
    update(&mut state, Msg::Action(Action::SortReverse));
    insta::assert_snapshot!(
        "holds_sorted_by_customer_descending",
        text(&draw(&state, &theme, 120, 12))
    );
}

#[test]
fn marked_rows_carry_a_glyph_and_bold_in_every_theme() {
    let mono = for_depth(load("mono", None).unwrap(), Depth::None);
    let mut state = state_with(View::Holds, 5, "Acme Corp");
    update(&mut state, Msg::Action(Action::Mark));
    update(&mut state, Msg::Action(Action::Mark));
    assert_eq!(state.list.marked.len(), 2);
    let buf = draw(&state, &mono, 120, 12);
    let screen = text(&buf);
    insta::assert_snapshot!("holds_two_marked_mono", screen);
    let marked_lines: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains('✓') && l.contains("SO-"))
        .collect();
    assert_eq!(marked_lines.len(), 2, "{screen}");
    // Bold, not colour, tells a marked row from an unmarked one without a colour theme.
    let row_y = (0..buf.area.height)
        .find(|&y| text_line(&buf, y).starts_with("│✓ "))
        .expect("a marked row that is not selected");
    let x = 6;
    assert!(
        buf[(x, row_y)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
    let plain_y = (0..buf.area.height)
        .find(|&y| text_line(&buf, y).starts_with("│  ") && text_line(&buf, y).contains("SO-"))
        .expect("an unmarked row");
    assert!(
        !buf[(x, plain_y)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
}

fn text_line(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

fn type_in(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Msg::Text(settle::app::msg::TextKey::Char(c)));
    }
}

fn edit_text(state: &mut State, text: &str) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for c in text.chars() {
        update(
            state,
            Msg::Edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE).into()),
        );
    }
}

/// What people look at besides the lists: help, every dialog stage, the input and status
/// lines, the explain panel, the too-small screen.
#[test]
fn snapshots_where_people_look() {
    use settle::app::msg::DialogKey;
    let theme = theme();
    let shot = |state: &State, w: u16, h: u16| text(&draw(state, &theme, w, h));

    let mut help = state_with(View::Holds, 3, "Acme Corp");
    update(&mut help, Msg::Action(Action::Help));
    insta::assert_snapshot!("help_100x30", shot(&help, 100, 30));

    let mut lead = state_with(View::Holds, 3, "Acme Corp");
    lead.session.role = "lead".parse().unwrap();
    update(&mut lead, Msg::Action(Action::ReleaseHold));
    edit_text(&mut lead, "Wire received");
    insta::assert_snapshot!("dialog_edit", shot(&lead, 100, 24));
    let mut discard = lead.clone();
    update(&mut discard, Msg::Dialog(DialogKey::Cancel));
    insta::assert_snapshot!("dialog_discard", shot(&discard, 100, 24));
    update(&mut lead, Msg::Dialog(DialogKey::Submit));
    insta::assert_snapshot!("dialog_confirm", shot(&lead, 100, 24));
    update(&mut lead, Msg::Dialog(DialogKey::Char('y')));
    update(
        &mut lead,
        Msg::Acted(Err(
            "already released by Marco Rossi at 2026-11-20 15:29 UTC".into(),
        )),
    );
    insta::assert_snapshot!("dialog_refused_and_status_line", shot(&lead, 100, 24));

    let mut mover = state_with(View::Disputes, 3, "Acme Corp");
    update(&mut mover, Msg::Action(Action::MoveDispute));
    insta::assert_snapshot!("dialog_choose", shot(&mover, 100, 24));

    let mut command = state_with(View::Holds, 3, "Acme Corp");
    update(&mut command, Msg::Action(Action::CommandMode));
    type_in(&mut command, "disp");
    insta::assert_snapshot!("input_command", shot(&command, 80, 12));
    let mut filter = state_with(View::Holds, 3, "Acme Corp");
    update(&mut filter, Msg::Action(Action::Filter));
    type_in(&mut filter, "acme amount>10000");
    insta::assert_snapshot!("input_filter", shot(&filter, 80, 12));

    let mut explain = state_with(View::Overview, 0, "Acme Corp");
    update(&mut explain, Msg::Action(Action::Explain));
    insta::assert_snapshot!("explain_overview", shot(&explain, 120, 40));

    let mut ranked = state_with(View::Work, 6, "Acme Corp");
    update(&mut ranked, Msg::Action(Action::Explain));
    insta::assert_snapshot!("explain_work", shot(&ranked, 120, 40));

    let small = state_with(View::Disputes, 3, "Acme Corp");
    insta::assert_snapshot!("too_small_30x6", shot(&small, 30, 6));
}

#[test]
fn a_late_first_response_reads_late_and_keeps_the_row_breached() {
    let theme = theme();
    let mut state = state_with(View::Disputes, 1, "Acme Corp");
    let Rows::Disputes(rows) = &mut state.list.rows else {
        panic!("disputes")
    };
    rows[0].first_response = SlaClock {
        stopped: true,
        ..clock(240, 240 + 27 * 60 + 34)
    };
    rows[0].resolution = clock(1440, 100);
    let buf = draw(&state, &theme, 160, 10);
    let screen = text(&buf);
    let row = screen.lines().find(|l| l.contains("DSP-00000")).unwrap();
    assert!(row.contains("✖ breached"), "{row}");
    assert!(row.contains("late +27h34m"), "{row}");
    assert!(!row.contains(" met "), "{row}");
}

#[test]
fn business_clocks_out_of_hours_say_so_and_when_they_resume() {
    use settle::domain::sla::BusinessCalendar;
    let theme = theme();
    let mut state = state_with(View::Disputes, 1, "Acme Corp");
    // Saturday night in New York.
    state.now = "2026-11-22T02:43:00Z".parse().unwrap();
    let Rows::Disputes(rows) = &mut state.list.rows else {
        panic!("disputes")
    };
    rows[0].measured_at = state.now;
    rows[0].clock = Clock::Business(BusinessCalendar::new(
        "America/New_York".parse().unwrap(),
        (1..=5).collect(),
        chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        Default::default(),
    ));
    rows[0].resolution = clock(1440, 100);
    let screen = text(&draw(&state, &theme, 160, 10));
    assert!(
        screen.contains("☾ off hours until Mon 09:00 EST"),
        "{screen}"
    );
    let row = screen.lines().find(|l| l.contains("DSP-00000")).unwrap();
    assert!(row.contains("☾22h20m"), "{row}");
}

#[test]
fn e_on_the_dispute_queue_explains_the_selected_clocks() {
    let theme = theme();
    let mut state = state_with(View::Disputes, 3, "Acme Corp");
    let Rows::Disputes(rows) = &mut state.list.rows else {
        panic!("disputes")
    };
    rows[0].first_response = SlaClock {
        stopped: true,
        ..clock(240, 240 + 27 * 60 + 34)
    };
    update(&mut state, Msg::Action(Action::Explain));
    assert!(state.explain);
    let screen = text(&draw(&state, &theme, 140, 30));
    assert!(
        screen.contains("Policy: Standard (business hours)"),
        "{screen}"
    );
    assert!(
        screen.contains("First response: target 4h00m · counted 31h34m → late +27h34m"),
        "{screen}"
    );
    assert!(screen.contains("The row is breached"), "{screen}");
    insta::assert_snapshot!("disputes_explain", screen);
    update(&mut state, Msg::Action(Action::Back));
    assert!(!state.explain, "esc closes it");
}

#[test]
fn the_customer_page_scrolls_to_every_invoice_and_section() {
    let theme = theme();
    let mut state = state_with(View::Customer(1), 0, "Acme Corp");
    state.page_rows = 17;
    if let Loadable::Ready(a) = &mut state.account {
        a.invoices = (0..16)
            .map(|i| OpenInvoice {
                id: i,
                customer_id: 1,
                number: format!("INV-{i:08}"),
                customer: "Acme Corp".into(),
                issue_date: today() - Duration::days(60),
                due_date: today() - Duration::days(30),
                amount: 50_000,
                open: 40_000,
                currency: "EUR".into(),
                disputed: i == 15,
                expected: None,
            })
            .collect();
        a.audit = vec![AuditEntry {
            id: 1,
            at: now(),
            actor: "ava".into(),
            action: "release_hold".into(),
            entity: "hold".into(),
            entity_id: Some(7),
            customer: None,
            customer_id: None,
            reference: None,
            details: "{}".into(),
        }];
    }
    let top = text(&draw(&state, &theme, 100, 24));
    assert!(top.contains("↓ scroll"), "{top}");
    assert!(!top.contains("Audit trail"), "{top}");
    update(&mut state, Msg::Action(Action::Bottom));
    let bottom = text(&draw(&state, &theme, 100, 24));
    assert!(
        bottom.contains("INV-00000015") && bottom.contains("disputed"),
        "{bottom}"
    );
    assert!(
        bottom.contains("Audit trail") && bottom.contains("release hold"),
        "{bottom}"
    );
    assert!(bottom.contains("↑ scroll"), "{bottom}");
    update(&mut state, Msg::Action(Action::Top));
    assert_eq!(state.page_scroll, 0);
}

#[test]
fn a_clock_in_its_last_hour_ticks_by_the_second() {
    let theme = theme();
    let mut s = state_with(View::Disputes, 1, "Acme Corp");
    if let Rows::Disputes(rows) = &mut s.list.rows {
        rows[0].resolution = clock(1440, 1410);
    }
    let screen = text(&draw(&s, &theme, 160, 12));
    assert!(screen.contains("30m00s"), "{screen}");
    update(&mut s, Msg::Tick(now() + Duration::seconds(1)));
    let screen = text(&draw(&s, &theme, 160, 12));
    assert!(screen.contains("29m59s"), "{screen}");
    // With more than an hour left it reads hours and minutes, changing on the minute.
    if let Rows::Disputes(rows) = &mut s.list.rows {
        rows[0].resolution = clock(1440, 1300);
    }
    let screen = text(&draw(&s, &theme, 160, 12));
    assert!(
        screen.contains("2h20m") && !screen.contains("m59s"),
        "{screen}"
    );
}
