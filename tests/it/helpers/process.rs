//! Running `campaign-studio` as real processes (servers, workers) on a
//! test's database, for tests of what crosses process boundaries.

use super::TestApp;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn binary() -> String {
    std::env::var("CAMPAIGN_STUDIO_BIN").unwrap_or_else(|_| {
        let target =
            std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{}/../target", env!("CARGO_MANIFEST_DIR")));
        format!("{target}/debug/campaign-studio")
    })
}

pub struct Proc {
    pub child: Child,
    pub base: Option<String>,
}

impl Proc {
    /// `serve` or `worker` with the test app's settings plus `extra`.
    pub fn start(app: &TestApp, command: &str, extra: &[(&str, &str)]) -> Proc {
        let mut env: HashMap<String, String> = app.settings.clone();
        env.remove("BIND_ADDR");
        let mut base = None;
        if command == "serve" {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .expect("port")
                .local_addr()
                .expect("addr")
                .port();
            env.insert("BIND_ADDR".into(), format!("127.0.0.1:{port}"));
            env.insert("PUBLIC_BASE_URL".into(), format!("http://127.0.0.1:{port}"));
            base = Some(format!("http://127.0.0.1:{port}"));
        }
        env.insert("STORAGE_DIR".into(), app.storage_dir.display().to_string());
        env.insert("RUST_LOG".into(), "warn".into());
        for (k, v) in extra {
            env.insert((*k).to_string(), (*v).to_string());
        }
        let child = Command::new(binary())
            .arg(command)
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e} (build it: cargo build --bin campaign-studio)",
                    binary()
                )
            });
        Proc { child, base }
    }

    /// Waits until a `serve` process answers /readyz.
    pub async fn ready(&self) {
        let url = format!("{}/readyz", self.base.as_ref().expect("a server"));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{url} never became ready");
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit; None if it is still running after `within`.
    pub async fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
