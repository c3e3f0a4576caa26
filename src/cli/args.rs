//! The command line.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::aging::{Basis, BucketEdges};
use crate::store::seed::Scale;

#[derive(Debug, Parser)]
#[command(
    name = "settle",
    version,
    about = "A keyboard-driven terminal console for accounts-receivable teams"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub console: ConsoleArgs,
    /// The AR store, e.g. postgres://me@dbhost/ar; wins over DATABASE_URL. Keep passwords
    /// out of it: PGPASSWORD, PGPASSFILE and ~/.pgpass are read.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// A streaming replica of the store for the console's views (actions and the live feed
    /// stay on the primary); a view waits until the replica has replayed what it must show.
    #[arg(long, env = "SETTLE_READ_URL", global = true, hide_env_values = true)]
    pub read_url: Option<String>,
    /// Pretend the time is this (RFC 3339), for reproducible demos and tests.
    #[arg(long, env = "SETTLE_NOW", global = true, hide = true)]
    pub now: Option<DateTime<Utc>>,
    /// Where the log file goes (default: settle.log in the state directory).
    #[arg(long, env = "SETTLE_LOG", global = true)]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ColorMode {
    #[default]
    Auto,
    Truecolor,
    #[value(name = "256")]
    C256,
    #[value(name = "16")]
    C16,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Hide every action; only look.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Theme name (default, light, high-contrast, mono) or a path to a theme file.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Keymap name (default, vim) or a path to a keymap file.
    #[arg(long, global = true)]
    pub keymap: Option<String>,
    /// Colour depth; NO_COLOR is honoured under auto.
    #[arg(long, value_enum, default_value_t, global = true)]
    pub color: ColorMode,
    /// The view to open with, as its `:` command (`work`, `overview`, `disputes owner=me`);
    /// by default `:work` for collectors and leads, the overview for everyone else.
    #[arg(long, env = "SETTLE_VIEW", global = true, value_name = "COMMAND")]
    pub view: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending schema migrations to the store.
    Migrate,
    /// Load a deterministic demo AR book into an empty store (needs a superuser).
    Seed(SeedArgs),
    /// Start a private throwaway PostgreSQL, seed it, and open the console on it.
    Demo(DemoArgs),
    /// Headless reports for scripts and checks.
    #[command(subcommand)]
    Report(Report),
    /// Load customers, invoices or payments from an ERP's CSV export (idempotent).
    Import(ImportArgs),
    /// Measurements: seed load time, aging query speed.
    #[command(subcommand)]
    Bench(Bench),
    /// Compare the overview's maintained summaries (today's aging, credit sales, the
    /// receivables at past days' ends) with the full computation on this store; exits 1 if
    /// any figure differs.
    Doctor,
    /// Check themes and keymaps.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// The audit log's hash chain.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Run beside the store: deliver outreach over SMTP exactly once, keep or break promises,
    /// refresh customer profiles (connect as a role granted settle_worker).
    Worker(WorkerArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Do everything that is due once and exit (for cron and tests).
    #[arg(long)]
    pub once: bool,
    /// Seconds between runs of the time-based jobs.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub every: u64,
    /// Seconds between looks at the outreach queue.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub poll: u64,
    /// Where e-mail goes: smtp://host:25, smtp://host:587?tls=required (STARTTLS),
    /// smtps://user:password@host:465. Without it e-mail waits for a worker that has one.
    #[arg(long, env = "SETTLE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Certificate authorities (PEM) to trust for the SMTP server's TLS certificate, beside
    /// the public ones: a relay with a private CA.
    #[arg(long, env = "SETTLE_SMTP_CA", value_name = "PEM")]
    pub smtp_ca: Option<std::path::PathBuf>,
    /// Seconds a claim on a message holds (renewed while working; 10 to 3600).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i32).range(10..=3_600))]
    pub lease: i32,
    /// Messages claimed at a time (1 to 100).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub batch: i32,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// small (200 customers), medium (5,000), large (50,000) or a number of customers.
    #[arg(long, default_value = "small")]
    pub scale: Scale,
    /// The random seed: the same seed and date give the same book.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: crate::import::Kind,
    /// The CSV file, with a header row.
    pub file: PathBuf,
    /// Column names for settle's fields, e.g. invoice_number=InvoiceNo,amount=Total.
    #[arg(long, default_value = "")]
    pub map: String,
    /// How dates are written (strftime), e.g. %m/%d/%Y.
    #[arg(long, default_value = "%Y-%m-%d")]
    pub date_format: String,
    /// Currency for rows that do not name one.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Load the good rows and list the bad ones, instead of stopping at the first (exits
    /// non-zero if any row was skipped).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Create customers that invoices or payments name but the store does not know (with
    /// terms from the invoice and no credit limit). Without it such a row is a bad row.
    #[arg(long)]
    pub create_customers: bool,
    /// Apply rows that change what the store has (a customer renamed, an invoice's amount
    /// corrected), each audited with before and after; without it they are reported and the
    /// store keeps its values.
    #[arg(long)]
    pub update: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "small")]
    pub scale: Scale,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep the cluster running after the console quits, and print how to reach it.
    #[arg(long)]
    pub keep: bool,
    /// Open the console as this demo agent (ava: lead, ben: collector, vic: viewer).
    #[arg(long = "as")]
    pub as_user: Option<String>,
    /// Do not open the console: seed, print the connection URL, and wait for ctrl-c.
    #[arg(long)]
    pub headless: bool,
    /// Also start a streaming replica of the demo store (pg_basebackup -R) and read the
    /// console's views from it, as `--read-url` does (headless: print its URL too).
    #[arg(long)]
    pub replica: bool,
    /// Put a PgBouncer (1.21+, transaction pooling, per-user pools) in front of the demo store
    /// and connect the console through it, views and actions alike; with `--replica`, the
    /// replica's views go through it too (headless: print its URLs).
    #[arg(long)]
    pub pgbouncer: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ByArg {
    Customer,
    Segment,
    Region,
}

