//! A small SMTP server for tests (127.0.0.1, a real SMTP conversation): it records every
//! message and can answer a number of transactions with a temporary failure.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body).
    pub data: String,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<Received>>>,
    fail: Arc<AtomicUsize>,
    stall: Arc<Stall>,
    task: JoinHandle<()>,
}

/// Transactions to leave hanging after their data (never answered), and how many were.
#[derive(Default)]
struct Stall {
    next: AtomicUsize,
    done: AtomicUsize,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(AtomicUsize::new(0));
        let stall = Arc::new(Stall::default());
        let (m, f, s) = (messages.clone(), fail.clone(), stall.clone());
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (m, f, s) = (m.clone(), f.clone(), s.clone());
                tokio::spawn(async move {
                    let _ = session(socket, m, f, s).await;
                });
            }
        });
        Self { addr, messages, fail, stall, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The next `n` transactions get `451` (a temporary failure).
    pub fn fail_next(&self, n: usize) {
        self.fail.store(n, Ordering::SeqCst);
    }

    /// The next `n` transactions hang once their data is in: never answered, and not
    /// counted as delivered (the sender never hears that they were).
    pub fn stall_next(&self, n: usize) {
        self.stall.next.store(n, Ordering::SeqCst);
    }

    /// Waits until `n` transactions hang (panics after `seconds`).
    pub async fn wait_for_stalled(&self, n: usize, seconds: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        while self.stall.done.load(Ordering::SeqCst) < n {
            assert!(tokio::time::Instant::now() < deadline, "no transaction reached the sink");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived (panics after `seconds`).
    pub async fn wait_for(&self, n: usize, seconds: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} messages arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stall {
    /// Whether this transaction is to hang (counted when it is).
    fn take(&self) -> bool {
        let stalled = self
            .next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if stalled {
            self.done.fetch_add(1, Ordering::SeqCst);
        }
        stalled
    }
}

/// A message's data, up to the line with a single dot (dot-stuffing undone).
async fn read_data(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
) -> std::io::Result<String> {
    let mut data = String::new();
    while let Some(line) = lines.next_line().await? {
        if line == "." {
            break;
        }
        data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
        data.push_str("\r\n");
    }
    Ok(data)
}

async fn session(
    socket: tokio::net::TcpStream, messages: Arc<Mutex<Vec<Received>>>, fail: Arc<AtomicUsize>,
    stall: Arc<Stall>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP test\r\n").await?;
    let mut to = Vec::new();
    let mut failing = false;
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM") {
            failing =
                fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
            if failing { b"451 4.3.0 Temporary failure, try again\r\n" } else { b"250 OK\r\n" }
        } else if upper.starts_with("RCPT TO") {
            to.push(
                line[8..]
                    .trim()
                    .trim_start_matches(':')
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_owned(),
            );
            b"250 OK\r\n"
        } else if upper.starts_with("DATA") {
            if failing {
                b"503 Bad sequence\r\n"
            } else {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let data = read_data(&mut lines).await?;
                if stall.take() {
                    // Hang until the sender goes away.
                    while lines.next_line().await?.is_some() {}
                    return Ok(());
                }
                if let Ok(mut all) = messages.lock() {
                    all.push(Received { to: std::mem::take(&mut to), data });
                }
                b"250 OK queued\r\n"
            }
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
