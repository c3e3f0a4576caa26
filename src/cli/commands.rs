//! What each command does: the console, the demo, migrations, seeding, reports, import,
//! benches, configuration and audit checks. `main.rs` only parses, logs and dispatches here.

use std::process::ExitCode;

use anyhow::{Context, bail};

use super::{
    AuditCmd, Bench, Cli, Command, ConfigCmd, ConsoleArgs, DemoArgs, Format, ImportArgs, Report,
    SeedArgs,
};
use crate::cli::{bench, report};
use crate::demo::cluster::PrivateCluster;
use crate::runtime::console::{self, ConsoleOptions};
use crate::{config, store};

/// Runs the command the user asked for.
pub async fn run(cli: Cli, log_problem: Option<String>) -> anyhow::Result<ExitCode> {
    let now = cli.now;
    let db = cli.database_url.clone();
    match cli.command {
        None => {
            let pool = store::pool(&database_url(&db)?, 6).await?;
            let stores = crate::runtime::stores::Stores::open(pool, cli.read_url.as_deref())
                .await
                .context("--read-url: the replica for the views")?;
            let mut opts = console_options(&cli.console, "", now)?;
            opts.notice = log_problem;
            console::run(stores, opts).await?;
        }
        Some(Command::Migrate) => {
            let pool = store::pool(&database_url(&db)?, 1).await?;
            store::migrate(&pool).await?;
            crate::outln!("schema is at version {}", store::expected_version());
        }
        Some(Command::Seed(args)) => seed(args, &db, now).await?,
        Some(Command::Demo(args)) => {
            let mut opts = console_options(&cli.console, "DEMO", now)?;
            opts.notice = log_problem;
            demo(args, opts, now).await?
        }
        Some(Command::Report(r)) => report_cmd(r, &db, now).await?,
        Some(Command::Doctor) => {
            let pool = store::pool(&database_url(&db)?, 2).await?;
            let today = store::business_today(&pool, now.unwrap_or_else(chrono::Utc::now)).await?;
            return crate::cli::doctor::run(&pool, today).await;
        }
        Some(Command::Import(args)) => return import(args, &db, now).await,
        Some(Command::Bench(b)) => bench_cmd(b, db, now).await?,
        Some(Command::Config(ConfigCmd::Check)) => {
            return Ok(config_check(
                cli.console.theme.as_deref(),
                cli.console.keymap.as_deref(),
            ));
        }
        Some(Command::Worker(args)) => {
            let pool = store::pool(&database_url(&db)?, 2).await?;
            let opts = crate::worker::WorkerOptions {
                once: args.once,
                every: std::time::Duration::from_secs(args.every),
                poll: std::time::Duration::from_secs(args.poll),
                today: now.map(|n| n.date_naive()),
                quiet: false,
                smtp_url: args.smtp_url,
                smtp_ca: args.smtp_ca,
                lease_seconds: args.lease,
                batch: args.batch,
            };
            crate::worker::run(&pool, &opts).await?;
        }
        Some(Command::Audit(AuditCmd::Verify { anchor })) => {
            let pool = report_pool(&db).await?;
            return audit_verify(&pool, anchor.as_ref()).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `settle bench …`: each bench on the store given, or on a private one it starts.
async fn bench_cmd(
    b: Bench,
    db: Option<String>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    match b {
        Bench::Seed { scale, seed, runs } => bench::seed_and_aging(scale, seed, runs).await?,
        Bench::Feed {
            consoles,
            seconds,
            rounds,
            view,
            writer_url,
        } => {
            let cluster;
            let url = match db {
                Some(url) => url,
                None => {
                    cluster = tokio::task::spawn_blocking(PrivateCluster::start).await??;
                    let (url, pool) = cluster.create_store("settle_bench", 2).await?;
                    store::seed::seed(&pool, store::seed::Scale::Small, 42, chrono::Utc::now())
                        .await?;
                    url
                }
            };
            let writer = writer_url.unwrap_or_else(|| url.clone());
            crate::cli::bench_feed::run(&url, &writer, consoles, seconds, rounds, &view).await?;
        }
        Bench::Visible {
            consoles,
            seconds,
            rate,
            view,
            writer_url,
        } => {
            let url = database_url(&db)?;
            crate::cli::bench_feed::visible((&url, &writer_url), &view, consoles, (seconds, rate))
                .await?;
        }
        Bench::Send {
            messages,
            workers,
            batch,
        } => crate::cli::bench_send::run(messages, workers, batch).await?,
        Bench::Soak {
            consoles,
            minutes,
            rate,
            restarts,
            view,
        } => {
            crate::cli::bench_soak::run(crate::cli::bench_soak::Soak {
                consoles,
                minutes,
                rate,
                restarts,
                view,
            })
            .await?;
        }
        Bench::Suite {
            scales,
            runs,
            consoles,
            out,
        } => {
            crate::cli::bench_suite::run(&scales, runs, consoles, &out).await?;
        }
        Bench::Views { runs, only } => {
            let pool = store::pool(&database_url(&db)?, 2).await?;
            bench::views(&pool, now.unwrap_or_else(chrono::Utc::now), runs, &only).await?;
        }
        Bench::Keys {
            view,
            presses,
            rounds,
        } => {
            let url = database_url(&db)?;
            tokio::task::spawn_blocking(move || {
                crate::cli::bench_keys::run(&url, &view, presses, rounds)
            })
            .await??;
        }
        Bench::Bare => crate::cli::bench_bare::run()?,
        Bench::Aging { runs } => {
            let pool = store::pool(&database_url(&db)?, 2).await?;
            bench::aging(&pool, now.unwrap_or_else(chrono::Utc::now), runs).await?;
        }
    }
    Ok(())
}

fn database_url(db: &Option<String>) -> anyhow::Result<String> {
    match db {
        Some(url) => Ok(url.clone()),
        None => {
            bail!("no store given: pass --database-url or set DATABASE_URL (or try `settle demo`)")
        }
    }
}

/// Every error of a configuration file, one a line, as the console refuses to start.
fn config_errors(what: &str, errors: &[config::ConfigError]) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    anyhow::anyhow!("the {what} has errors:\n{}", lines.join("\n"))
}

fn console_options(
    args: &ConsoleArgs,
    environment: &str,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<ConsoleOptions> {
    let keymap =
        config::load_keymap(args.keymap.as_deref()).map_err(|e| config_errors("keymap", &e))?;
    let theme = config::load_theme(args.theme.as_deref(), color_depth(args.color))
        .map_err(|e| config_errors("theme", &e))?;
    Ok(ConsoleOptions {
        readonly: args.readonly,
        environment: std::env::var("SETTLE_ENV").unwrap_or_else(|_| environment.to_string()),
        theme,
        keymap,
        fixed_now: now,
        notice: None,
        basic_colours: color_depth(args.color) == config::theme::Depth::Basic16,
        start: args
            .view
            .as_deref()
            .map(|v| crate::app::command::parse(v.trim_start_matches(':')))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--view: {e}"))?,
    })
}

/// The colour depth: `--color`, else NO_COLOR, else COLORTERM (OpenSSH does not forward
/// it, so 256 colours is the safe default).
fn color_depth(mode: crate::cli::ColorMode) -> config::theme::Depth {
    use crate::cli::ColorMode;
    use config::theme::Depth;
    match mode {
        ColorMode::Never => Depth::None,
        ColorMode::C16 => Depth::Basic16,
        ColorMode::C256 => Depth::Indexed256,
        ColorMode::Truecolor => Depth::TrueColor,
        ColorMode::Auto if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => {
            Depth::None
        }
        ColorMode::Auto
            if std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit") =>
        {
            Depth::TrueColor
        }
        ColorMode::Auto => Depth::Indexed256,
    }
}

async fn seed(
    args: SeedArgs,
    db: &Option<String>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    let pool = store::pool(&database_url(db)?, 2).await?;
    store::check_schema(&pool).await?;
    let report = store::seed::seed(
        &pool,
        args.scale,
        args.seed,
        now.unwrap_or_else(chrono::Utc::now),
    )
    .await?;
    for (table, rows) in &report.rows {
        crate::outln!("{table:<16} {rows:>10}");
    }
    crate::outln!("seeded in {:.1}s", report.total().as_secs_f64());
    Ok(())
}

async fn demo(
    args: DemoArgs,
    opts: ConsoleOptions,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    eprintln!("settle: starting a private PostgreSQL…");
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start).await??;
    let (url, pool) = cluster.create_store("settle_demo", 2).await?;
    eprintln!(
        "settle: seeding a {} customer demo book…",
        args.scale.customers()
    );
    let seeding = store::seed::seed(
        &pool,
        args.scale,
        args.seed,
        now.unwrap_or_else(chrono::Utc::now),
    );
    tokio::select! {
        r = seeding => { r?; }
        _ = tokio::signal::ctrl_c() => bail!("interrupted while seeding; the private store is removed"),
    }
    pool.close().await;
    let mut url = match &args.as_user {
        Some(user) => cluster.url_as(user, "settle_demo"),
        None => url,
    };
    let replica = if args.replica {
        eprintln!("settle: starting a streaming replica…");
        Some(cluster.start_replica(0)?)
    } else {
        None
    };
    let user = args.as_user.as_deref().unwrap_or("postgres");
    let mut replica_url = replica.as_ref().map(|r| r.url_as(user, "settle_demo"));
    let pooler = if args.pgbouncer {
        eprintln!("settle: starting a PgBouncer (transaction pooling)…");
        let aliases: Vec<_> = replica
            .iter()
            .map(|r| crate::demo::pooler::Alias {
                name: "settle_demo_replica",
                cluster: r,
                database: "settle_demo",
            })
            .collect();
        let pooler = crate::demo::pooler::Pooler::start_with(&cluster, &aliases, 20)?;
        url = pooler.url_as(user, "settle_demo");
        if replica.is_some() {
            replica_url = Some(pooler.url_as(user, "settle_demo_replica"));
        }
        Some(pooler)
    } else {
        None
    };
    if args.headless {
        crate::outln!("{url}");
        if let Some(r) = &replica_url {
            crate::outln!("{r}");
        }
        eprintln!("settle: demo store ready; ctrl-c stops it");
        tokio::signal::ctrl_c().await?;
    } else {
        let pool = store::pool(&url, 6).await.with_context(|| {
            format!(
                "connecting as {}",
                args.as_user.as_deref().unwrap_or("postgres")
            )
        })?;
        // The demo has its worker, as a real store does: promises break on their own.
        let worker_pool =
            store::pool(&cluster.url_as("settle_demo_worker", "settle_demo"), 1).await?;
        let worker = tokio::spawn(async move {
            // No SMTP server in a demo: e-mail stays queued; phone tasks and notes go to people.
            let opts = crate::worker::WorkerOptions {
                today: now.map(|n| n.date_naive()),
                quiet: true,
                ..Default::default()
            };
            crate::worker::run(&worker_pool, &opts).await
        });
        let stores = crate::runtime::stores::Stores::open(pool, replica_url.as_deref()).await?;
        let result = console::run(stores, opts).await;
        worker.abort();
        result?;
    }
    drop(pooler);
    drop(replica);
    if args.keep {
        let direct = cluster.url_as(user, "settle_demo");
        crate::outln!("settle: the demo store keeps running at {direct}");
        let dir = cluster.keep();
        crate::outln!(
            "settle: stop it with: pg_ctl stop -D {}/data (as the postgres user when root)",
            dir.display()
        );
    }
    Ok(())
}

async fn report_cmd(
    r: Report,
    db: &Option<String>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    match r {
        Report::Aging {
            as_of,
            basis,
            buckets,
            by,
            format,
        } => {
            let pool = report_pool(db).await?;
            let today = store::business_today(&pool, now.unwrap_or_else(chrono::Utc::now)).await?;
            let as_of = as_of.unwrap_or(today);
            crate::domain::aging::check_as_of(as_of, today).map_err(anyhow::Error::msg)?;
            let exponent = store::currency_exponent(&pool).await?;
            if let Some(by) = by {
                let groups =
                    store::aging::aging_by(&pool, as_of, basis, &buckets, by.into()).await?;
                crate::out!("{}", report::aging_groups(&groups, exponent, format));
                return Ok(());
            }
            let summary = store::aging::aging_summary(&pool, as_of, basis, &buckets).await?;
            let text = match format {
                Format::Table => report::aging_table(&summary, exponent),
                Format::Json => report::aging_json(&summary, exponent) + "\n",
                Format::Csv => report::aging_csv(&summary, exponent),
            };
            crate::out!("{text}");
        }
        Report::Kpis { from, to, format } => {
            let pool = report_pool(db).await?;
            let today = store::business_today(&pool, now.unwrap_or_else(chrono::Utc::now)).await?;
            let to = to.unwrap_or(today);
            let from = from.unwrap_or(crate::domain::kpi::Period::overview(to).from);
            if from > to {
                bail!("--from {from} is after --to {to}");
            }
            let kpis =
                store::kpi::period_kpis(&pool, crate::domain::kpi::Period { from, to }).await?;
            let exponent = store::currency_exponent(&pool).await?;
            let currency = store::setting(&pool, "reporting_currency").await?;
            crate::out!(
                "{}",
                report::kpis(&kpis, from, to, &currency, exponent, format)
            );
        }
        Report::Disputes { filter, format } => {
            let pool = report_pool(db).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let q = report_query(&pool, &filter, 100_000).await?;
            let rows = store::disputes::open_disputes(&pool, &q, now).await?;
            let exponents = store::currency_exponents(&pool).await?;
            let records = crate::cli::report_work::disputes(&rows, now, |c| {
                exponents.get(c).copied().unwrap_or(2)
            });
            crate::out!(
                "{}",
                crate::cli::report_work::render(&records, format, "no open disputes")
            );
        }
        Report::Promises { filter, format } => {
            let pool = report_pool(db).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let today = store::business_today(&pool, now).await?;
            let q = report_query(&pool, &filter, 100_000).await?;
            let page = store::promises::promises(&pool, &q).await?;
            let exponents = store::currency_exponents(&pool).await?;
            let records = crate::cli::report_work::promises(&page.rows, today, |c| {
                exponents.get(c).copied().unwrap_or(2)
            });
            crate::out!(
                "{}",
                crate::cli::report_work::render(&records, format, "no promises")
            );
        }
        Report::Trust { window, format } => {
            let pool = report_pool(db).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let metrics = store::trust::metrics(&pool, now, window.0).await?;
            let today = store::business_today(&pool, now).await?;
            let period = crate::domain::kpi::Period {
                from: today - chrono::Duration::days(window.0 - 1),
                to: today,
            };
            let kpis = store::kpi::period_kpis(&pool, period).await?;
            let exponent = store::currency_exponent(&pool).await?;
            let currency = store::setting(&pool, "reporting_currency").await?;
            crate::out!(
                "{}",
                report::trust(&metrics, &kpis, period, &currency, exponent, format)
            );
        }
    }
    Ok(())
}

/// A list query for a report: the console's filter syntax, every row up to `limit`, and
/// `owner:me` meaning whoever runs it.
async fn report_query(
    pool: &sqlx::PgPool,
    filter: &str,
    limit: i64,
) -> anyhow::Result<store::lists::ListQuery> {
    let me = store::session(pool).await?.user;
    Ok(store::lists::ListQuery {
        filter: crate::filter::Filter::parse(filter),
        limit,
        me,
        ..Default::default()
    })
}

async fn import(
    args: ImportArgs,
    db: &Option<String>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<ExitCode> {
    use crate::import::{Options, parse_map, read};
    let file = args.file.display().to_string();
    let data = std::fs::read_to_string(&args.file).with_context(|| format!("reading {file}"))?;
    let map = parse_map(args.kind, &args.map).map_err(|e| anyhow::anyhow!("--map: {e}"))?;
    let pool = report_pool(db).await?;
    let opts = Options {
        map,
        date_format: args.date_format.clone(),
        currency: args.currency.clone(),
        exponents: store::currency_exponents(&pool).await?,
    };
    let (rows, bad) = read(args.kind, &data, &opts)
        .map_err(|e| anyhow::anyhow!("{file}: {e}; nothing was imported"))?;
    if !bad.is_empty() && !args.skip_invalid {
        for e in &bad {
            eprintln!("{file}: {e}");
        }
        eprintln!(
            "settle: {} bad row(s); nothing was imported (--skip-invalid loads the rest)",
            bad.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let mut report = match store::import::write(
        &pool,
        args.kind,
        store::import::Source {
            name: &file,
            content: data.as_bytes(),
            create_customers: args.create_customers,
            update: args.update,
        },
        &rows,
        args.skip_invalid,
    )
    .await
    {
        Ok(r) => r,
        Err(store::import::ImportError::Row(e)) => {
            eprintln!("{file}: {e}; nothing was imported");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    report.skipped.extend(bad);
    report.skipped.sort_by_key(|e| e.line);
    let today = store::business_today(&pool, now.unwrap_or_else(chrono::Utc::now)).await?;
    store::refresh_profiles(&pool, today).await?;
    crate::outln!(
        "{file}: {} created, {} already present, {} updated, {} new customers, {} payments",
        report.created,
        report.unchanged,
        report.updated.len(),
        report.customers_created,
        report.payments_created
    );
    for e in &report.skipped {
        crate::outln!("skipped {e}");
    }
    for e in &report.updated {
        crate::outln!("{e}");
    }
    for e in &report.changed {
        crate::outln!("not applied: {e}");
    }
    if !report.changed.is_empty() {
        eprintln!(
            "settle: {} changed, not applied: the store keeps its values (use --update to apply them, audited)",
            report.changed.len()
        );
    }
    if !report.skipped.is_empty() {
        eprintln!(
            "settle: {} row(s) skipped; the rest were imported",
            report.skipped.len()
        );
    }
    // Loaded, but not everything as written: a script must not mistake this for a clean run.
    if report.skipped.is_empty() && report.changed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

async fn report_pool(db: &Option<String>) -> anyhow::Result<sqlx::PgPool> {
    let pool = store::pool(&database_url(db)?, 2).await?;
    store::check_schema(&pool).await?;
    Ok(pool)
}

fn config_check(theme: Option<&str>, keymap: Option<&str>) -> ExitCode {
    let problems = config::check_all(theme, keymap);
    if problems.is_empty() {
        crate::outln!("configuration is valid");
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("{} problem(s)", problems.len());
        ExitCode::FAILURE
    }
}

/// Walks the audit chain; prints the head to keep elsewhere, or every break, first first.
async fn audit_verify(
    pool: &sqlx::PgPool,
    anchor: Option<&store::audit::Anchor>,
) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let v = store::audit::verify(pool, anchor).await?;
    let took = started.elapsed().as_secs_f64();
    if let Some(first) = v.breaks.first() {
        eprintln!("settle: the audit log was tampered with: {first}");
        for more in v.breaks.iter().skip(1) {
            eprintln!("  also: {more}");
        }
        eprintln!(
            "{} break(s) in {} rows ({took:.1}s)",
            v.breaks.len(),
            v.rows
        );
        return Ok(ExitCode::FAILURE);
    }
    crate::outln!("audit chain intact: {} rows ({took:.1}s)", v.rows);
    if let Some((seq, hash)) = &v.head {
        crate::outln!("head {seq}:{hash}");
        crate::outln!(
            "keep the head somewhere else; `settle audit verify --anchor {seq}:{hash}` later proves nothing before it was rewritten"
        );
    }
    Ok(ExitCode::SUCCESS)
}
