//! A private PgBouncer in front of a private cluster, for the demo (`settle demo --pgbouncer`)
//! and the tests: transaction pooling, protocol-level prepared statements, a Unix socket only.
//!
//! Each person still connects as themselves: PgBouncer keeps one pool per user and logs in to
//! the server as that user, so `session_user` names the person and every grant and audit row
//! holds. It finds users with `auth_query` (as the cluster's superuser here; README "PgBouncer"
//! shows the SECURITY DEFINER lookup a real deployment uses with `scram-sha-256`).

use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cluster::{ClusterError, PrivateCluster};

/// The oldest PgBouncer that tracks prepared statements in transaction pooling
/// (`max_prepared_statements`), which sqlx's named statements need.
const OLDEST: (u32, u32) = (1, 21);

/// The port in the socket's name (`.s.PGSQL.6432`); nothing listens on TCP.
pub const PORT: u16 = 6432;

/// A running PgBouncer; dropping it stops it and removes its directory.
pub struct Pooler {
    root: tempfile::TempDir,
    child: Child,
    watchdog: Option<Child>,
}

/// Finds `pgbouncer`: `SETTLE_PGBOUNCER`, then PATH, then Debian's `/usr/sbin`.
pub fn find_pgbouncer() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SETTLE_PGBOUNCER") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("pgbouncer"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/pgbouncer")).filter(|p| p.is_file()))
}

