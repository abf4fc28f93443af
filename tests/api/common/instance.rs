//! A real `storefront serve` process on a test's database.

use std::net::SocketAddr;
use std::time::Duration;

use super::{TEST_SECRET, TestApp};

/// One running `storefront serve`.
pub struct Instance {
    child: tokio::process::Child,
    pub addr: SocketAddr,
}

impl Instance {
    /// Starts `serve` on the app's database on a free port, and waits until it listens.
    pub async fn start(app: &TestApp) -> Self {
        Self::start_with(app, &[]).await
    }

    /// [`start`](Self::start) with more (or other) environment variables.
    pub async fn start_with(app: &TestApp, env: &[(&str, &str)]) -> Self {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_storefront"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.db.url)
            .env("JWT_SECRET", std::str::from_utf8(TEST_SECRET).unwrap())
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("RUN_WORKERS", "false")
            .env("RATE_LIMITS", "off")
            .env("SHUTDOWN_DELAY_SECONDS", "1")
            .env("SHUTDOWN_GRACE_SECONDS", "5")
            .env("MEDIA_ROOT", app.media.0.display().to_string())
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the storefront binary");
        let stdout = child.stdout.take().expect("stdout");
        let addr = super::announced(stdout, Duration::from_secs(60), |line| {
            let rest = line.split("http://").nth(1)?;
            rest.trim_end_matches("/graphql (Ctrl-C to stop)").parse().ok()
        })
        .await
        .expect("the instance did not start");
        Self { child, addr }
    }

    /// Sends SIGTERM and waits for the process to end; its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let sent =
            tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the instance did not stop within 30 s")
            .unwrap()
    }
}
