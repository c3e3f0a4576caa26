//! The private cluster starts, serves, and leaves nothing behind, even if its owner is killed.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use settle::demo::cluster::PrivateCluster;

fn postmaster_running(dir: &std::path::Path) -> bool {
    let out = Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.contains("postgres") && l.contains(&*dir.to_string_lossy()))
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_cluster_starts_serves_and_leaves_nothing_behind() {
    let cluster = PrivateCluster::start().expect("cluster starts");
    let dir: PathBuf = cluster.socket_dir().to_path_buf();
    let url = cluster.url("postgres");
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = settle::store::pool(&url, 1)
            .await
            .expect("connects over the socket");
        let v: i32 = sqlx::query_scalar("SELECT 40 + 2")
            .fetch_one(&pool)
            .await
            .unwrap();
        let tcp: String = sqlx::query_scalar("SHOW listen_addresses")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        (v, tcp)
    });
    assert_eq!(answer, (42, String::new()), "serves, and on no TCP address");
    assert!(postmaster_running(&dir));
    cluster.stop();
    assert!(!dir.exists(), "directory removed");
    wait_until("server gone", Duration::from_secs(5), || {
        !postmaster_running(&dir)
    });
}

#[test]
fn a_killed_demo_leaves_no_server_or_directory() {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["demo", "--headless", "--scale", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(demo.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("demo prints its URL");
    let dir = PathBuf::from(
        line.trim()
            .rsplit_once("host=")
            .expect("URL has a socket dir")
            .1,
    );
    assert!(dir.exists() && postmaster_running(&dir));
    demo.kill().expect("SIGKILL"); // no Drop runs: the watchdog must clean up
    demo.wait().unwrap();
    wait_until("watchdog stops the server", Duration::from_secs(15), || {
        !postmaster_running(&dir)
    });
    wait_until(
        "watchdog removes the directory",
        Duration::from_secs(15),
        || !dir.exists(),
    );
}
