//! A private PostgreSQL cluster started from the server binaries installed on the machine.
//!
//! `storefront serve` uses it when `DATABASE_URL` is unset, and the test harness uses it
//! when `TEST_DATABASE_URL` is unset. The cluster listens only on a Unix socket inside its
//! own data folder (no TCP port), trusts local connections (the folder is private), and
//! is shared between processes through a lock file next to the folder:
//!
//! * every user holds a **shared** lock on `<dir>.lock` while it needs the cluster;
//! * whoever finds it stopped takes the **exclusive** lock, starts it, and goes back to
//!   a shared lock;
//! * [`EmbeddedCluster::release`] stops the cluster when the caller is the last user
//!   (`serve` on shutdown); the optional watchdog does the same after a grace period once
//!   nobody holds the lock (the test harness, which has no "after all tests" hook).
//!
//! PostgreSQL refuses to run as root. As root the cluster runs as an unprivileged account
//! (`postgres`, else `nobody`) that owns the folder. When that account cannot reach the
//! preferred folder (a clone under a private home) or the socket path would be too long,
//! a private folder under the system temp directory is used instead.

use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

/// Port number used only to name the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const SOCKET_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;
const SUPERUSER: &str = "postgres";

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Preferred data folder (also the socket folder).
    pub dir: PathBuf,
    /// Extra `postgres -c name=value` settings.
    pub settings: Vec<(String, String)>,
    /// When set, a watchdog stops the cluster once nobody has used it for this long.
    pub idle_shutdown: Option<Duration>,
    /// When set, a new cluster is a streaming replica of the running cluster in this
    /// folder (`pg_basebackup -R`) instead of a fresh `initdb`.
    pub standby_of: Option<PathBuf>,
}

impl ClusterOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), settings: Vec::new(), idle_shutdown: None, standby_of: None }
    }

    /// A streaming replica of the cluster running in `primary` (its [`EmbeddedCluster::dir`]).
    pub fn standby_of(mut self, primary: impl Into<PathBuf>) -> Self {
        self.standby_of = Some(primary.into());
        self
    }

    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn idle_shutdown(mut self, after: Duration) -> Self {
        self.idle_shutdown = Some(after);
        self
    }
}

/// The unprivileged account the cluster runs as when we are root.
#[derive(Debug, Clone)]
struct Account {
    name: String,
    uid: u32,
    gid: u32,
}

/// A running cluster that this process is using (it holds a shared lock on it).
#[derive(Debug)]
pub struct EmbeddedCluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    account: Option<Account>,
    lock_path: PathBuf,
    lock: Option<File>,
    started_here: bool,
}