/// The version `pgbouncer --version` reports (`PgBouncer 1.24.1`), as (major, minor).
pub fn parse_version(out: &str) -> Option<(u32, u32)> {
    let first = out.lines().next()?.trim();
    let number = first.strip_prefix("PgBouncer ")?;
    let mut parts = number.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

fn step(step: &'static str, detail: impl Into<String>) -> ClusterError {
    ClusterError::Step {
        step,
        detail: detail.into(),
    }
}

fn checked_binary() -> Result<PathBuf, ClusterError> {
    let bin = find_pgbouncer().ok_or_else(|| {
        step(
            "finding pgbouncer",
            "no pgbouncer on PATH, in /usr/sbin or in SETTLE_PGBOUNCER; `.ci/install-pgbouncer` \
             builds Debian's 1.24 from source",
        )
    })?;
    let out = Command::new(&bin)
        .arg("--version")
        .output()
        .map_err(|e| step("pgbouncer --version", format!("{}: {e}", bin.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match parse_version(&text) {
        Some(v) if v >= OLDEST => Ok(bin),
        found => Err(step(
            "checking pgbouncer's version",
            format!(
                "{} is {}; transaction pooling with prepared statements needs 1.21 or newer \
                 (`.ci/install-pgbouncer` builds Debian's 1.24 from source)",
                bin.display(),
                found.map_or_else(|| text.trim().to_string(), |(a, b)| format!("{a}.{b}"))
            ),
        )),
    }
}

/// A database of a replica, reached through the pooler under another name.
pub struct Alias<'a> {
    pub name: &'a str,
    pub cluster: &'a PrivateCluster,
    pub database: &'a str,
}

/// The configuration: every database of `cluster` by name (and each alias), per-user pools in
/// transaction mode.
fn ini(root: &Path, cluster: &PrivateCluster, aliases: &[Alias], pool_size: u32) -> String {
    let server = cluster.socket_dir().display();
    let root = root.display();
    let aliases: String = aliases
        .iter()
        .map(|a| {
            format!(
                "{} = host={} dbname={}\n",
                a.name,
                a.cluster.socket_dir().display(),
                a.database
            )
        })
        .collect();
    format!(
        "[databases]\n\
         {aliases}\
         * = host={server}\n\
         [pgbouncer]\n\
         listen_addr =\n\
         listen_port = {PORT}\n\
         unix_socket_dir = {root}\n\
         auth_type = trust\n\
         auth_file = {root}/users.txt\n\
         auth_user = postgres\n\
         pool_mode = transaction\n\
         max_prepared_statements = 200\n\
         default_pool_size = {pool_size}\n\
         max_client_conn = 2000\n\
         ignore_startup_parameters = extra_float_digits\n\
         logfile = {root}/pgbouncer.log\n\
         pidfile = {root}/pgbouncer.pid\n\
         admin_users = postgres\n"
    )
}

impl Pooler {
    /// Starts a PgBouncer in front of `cluster` with `pool_size` server connections per
    /// (database, user), and waits until its socket answers.
    pub fn start(cluster: &PrivateCluster, pool_size: u32) -> Result<Self, ClusterError> {
        Self::start_with(cluster, &[], pool_size)
    }

    /// As `start`, with databases of other clusters (a replica) under other names.
    pub fn start_with(
        cluster: &PrivateCluster,
        aliases: &[Alias],
        pool_size: u32,
    ) -> Result<Self, ClusterError> {
        let bin = checked_binary()?;
        let io = |doing: &'static str| move |source| ClusterError::Io { doing, source };
        let root = tempfile::Builder::new()
            .prefix("settle-pgbouncer-")
            .tempdir()
            .map_err(io("creating the pgbouncer directory"))?;
        std::fs::write(root.path().join("users.txt"), "\"postgres\" \"\"\n")
            .map_err(io("writing pgbouncer's users"))?;
        let config = root.path().join("pgbouncer.ini");
        std::fs::write(&config, ini(root.path(), cluster, aliases, pool_size))
            .map_err(io("writing pgbouncer.ini"))?;
        let mut cmd = Command::new(&bin);
        cmd.arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // PgBouncer will not run as root: it runs as the server's user, as the cluster does.
        if let Some((uid, gid)) = cluster.server_ids() {
            for entry in [root.path().to_path_buf(), config.clone()] {
                chown(&entry, Some(uid), Some(gid)).map_err(io("handing pgbouncer its files"))?;
            }
            cmd.uid(uid).gid(gid);
        }
        let child = cmd
            .spawn()
            .map_err(|e| step("starting pgbouncer", format!("{}: {e}", bin.display())))?;
        let mut pooler = Pooler {
            root,
            child,
            watchdog: None,
        };
        pooler.wait_ready()?;
        pooler.watchdog = pooler.spawn_watchdog().ok();
        Ok(pooler)
    }

    fn wait_ready(&mut self) -> Result<(), ClusterError> {
        let socket = self.socket_dir().join(format!(".s.PGSQL.{PORT}"));
        let started = Instant::now();
        while !socket.exists() {
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || started.elapsed() > Duration::from_secs(10) {
                let log = std::fs::read_to_string(self.root.path().join("pgbouncer.log"))
                    .unwrap_or_default();
                return Err(step("starting pgbouncer", log.trim().to_string()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops pgbouncer if this process dies without running `Drop`.
    fn spawn_watchdog(&self) -> std::io::Result<Child> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill -INT {child} 2>/dev/null; \
             sleep 1; rm -rf '{root}'",
            pid = std::process::id(),
            child = self.child.id(),
            root = self.root.path().display(),
        );
        super::cluster::spawn_watchdog(&script)
    }

    /// The directory holding pgbouncer's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.root.path()
    }

    /// A connection URL for database `db` as `user`, through the pooler.
    pub fn url_as(&self, user: &str, db: &str) -> String {
        format!(
            "postgres://{user}@localhost:{PORT}/{db}?host={}",
            self.socket_dir().display()
        )
    }

    /// What pgbouncer wrote to its log so far (for a failed test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Pooler {
    fn drop(&mut self) {
        // SIGINT: "safe shutdown", after the transactions in flight.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGINT,
            );
        }
        let started = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(3) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(mut dog) = self.watchdog.take() {
            let _ = dog.kill();
            let _ = dog.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_pgbouncers_banner() {
        assert_eq!(
            parse_version("PgBouncer 1.24.1\nlibevent 2.1.12-stable\n"),
            Some((1, 24))
        );
        assert_eq!(parse_version("PgBouncer 1.18.0\n"), Some((1, 18)));
        assert_eq!(parse_version("PgBouncer 1.21rc1\n"), Some((1, 21)));
        assert_eq!(parse_version("pgbouncer: not found"), None);
        assert!(parse_version("PgBouncer 1.18.0").unwrap() < OLDEST);
    }
}
