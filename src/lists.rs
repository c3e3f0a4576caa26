//! Every list is defined once, here: a column enum per view that owns its title, width,
//! alignment, drop priority and sort key (bottom's DataTable: a column is its own sort key).
//! The store builds `ORDER BY` from the same column the table draws with ▲/▼, so the two can
//! never disagree by position. A new list adds an enum here and its cells in `ui::lists`.

/// How a column sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Not sortable: `s` skips it.
    No,
    /// By this SQL expression (a fixed string from this file, never input).
    Sql(&'static str),
    /// By a figure computed outside SQL (the dispute clocks), sorted by the store in Rust.
    Computed,
}

/// What the table needs to know about a column, and what the store needs to sort by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub title: &'static str,
    pub width: usize,
    pub right: bool,
    /// 0 is never dropped; higher numbers go first as the terminal narrows.
    pub priority: u8,
    pub sort: Sort,
}

const fn text(title: &'static str, width: usize, priority: u8, sort: Sort) -> Spec {
    Spec {
        title,
        width,
        right: false,
        priority,
        sort,
    }
}

const fn number(title: &'static str, width: usize, priority: u8, sort: Sort) -> Spec {
    Spec {
        title,
        width,
        right: true,
        priority,
        sort,
    }
}

/// A list's columns.
pub trait Column: Copy + Eq + std::fmt::Debug + 'static {
    /// Every column, in the order the table shows them.
    const ALL: &'static [Self];
    fn spec(self) -> Spec;

    /// The column at a position of `ALL`.
    fn at(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }
}

/// The chosen sort of a list: a position in its columns' `ALL`, and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortBy {
    pub column: usize,
    pub descending: bool,
}

/// A list's columns as the table draws them.
pub fn specs<C: Column>() -> Vec<Spec> {
    C::ALL.iter().map(|c| c.spec()).collect()
}

/// The positions of the sortable columns among `specs`.
pub fn sortable_of(specs: &[Spec]) -> Vec<usize> {
    specs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.sort != Sort::No)
        .map(|(i, _)| i)
        .collect()
}

/// The positions of a list's sortable columns.
pub fn sortable<C: Column>() -> Vec<usize> {
    sortable_of(&specs::<C>())
}

/// `s`: the next sortable column after the current one (ascending), wrapping round.
/// `S`: the same column the other way round (the first sortable one if none is chosen).
pub fn next_sort(sortable: &[usize], current: Option<SortBy>, reverse: bool) -> Option<SortBy> {
    let first = *sortable.first()?;
    Some(match (current, reverse) {
        (None, _) => SortBy {
            column: first,
            descending: reverse,
        },
        (Some(s), true) => SortBy {
            descending: !s.descending,
            ..s
        },
        (Some(s), false) => SortBy {
            column: sortable
                .iter()
                .copied()
                .find(|&i| i > s.column)
                .unwrap_or(first),
            descending: false,
        },
    })
}

/// The `ORDER BY` for a list: the chosen column (then `tiebreak`), else `default`.
pub fn order_by<C: Column>(sort: Option<SortBy>, default: &str, tiebreak: &str) -> String {
    match sort.and_then(|s| C::at(s.column).map(|c| (c.spec().sort, s.descending))) {
        Some((Sort::Sql(expr), desc)) => format!(
            " ORDER BY {expr} {} NULLS LAST, {tiebreak}",
            if desc { "DESC" } else { "ASC" }
        ),
        _ => format!(" ORDER BY {default}"),
    }
}

macro_rules! columns {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $spec:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl Column for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn spec(self) -> Spec {
                match self { $($name::$variant => $spec),+ }
            }
        }
    };
}

columns!(
    /// Aging buckets (a fixed order: oldest last).
    BucketColumn {
        Bucket => text("Bucket", 10, 0, Sort::No),
        Invoices => number("Invoices", 9, 1, Sort::No),
        Amount => number("Amount", 18, 0, Sort::No),
        Bar => text("", 10, 2, Sort::No),
    }
);

columns!(
    /// Customers in an aging bucket (largest first). Sorted by the grouped query's output
    /// positions (4 segment, 5 invoices, 6 amount).
    CustomerColumn {
        Code => text("Code", 8, 2, Sort::Sql("c.code")),
        Customer => text("Customer", 28, 0, Sort::Sql("lower(c.name)")),
        Segment => text("Segment", 12, 3, Sort::Sql("4")),
        Invoices => number("Invoices", 8, 1, Sort::Sql("5")),
        Amount => number("Amount", 16, 0, Sort::Sql("6")),
    }
);