impl EmbeddedCluster {
    /// Starts the cluster (running `initdb` the first time) or joins one that already
    /// runs in the same folder. Blocking: call it from a blocking context.
    pub fn start(options: &ClusterOptions) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        let account = if current_uid()? == 0 { Some(unprivileged_account()?) } else { None };
        let dir = choose_dir(&options.dir, account.as_ref())?;
        let lock_path = dir.with_extension("lock");
        let mut cluster =
            Self { dir, bin_dir, account, lock_path, lock: None, started_here: false };
        cluster.acquire(options)?;
        Ok(cluster)
    }

    /// The data and socket folder actually used.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this process started the cluster (false when it joined a running one).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// A connection URL for `database` over the cluster's Unix socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@{}:{SOCKET_PORT}/{database}",
            percent_encode(&self.dir.to_string_lossy())
        )
    }

    /// Gives up this process's use of the cluster and stops it when nobody else uses it.
    /// Returns whether it was stopped.
    pub fn release(mut self) -> anyhow::Result<bool> {
        drop(self.lock.take());
        let lock = self.open_lock()?;
        match lock.try_lock() {
            Ok(()) => {
                self.pg_ctl(&["stop", "-D", &self.dir_str(), "-m", "fast", "-w", "-s"])?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn acquire(&mut self, options: &ClusterOptions) -> anyhow::Result<()> {
        // Retried because a watchdog may stop the cluster between our two locks.
        for _ in 0..5 {
            let lock = self.open_lock()?;
            lock.lock_shared().context("could not lock the cluster folder")?;
            if self.is_running()? {
                // Joining: make sure someone will stop the cluster once it is idle (the
                // watchdog that started with it may have been killed).
                if let Some(grace) = options.idle_shutdown
                    && !self.watchdog_alive()
                {
                    self.spawn_watchdog(grace);
                }
                self.lock = Some(lock);
                return Ok(());
            }
            drop(lock);
            let lock = self.open_lock()?;
            lock.lock().context("could not lock the cluster folder exclusively")?;
            if !self.is_running()? {
                self.init_if_needed(options.standby_of.as_deref())?;
                self.pg_start(options)?;
                self.started_here = true;
                if let Some(grace) = options.idle_shutdown {
                    self.spawn_watchdog(grace);
                }
            }
            drop(lock);
        }
        bail!(
            "the PostgreSQL cluster in {} keeps stopping while it is being started",
            self.dir.display()
        )
    }

    fn open_lock(&self) -> anyhow::Result<File> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .with_context(|| format!("could not open {}", self.lock_path.display()))?;
        if let Some(account) = &self.account {
            std::os::unix::fs::chown(&self.lock_path, Some(account.uid), Some(account.gid))
                .with_context(|| format!("could not chown {}", self.lock_path.display()))?;
        }
        Ok(file)
    }

    fn dir_str(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }

    fn is_running(&self) -> anyhow::Result<bool> {
        let output = self.command("pg_ctl").args(["status", "-D", &self.dir_str()]).output()?;
        Ok(output.status.success())
    }

    fn init_if_needed(&self, standby_of: Option<&Path>) -> anyhow::Result<()> {
        let version_file = self.dir.join("PG_VERSION");
        if version_file.exists() {
            let ours = fs::read_to_string(&version_file)?.trim().to_owned();
            if let Some(installed) = installed_major(&self.bin_dir)
                && installed != ours
            {
                bail!(
                    "{} holds a PostgreSQL {ours} cluster but the installed server is {installed}; \
                     delete that folder to start afresh",
                    self.dir.display()
                );
            }
            return Ok(());
        }
        // A half-made folder from an interrupted initdb: start again.
        if fs::read_dir(&self.dir)?.next().is_some() {
            fs::remove_dir_all(&self.dir)?;
            make_private_dir(&self.dir, self.account.as_ref())?;
        }
        if let Some(primary) = standby_of {
            return self.base_backup(primary);
        }
        let output = self
            .command("initdb")
            .args(["-D", &self.dir_str()])
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"])
            .output()
            .context("could not run initdb")?;
        check(&output, "initdb")
    }

    /// Copies the running cluster in `primary` here, set up to stream from it.
    fn base_backup(&self, primary: &Path) -> anyhow::Result<()> {
        let output = self
            .command("pg_basebackup")
            .args(["-D", &self.dir_str(), "-R", "-X", "stream", "-c", "fast"])
            .args(["-U", SUPERUSER, "-p", &SOCKET_PORT.to_string(), "-h"])
            .arg(primary)
            .output()
            .context("could not run pg_basebackup")?;
        check(&output, "pg_basebackup")?;
        // The primary's folder is also its socket folder: its socket lock and its log
        // came along, and are not the replica's.
        for copied in [format!(".s.PGSQL.{SOCKET_PORT}.lock"), "server.log".to_owned()] {
            let _ = fs::remove_file(self.dir.join(copied));
        }
        Ok(())
    }

    fn pg_start(&self, options: &ClusterOptions) -> anyhow::Result<()> {
        let mut settings: Vec<(String, String)> = vec![
            ("listen_addresses".into(), String::new()),
            ("unix_socket_directories".into(), self.dir_str()),
            ("port".into(), SOCKET_PORT.to_string()),
        ];
        settings.extend(options.settings.iter().cloned());
        // pg_ctl hands `-o` to a shell, so every value is single-quoted.
        let postgres_options = settings
            .iter()
            .map(|(name, value)| format!("-c {name}='{}'", value.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ");
        let log = self.dir.join("server.log");
        self.pg_ctl(&[
            "start",
            "-D",
            &self.dir_str(),
            "-w",
            "-t",
            "60",
            "-s",
            "-l",
            &log.to_string_lossy(),
            "-o",
            &postgres_options,
        ])
        .with_context(|| format!("PostgreSQL did not start; see {}", log.display()))
    }

    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let output = self.command("pg_ctl").args(args).output()?;
        check(&output, "pg_ctl")
    }

    fn watchdog_pid_file(&self) -> PathBuf {
        self.dir.with_extension("watchdog")
    }

    fn watchdog_alive(&self) -> bool {
        fs::read_to_string(self.watchdog_pid_file())
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
    }

    /// Stops the cluster once no process has held the lock for `grace`. It runs in its
    /// own session and records its pid next to the data folder.
    fn spawn_watchdog(&self, grace: Duration) {
        const SCRIPT: &str = r#"
lock="$1"; pg_ctl="$2"; data="$3"; grace="$4"; pidfile="$5"; idle=0
echo $$ > "$pidfile"
while sleep 1; do
  "$pg_ctl" status -D "$data" >/dev/null 2>&1 || exit 0
  if flock -n -x "$lock" true; then idle=$((idle + 1)); else idle=0; fi
  if [ "$idle" -ge "$grace" ]; then
    flock -n -x "$lock" "$pg_ctl" stop -D "$data" -m fast -s >/dev/null 2>&1 && exit 0
  fi
done
"#;
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let pid_file = self.watchdog_pid_file();
        if let Some(account) = &self.account {
            // The watchdog runs as the cluster's account and must be able to write it.
            let _ = fs::write(&pid_file, "");
            let _ = std::os::unix::fs::chown(&pid_file, Some(account.uid), Some(account.gid));
        }
        let mut command = Command::new("setsid");
        command
            .args(["sh", "-c", SCRIPT, "storefront-pg-watchdog"])
            .arg(&self.lock_path)
            .arg(&pg_ctl)
            .arg(&self.dir)
            .arg(grace.as_secs().max(1).to_string())
            .arg(&pid_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/");
        if let Some(account) = &self.account {
            command.uid(account.uid).gid(account.gid);
        }
        if let Err(error) = command.spawn() {
            tracing::warn!(%error, "could not start the PostgreSQL watchdog; the cluster keeps running");
        }
    }

    /// A command for one of the server binaries, run as the cluster's account.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command.current_dir("/").stdin(Stdio::null()).env("LC_ALL", "C");
        if let Some(account) = &self.account {
            command.uid(account.uid).gid(account.gid);
        }
        command
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        // Dropping the file releases the shared lock; the cluster stays up for others.
        drop(self.lock.take());
    }
}

/// The folder holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"].iter().all(|program| dir.join(program).is_file())
    };
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    // Debian installs servers side by side: take the newest major version.
    let mut candidates: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((major, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, dir)| dir).ok_or_else(|| {
        anyhow!(
            "no PostgreSQL server binaries found (looked at `pg_config --bindir` and \
             /usr/lib/postgresql/*/bin). Install PostgreSQL (`apt-get install postgresql`) \
             or set DATABASE_URL to an existing database."
        )
    })
}

