//! A private, throwaway PostgreSQL cluster for the demo and the tests.
//!
//! It lives in a temporary directory, listens on a Unix socket only (no TCP port to
//! clash), and is stopped and removed when dropped. A watchdog process removes it too
//! if this process dies without unwinding (SIGKILL), so nothing is left behind.

use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

/// What can go wrong while bringing up a private cluster.
#[derive(Debug, Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin; \
         install the server package (Debian: `apt-get install postgresql`)"
    )]
    NoBinaries,
    #[error("running as root, but there is no unprivileged `postgres` user to run the server as")]
    NoServerUser,
    #[error("{step} failed: {detail}")]
    Step { step: &'static str, detail: String },
    #[error("i/o error while {doing}: {source}")]
    Io {
        doing: &'static str,
        #[source]
        source: std::io::Error,
    },
}

fn io(doing: &'static str) -> impl FnOnce(std::io::Error) -> ClusterError {
    move |source| ClusterError::Io { doing, source }
}

/// Finds the directory holding `initdb` and `pg_ctl`: PATH first, then the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn find_server_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d))
    {
        // Where initdb really lives (a PATH entry may link just a few of the programs):
        // pg_basebackup and psql are beside it.
        return dir
            .join("initdb")
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|real| has_both(real))
            .or(Some(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The unprivileged user the server runs as when we are root.
#[derive(Debug, Clone, Copy)]
struct ServerUser {
    uid: u32,
    gid: u32,
}

fn server_user() -> Result<Option<ServerUser>, ClusterError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .ok_or(ClusterError::NoServerUser)?;
    Ok(Some(ServerUser {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    }))
}

/// A running private cluster. Dropping it stops the server and removes its directory.
pub struct PrivateCluster {
    bin: PathBuf,
    root: tempfile::TempDir,
    user: Option<ServerUser>,
    watchdog: Option<std::process::Child>,
}

impl PrivateCluster {
    /// Creates, starts and returns a new cluster with superuser `postgres` (trust auth,
    /// socket only). Tuned for a throwaway: no fsync.
    pub fn start() -> Result<Self, ClusterError> {
        let bin = find_server_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let user = server_user()?;
        let root = tempfile::Builder::new()
            .prefix("settle-pg-")
            .tempdir()
            .map_err(io("creating the cluster directory"))?;
        if let Some(u) = &user {
            chown(root.path(), Some(u.uid), Some(u.gid))
                .map_err(io("handing the cluster directory to postgres"))?;
        }
        let mut cluster = PrivateCluster {
            bin,
            root,
            user,
            watchdog: None,
        };
        cluster.run_step("initdb", &cluster.initdb_args())?;
        cluster.run_step("pg_ctl start", &cluster.start_args())?;
        cluster.watchdog = cluster.spawn_watchdog().ok();
        Ok(cluster)
    }

    fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The uid and gid the server runs as, when it is not this process's own (we are root).
    pub fn server_ids(&self) -> Option<(u32, u32)> {
        self.user.map(|u| (u.uid, u.gid))
    }

    /// The directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.root.path()
    }

    fn initdb_args(&self) -> Vec<String> {
        let data = self.data_dir().display().to_string();
        [
            "initdb",
            "-D",
            &data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
        .map(String::from)
        .to_vec()
    }

    fn start_args(&self) -> Vec<String> {
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB -c max_wal_size=4GB \
             -c maintenance_work_mem=256MB -c work_mem=32MB",
            self.socket_dir().display()
        );
        let data = self.data_dir().display().to_string();
        let log = self.root.path().join("server.log").display().to_string();
        [
            "pg_ctl", "start", "-w", "-D", &data, "-l", &log, "-o", &options,
        ]
        .map(String::from)
        .to_vec()
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(self.root.path());
        if let Some(u) = &self.user {
            cmd.uid(u.uid).gid(u.gid);
        }
        cmd
    }

    fn run_step(&self, step: &'static str, args: &[String]) -> Result<(), ClusterError> {
        let output = self
            .command(&args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| ClusterError::Step {
                step,
                detail: format!(
                    "{e} (running {} in {})",
                    self.bin.join(&args[0]).display(),
                    self.root.path().display()
                ),
            })?;
        if output.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.root.path().join("server.log")).unwrap_or_default();
        Err(ClusterError::Step {
            step,
            detail: format!(
                "{}{}{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                if log.is_empty() { "" } else { "\n" },
                log.trim()
            ),
        })
    }

    /// A process that outlives us only long enough to stop the server and remove its
    /// directory if we die without running `Drop`.
    fn spawn_watchdog(&self) -> std::io::Result<std::process::Child> {
        // pg_ctl refuses to run as root, so the watchdog signals the postmaster directly
        // (SIGQUIT: immediate shutdown), waits for it to go, then removes the directory.
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             pm=$(head -n 1 '{data}/postmaster.pid' 2>/dev/null); \
             if [ -n \"$pm\" ]; then kill -QUIT \"$pm\" 2>/dev/null; \
               for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 \"$pm\" 2>/dev/null || break; sleep 0.5; done; fi; \
             rm -rf '{root}'",
            pid = std::process::id(),
            data = self.data_dir().display(),
            root = self.root.path().display(),
        );
        spawn_watchdog(&script)
    }

    /// Stops the server (fast: open sessions are cut off) and starts it again, as an operator's
    /// restart or a failover does; for benchmarks of how consoles come back.
    pub fn restart(&self) -> Result<(), ClusterError> {
        let data = self.data_dir().display().to_string();
        let stop = ["pg_ctl", "stop", "-w", "-m", "fast", "-D", &data].map(String::from);
        self.run_step("pg_ctl stop", &stop)?;
        self.run_step("pg_ctl start", &self.start_args())
    }

    /// A streaming replica of this cluster (`pg_basebackup -R`), started on its own socket,
    /// replaying `apply_delay_ms` behind (0: as fast as it can).
    pub fn start_replica(&self, apply_delay_ms: u64) -> Result<Self, ClusterError> {
        let root = tempfile::Builder::new()
            .prefix("settle-replica-")
            .tempdir()
            .map_err(io("creating the replica directory"))?;
        if let Some(u) = &self.user {
            chown(root.path(), Some(u.uid), Some(u.gid))
                .map_err(io("handing the replica directory to postgres"))?;
        }
        let mut replica = PrivateCluster {
            bin: self.bin.clone(),
            root,
            user: self.user,
            watchdog: None,
        };
        let data = replica.data_dir().display().to_string();
        let primary = self.socket_dir().display().to_string();
        let backup = [
            "pg_basebackup",
            "-D",
            &data,
            "-R",
            "-X",
            "stream",
            "-h",
            &primary,
            "-U",
            "postgres",
            "--no-sync",
            "--checkpoint=fast",
        ]
        .map(String::from)
        .to_vec();
        replica.run_step("pg_basebackup", &backup)?;
        let mut start = replica.start_args();
        if let Some(options) = start.iter_mut().find(|a| a.contains("listen_addresses")) {
            options.push_str(&format!(" -c recovery_min_apply_delay={apply_delay_ms}ms"));
        }
        replica.run_step("pg_ctl start", &start)?;
        replica.watchdog = replica.spawn_watchdog().ok();
        Ok(replica)
    }

    /// A connection URL for database `db` as superuser `postgres` over the socket.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@localhost/{db}?host={}",
            self.socket_dir().display()
        )
    }

    /// A connection URL for database `db` as `user`.
    pub fn url_as(&self, user: &str, db: &str) -> String {
        format!(
            "postgres://{user}@localhost/{db}?host={}",
            self.socket_dir().display()
        )
    }

    /// A new, migrated, empty database `name` in this cluster: its URL and a pool on it.
    pub async fn create_store(
        &self,
        name: &str,
        connections: u32,
    ) -> Result<(String, sqlx::PgPool), crate::store::StoreError> {
        let admin = crate::store::pool(&self.url("postgres"), 1).await?;
        let url = self.url(name);
        let store = crate::store::create_store(&admin, name, &url, connections).await?;
        admin.close().await;
        Ok((url, store))
    }

    /// Leaves the server running after this process ends (`settle demo --keep`): the watchdog
    /// is called off and the directory is no longer removed. Returns the directory.
    pub fn keep(mut self) -> PathBuf {
        if let Some(mut dog) = self.watchdog.take() {
            let _ = dog.kill();
            let _ = dog.wait();
        }
        let dir = self.root.path().to_path_buf();
        std::mem::forget(self);
        dir
    }

    /// Stops the server (fast) and removes its directory.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let data = self.data_dir();
        if data.exists() {
            let _ = self
                .command("pg_ctl")
                .args(["stop", "-w", "-m", "fast", "-D"])
                .arg(&data)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&data);
        }
        if let Some(mut dog) = self.watchdog.take() {
            let _ = dog.kill();
            let _ = dog.wait();
        }
    }
}

/// Runs `script` (which waits for this process to end, then cleans up) in its own process
/// group, so it outlives us and a signal to our group does not reach it.
pub(super) fn spawn_watchdog(script: &str) -> std::io::Result<std::process::Child> {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}