columns!(
    /// A customer's open invoices in a bucket (oldest due first).
    InvoiceColumn {
        Invoice => text("Invoice", 13, 0, Sort::No),
        Issued => text("Issued", 10, 3, Sort::No),
        Due => text("Due", 10, 1, Sort::No),
        Days => number("Days", 5, 2, Sort::No),
        Open => number("Open", 14, 0, Sort::No),
        Currency => text("Cur", 3, 4, Sort::No),
        Expected => text("Expected", 10, 5, Sort::No),
        Dispute => text("Dispute", 8, 4, Sort::No),
    }
);

columns!(
    /// The dispute queue (SLA urgency first unless sorted).
    DisputeColumn {
        Sla => text("SLA", 11, 0, Sort::Computed),
        Response => number("Response", 12, 1, Sort::Computed),
        Resolve => number("Resolve", 9, 0, Sort::Computed),
        Dispute => text("Dispute", 9, 0, Sort::Sql("d.number")),
        Customer => text("Customer", 24, 1, Sort::Sql("lower(c.name)")),
        Segment => text("Segment", 12, 5, Sort::Sql("coalesce(c.segment_override, p.segment, 'standard')")),
        State => text("State", 19, 2, Sort::Sql("d.state")),
        Category => text("Category", 20, 6, Sort::Sql("d.category")),
        Amount => number("Amount", 13, 3, Sort::Sql("d.amount_minor")),
        Assignee => text("Assignee", 14, 4, Sort::Sql("lower(a.display_name)")),
        Watching => text("Watching", 10, 7, Sort::No),
    }
);

columns!(
    /// Orders on hold (paid-but-held first unless sorted).
    HoldColumn {
        Status => text("Status", 10, 0, Sort::Sql("(h.status = 'cleared')")),
        Order => text("Order", 10, 0, Sort::Sql("o.number")),
        Customer => text("Customer", 22, 1, Sort::Sql("lower(c.name)")),
        Reason => text("Held for", 15, 3, Sort::Sql("h.reason")),
        Value => number("Value", 14, 2, Sort::Sql("o.amount_minor")),
        Held => number("Held", 8, 4, Sort::Sql("now() - h.placed_at")),
        ReleaseLag => number("Release lag", 15, 1, Sort::Sql("now() - h.cleared_at")),
        Blocking => text("Blocking invoices", 30, 4, Sort::No),
    }
);

columns!(
    /// Outreach, queued and sent (newest first unless sorted).
    OutreachColumn {
        Status => text("Status", 10, 0, Sort::Sql("m.status")),
        Customer => text("Customer", 22, 0, Sort::Sql("lower(c.name)")),
        Invoice => text("Invoice", 13, 3, Sort::Sql("i.number")),
        Purpose => text("Purpose", 12, 5, Sort::Sql("m.purpose")),
        Tone => text("Tone", 11, 2, Sort::Sql("m.tone")),
        Channel => text("Channel", 13, 4, Sort::Sql("m.channel")),
        SendAfter => text("Send after", 16, 1, Sort::Sql("m.send_after")),
        Copies => text("Copies", 12, 6, Sort::No),
        HeldBack => text("Held back", 28, 3, Sort::No),
        Subject => text("Subject", 30, 2, Sort::Sql("m.subject")),
    }
);

columns!(
    /// Promises to pay (open ones soonest first, then broken, then kept, unless sorted).
    PromiseColumn {
        Status => text("Status", 7, 0, Sort::Sql("pr.status")),
        When => text("When", 18, 0, Sort::Sql("coalesce(pr.closed_on, pr.promised_for)")),
        Customer => text("Customer", 24, 0, Sort::Sql("lower(c.name)")),
        Invoice => text("Invoice", 13, 1, Sort::Sql("i.number")),
        Promised => number("Promised", 14, 0, Sort::Sql("pr.amount_minor")),
        Paid => number("Paid", 14, 3, Sort::Sql("pr.paid_minor")),
        Due => text("Promised for", 12, 2, Sort::Sql("pr.promised_for")),
        Made => text("Made", 10, 5, Sort::Sql("pr.made_on")),
        TakenBy => text("Taken by", 14, 4, Sort::Sql("lower(a.display_name)")),
    }
);