fn installed_major(bin_dir: &Path) -> Option<String> {
    let output = Command::new(bin_dir.join("postgres")).arg("--version").output().ok()?;
    // "postgres (PostgreSQL) 15.18 (Debian ...)"
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let version = text.split_whitespace().nth(2)?;
    version.split('.').next().map(str::to_owned)
}

fn current_uid() -> anyhow::Result<u32> {
    id_number(&["-u"])
}

fn id_number(args: &[&str]) -> anyhow::Result<u32> {
    let output = Command::new("id").args(args).output().context("could not run `id`")?;
    check(&output, "id")?;
    String::from_utf8_lossy(&output.stdout).trim().parse().context("unexpected output from `id`")
}

fn unprivileged_account() -> anyhow::Result<Account> {
    for name in ["postgres", "nobody"] {
        if let (Ok(uid), Ok(gid)) = (id_number(&["-u", name]), id_number(&["-g", name]))
            && uid != 0
        {
            return Ok(Account { name: name.to_owned(), uid, gid });
        }
    }
    bail!(
        "running as root, and neither a `postgres` nor a `nobody` account exists to run PostgreSQL"
    )
}

/// The preferred folder when the cluster's account can reach it, else a private folder
/// under the system temp directory.
fn choose_dir(preferred: &Path, account: Option<&Account>) -> anyhow::Result<PathBuf> {
    let preferred = std::path::absolute(preferred)?;
    if usable(&preferred, account)? {
        return Ok(preferred);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    preferred.hash(&mut hasher);
    let user = account.map_or_else(|| "user".to_owned(), |a| a.name.clone());
    let parent = std::env::temp_dir().join(format!("storefront-{user}-{:016x}", hasher.finish()));
    make_private_dir(&parent, account)?;
    let fallback = parent.join("pg");
    if !usable(&fallback, account)? {
        bail!(
            "cannot make a folder for PostgreSQL at {} or {}",
            preferred.display(),
            fallback.display()
        );
    }
    tracing::info!(
        preferred = %preferred.display(),
        used = %fallback.display(),
        "the PostgreSQL account cannot use the preferred folder; using a private temp folder"
    );
    Ok(fallback)
}

fn usable(dir: &Path, account: Option<&Account>) -> anyhow::Result<bool> {
    let socket = dir.join(format!(".s.PGSQL.{SOCKET_PORT}"));
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Ok(false);
    }
    if make_private_dir(dir, account).is_err() {
        return Ok(false);
    }
    let Some(account) = account else {
        return Ok(true);
    };
    // Can the account reach and write the folder (every parent traversable)?
    let status = Command::new("test")
        .args(["-w"])
        .arg(dir)
        .current_dir("/")
        .uid(account.uid)
        .gid(account.gid)
        .status()
        .context("could not run `test` as the PostgreSQL account")?;
    Ok(status.success())
}

/// Creates `dir` (mode 0700) owned by the cluster's account.
fn make_private_dir(dir: &Path, account: Option<&Account>) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    if let Some(account) = account {
        std::os::unix::fs::chown(dir, Some(account.uid), Some(account.gid))
            .with_context(|| format!("could not chown {}", dir.display()))?;
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("could not restrict {}", dir.display()))?;
    Ok(())
}

fn check(output: &Output, what: &str) -> anyhow::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    bail!(
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    )
}

/// Percent-encodes everything but unreserved characters (for a socket path in a URL host).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_paths_are_percent_encoded() {
        assert_eq!(percent_encode("/tmp/a b/pg"), "%2Ftmp%2Fa%20b%2Fpg");
    }
}