impl From<ByArg> for crate::store::aging::GroupBy {
    fn from(by: ByArg) -> Self {
        use crate::store::aging::GroupBy;
        match by {
            ByArg::Customer => GroupBy::Customer,
            ByArg::Segment => GroupBy::Segment,
            ByArg::Region => GroupBy::Region,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Report {
    /// Aging buckets as of a date.
    Aging {
        /// The as-of date (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long, default_value = "due")]
        basis: Basis,
        /// Bucket upper edges in days, e.g. 30,60,90,120.
        #[arg(long, default_value = "30,60,90,120")]
        buckets: BucketEdges,
        #[arg(long, value_enum)]
        by: Option<ByArg>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// DSO, best possible DSO, ADD, countback DSO, CEI and percent current for a period.
    Kpis {
        /// First day of the period (default: 90 days before --to).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day of the period (default: today).
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The open dispute queue in the console's order, with each clock's target, minutes left
    /// (negative: overdue) and state (ok, at_risk, breached, met, late, paused, off_hours).
    Disputes {
        /// The console's filter, e.g. `owner:ben sla:breached`.
        #[arg(long, default_value = "")]
        filter: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Promises to pay: open (soonest first), broken, kept; where each stands today.
    Promises {
        /// The console's filter, e.g. `status:open owner:ben`.
        #[arg(long, default_value = "")]
        filter: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Trust metrics over a trailing window, each with its inputs.
    Trust {
        #[arg(long, default_value = "30d")]
        window: Window,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// A window like `30d` (days) or `8w` (weeks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window(pub i64);

impl std::str::FromStr for Window {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("window `{s}` is not like 30d or 8w");
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: i64 = n.parse().map_err(|_| bad())?;
        match unit {
            "d" if n > 0 => Ok(Window(n)),
            "w" if n > 0 => Ok(Window(n * 7)),
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Messages per second through the worker's delivery path into a local SMTP sink, on a
    /// private store; checks none is lost or sent twice.
    Send {
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i32).range(1..=100))]
        batch: i32,
    },
    /// Writer throughput with and without N consoles polling the live feed.
    Feed {
        #[arg(long, default_value_t = 200)]
        consoles: usize,
        #[arg(long, default_value_t = 8.0)]
        seconds: f64,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// The view every console watches, as a command without the colon (`disputes`,
        /// `holds`); the overview if not given.
        #[arg(long, default_value = "")]
        view: String,
        /// Who posts the payments and runs the worker beside the store (the ERP's and the
        /// worker's connection); the consoles' database URL if not given.
        #[arg(long)]
        writer_url: Option<String>,
    },
    /// Change → visible on one view of an existing store, with a worker beside it as deployed:
    /// N consoles (as the database URL's role) on the view while a writer posts payments;
    /// for every payment and console, commit → the first load asked for after it landed.
    Visible {
        #[arg(long, default_value_t = 20)]
        consoles: usize,
        #[arg(long, default_value_t = 15.0)]
        seconds: f64,
        /// Payments per second.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        /// The view every console watches, as a command without the colon; the overview if
        /// not given.
        #[arg(long, default_value = "")]
        view: String,
        /// Who posts the payments and runs the worker beside the store.
        #[arg(long)]
        writer_url: String,
    },
    /// An hour of load, shortened or not, on a private store: N headless consoles on a view,
    /// a writer posting payments at a steady rate, a worker delivering outreach, and optional
    /// database restarts. Reports what docs/RELIABILITY.md quotes.
    Soak {
        #[arg(long, default_value_t = 50)]
        consoles: usize,
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// Payments per second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Database restarts, spread evenly over the run.
        #[arg(long, default_value_t = 0)]
        restarts: usize,
        /// The view every console watches (a command without the colon); the overview if not
        /// given.
        #[arg(long, default_value = "")]
        view: String,
    },
    /// The figures docs/BENCHMARKS.md quotes, in one run at each scale: every view's load
    /// beside psql's, launch → first complete frame in a pseudo-terminal, and with a worker
    /// beside the store the writer's pace with consoles attached and change → visible per view.
    Suite {
        /// Comma-separated scales (small, medium, large or a number of customers).
        #[arg(long, default_value = "small,medium,large", value_delimiter = ',')]
        scales: Vec<Scale>,
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// Consoles attached while the writer's pace is taken (0: no live figures).
        #[arg(long, default_value_t = 200)]
        consoles: usize,
        /// Where the report goes.
        #[arg(long, default_value = "docs/BENCHMARKS.md")]
        out: PathBuf,
    },
    /// Time loading each console view on an existing store.
    Views {
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Only the views whose name contains this (`overview`, `work`, `aging customers`).
        #[arg(long, default_value = "")]
        only: String,
    },
    /// Key → frame complete: the real console in a 120×40 pseudo-terminal on a view, ↓ and ↑
    /// pressed in turn, beside a bare ratatui app drawing a table the same size; p50 and p99
    /// of each, in one run.
    Keys {
        /// The view the console opens (a command without the colon).
        #[arg(long, default_value = "disputes")]
        view: String,
        /// Presses per round and program.
        #[arg(long, default_value_t = 500)]
        presses: usize,
        /// Rounds; the two programs take turns.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// The bare ratatui app `bench keys` measures the console against.
    #[command(hide = true)]
    Bare,
    /// Time the aging queries (today and last month end) on an existing store.
    Aging {
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// Time a seed of a private store at a scale (default large) and the aging queries on it.
    Seed {
        #[arg(long, default_value = "large")]
        scale: Scale,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// How many times to run each aging query (medians are reported).
        #[arg(long, default_value_t = 9)]
        runs: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Load every theme and keymap (shipped, the user's, and --theme/--keymap files) and
    /// report every error.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Walk the audit log's hash chain and report the first row altered, removed or inserted
    /// out of order; exits non-zero if there is one. Prints the head to keep elsewhere.
    Verify {
        /// A head printed by an earlier verify (position:hash) that must still be in the chain.
        #[arg(long)]
        anchor: Option<crate::store::audit::Anchor>,
    },
}