columns!(
    /// A person's notifications (unread first, newest first, unless sorted).
    InboxColumn {
        Read => text("", 1, 0, Sort::Sql("(n.read_at IS NULL)")),
        When => text("When", 16, 0, Sort::Sql("n.created_at")),
        Kind => text("Kind", 18, 2, Sort::Sql("n.kind")),
        Customer => text("Customer", 24, 1, Sort::Sql("lower(c.name)")),
        Message => text("Message", 60, 0, Sort::No),
    }
);

columns!(
    /// The worklist (ranked by `domain::work` unless sorted; every column sorts in Rust).
    WorkColumn {
        Due => text("Goes late", 13, 0, Sort::Computed),
        Kind => text("What", 14, 0, Sort::Computed),
        Reference => text("Ref", 12, 3, Sort::Computed),
        Customer => text("Customer", 24, 0, Sort::Computed),
        Amount => number("At stake", 16, 2, Sort::Computed),
        Owner => text("Owner", 12, 4, Sort::Computed),
        Key => text("Key", 10, 3, Sort::No),
        // Last: it takes whatever width is left.
        Why => text("Why", 20, 1, Sort::No),
    }
);

columns!(
    /// Accounts slipping from their usual pay day (most money open first unless sorted).
    SlippingColumn {
        Customer => text("Customer", 26, 0, Sort::Sql("lower(c.name)")),
        Segment => text("Segment", 12, 3, Sort::Sql("coalesce(c.segment_override, p.segment)")),
        Recent => number("Recently", 9, 2, Sort::Sql("p.recent_days")),
        Usual => number("Usually", 8, 2, Sort::Sql("p.typical_days")),
        Open => number("Open", 16, 1, Sort::Sql("open_reporting")),
        Collector => text("Collector", 14, 4, Sort::Sql("lower(a.display_name)")),
        // Last: it takes whatever width is left.
        Reason => text("Why", 30, 0, Sort::No),
    }
);

columns!(
    /// The audit log (newest first unless sorted).
    ActivityColumn {
        At => text("At", 16, 0, Sort::Sql("a.at")),
        Actor => text("Who", 14, 0, Sort::Sql("a.actor")),
        Action => text("Did", 22, 0, Sort::Sql("a.action")),
        Entity => text("What", 12, 2, Sort::Sql("a.entity")),
        Customer => text("Customer", 22, 1, Sort::Sql("lower(c.name)")),
        Details => text("Details", 30, 1, Sort::No),
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s_walks_the_sortable_columns_and_wraps_and_s_reverses() {
        let cols = sortable::<HoldColumn>();
        assert_eq!(cols, [0, 1, 2, 3, 4, 5, 6], "Blocking is not sortable");
        let mut sort = None;
        let mut seen = Vec::new();
        for _ in 0..8 {
            sort = next_sort(&cols, sort, false);
            seen.push(sort.unwrap().column);
        }
        assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6, 0]);
        let reversed = next_sort(&cols, sort, true).unwrap();
        assert_eq!((reversed.column, reversed.descending), (0, true));
        assert_eq!(next_sort(&[], None, false), None, "nothing to sort by");
    }

    #[test]
    fn the_order_comes_from_the_column_drawn() {
        let sort = Some(SortBy {
            column: HoldColumn::ALL
                .iter()
                .position(|c| *c == HoldColumn::Value)
                .unwrap(),
            descending: true,
        });
        assert_eq!(
            order_by::<HoldColumn>(sort, "h.id", "h.id"),
            " ORDER BY o.amount_minor DESC NULLS LAST, h.id"
        );
        assert_eq!(
            order_by::<HoldColumn>(None, "h.id", "h.id"),
            " ORDER BY h.id"
        );
        let computed = Some(SortBy {
            column: 0,
            descending: false,
        });
        assert_eq!(
            order_by::<DisputeColumn>(computed, "d.id", "d.id"),
            " ORDER BY d.id",
            "clocks sort outside SQL"
        );
    }

    #[test]
    fn every_list_has_one_column_that_is_never_dropped() {
        fn kept<C: Column>() -> bool {
            C::ALL.iter().any(|c| c.spec().priority == 0)
        }
        assert!(kept::<BucketColumn>() && kept::<CustomerColumn>() && kept::<InvoiceColumn>());
        assert!(kept::<DisputeColumn>() && kept::<HoldColumn>());
        assert!(kept::<OutreachColumn>() && kept::<ActivityColumn>());
        assert!(kept::<PromiseColumn>() && kept::<InboxColumn>() && kept::<WorkColumn>());
    }
}
