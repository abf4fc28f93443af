//! A real headless Chromium (Debian's `chromium`), driven over the DevTools protocol on
//! the WebSocket client the other tests use: navigate, evaluate, wait, screenshot, and
//! every console error and uncaught exception the page produced.
//!
//! Why not a driver crate: fantoccini needs chromedriver and cannot see the console, and
//! chromiumoxide compiles the whole generated protocol (minutes of a cold CI run on two
//! cores); the six protocol methods used here fit in this file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `CHROMIUM`, or Debian's `/usr/bin/chromium`.
fn executable() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// One headless Chromium process with its own empty profile (both gone on drop).
pub struct Browser {
    _child: tokio::process::Child,
    profile: PathBuf,
    /// `127.0.0.1:<port>` of its DevTools endpoint.
    devtools: String,
}

impl Browser {
    pub async fn launch() -> Self {
        let profile =
            std::env::temp_dir().join(format!("storefront-chromium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        // The background-networking flags keep Chromium off the (closed) internet.
        let mut child = tokio::process::Command::new(executable())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} could not start: {e}", executable().display()));
        let stderr = child.stderr.take().unwrap();
        let devtools = super::announced(stderr, Duration::from_secs(30), |line| {
            let url = line.strip_prefix("DevTools listening on ws://")?;
            url.split('/').next().map(str::to_owned)
        })
        .await
        .expect("Chromium did not open its DevTools endpoint");
        Self { _child: child, profile, devtools }
    }

    /// A new tab (its own session storage; local storage is per browser profile).
    pub async fn page(&self) -> Page {
        let created = http_json(&self.devtools, "PUT", "/json/new?about:blank").await;
        let url = created["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
        let mut page = Page { socket, next_id: 0, errors: Vec::new(), requests: Vec::new() };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"] {
            page.send(domain, json!({})).await;
        }
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A plain HTTP/1.1 request to the DevTools endpoint; its JSON body (read up to its
/// `Content-Length`: the endpoint keeps the connection open).
async fn http_json(host: &str, method: &str, path: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            response.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&response).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(usize::MAX);
                if body.len() >= length || n == 0 {
                    return body.to_owned();
                }
            }
            assert!(n > 0, "the DevTools endpoint closed: {text}");
        }
    };
    let body = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("no answer from the DevTools endpoint");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// One tab.
pub struct Page {
    socket: Socket,
    next_id: u64,
    /// Console errors and uncaught exceptions, in order.
    errors: Vec<String>,
    /// Every URL the page requested (documents, scripts, fetches, sockets).
    requests: Vec<String>,
}

impl Page {
    /// Sends a protocol command and waits for its answer (noting events on the way).
    pub async fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket.send(Message::text(command.to_string())).await.unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .expect("the DevTools socket closed")
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.note(&value);
        }
    }

    fn note(&mut self, event: &Value) {
        let short = |text: String| text.chars().take(400).collect::<String>();
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                self.errors.push(short(format!("console.error: {}", params["args"])));
            }
            Some("Runtime.exceptionThrown") => {
                self.errors.push(short(format!("exception: {}", params["exceptionDetails"])));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                self.errors.push(short(format!("log: {}", params["entry"])));
            }
            Some("Network.requestWillBeSent") => {
                self.requests
                    .push(params["request"]["url"].as_str().unwrap_or_default().to_owned());
            }
            Some("Network.webSocketCreated") => {
                self.requests.push(params["url"].as_str().unwrap_or_default().to_owned());
            }
            _ => {}
        }
    }

    /// Every URL requested so far.
    pub fn requests(&self) -> &[String] {
        &self.requests
    }

    /// Console errors and uncaught exceptions seen so far.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Evaluates `expression` (awaiting a promise) and returns its JSON value; a thrown
    /// error fails the test.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let params =
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true });
        let result = self.send("Runtime.evaluate", params).await;
        if let Some(details) = result.get("exceptionDetails") {
            panic!("{expression}: {details}");
        }
        result["result"]["value"].clone()
    }

    pub async fn goto(&mut self, url: &str) {
        self.send("Page.navigate", json!({ "url": url })).await;
        self.wait_for("document.readyState === 'complete'").await;
    }

    /// Waits (up to 15 s) until `condition` is truthy; returns its value.
    pub async fn wait_for(&mut self, condition: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let value = self
                .eval(&format!(
                    "(() => {{ try {{ const v = ({condition}); \
                     return v instanceof Node || v instanceof NodeList ? v.length ?? true : v; }} \
                     catch (e) {{ return null; }} }})()"
                ))
                .await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let body = self.eval("document.body ? document.body.innerText : ''").await;
                panic!("timed out waiting for {condition}; errors {:?}; page: {body}", self.errors);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The CSS selector of the element(s) with `data-testid` `id`.
    pub fn testid(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// Waits for the first element matching `selector` and clicks it.
    pub async fn click(&mut self, selector: &str) {
        let selector = serde_json::to_string(selector).unwrap();
        self.wait_for(&format!("document.querySelector({selector})")).await;
        self.eval(&format!("document.querySelector({selector}).click()")).await;
    }

    /// Types `text` into the input matching `selector` (as a user's input events would).
    pub async fn fill(&mut self, selector: &str, text: &str) {
        let selector = serde_json::to_string(selector).unwrap();
        let text = serde_json::to_string(text).unwrap();
        self.wait_for(&format!("document.querySelector({selector})")).await;
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({selector}); el.focus(); el.value = {text}; \
             el.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             el.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()"
        ))
        .await;
    }

    /// The text of the first element matching `selector` (waiting for it).
    pub async fn text(&mut self, selector: &str) -> String {
        let selector = serde_json::to_string(selector).unwrap();
        self.wait_for(&format!("document.querySelector({selector})")).await;
        self.eval(&format!("document.querySelector({selector}).innerText"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// How many elements match `selector`.
    pub async fn count(&mut self, selector: &str) -> u64 {
        let selector = serde_json::to_string(selector).unwrap();
        self.eval(&format!("document.querySelectorAll({selector}).length")).await.as_u64().unwrap()
    }

    /// The viewport: `width` CSS pixels wide, as a phone when `mobile`.
    pub async fn viewport(&mut self, width: u32, height: u32, mobile: bool) {
        let params =
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile });
        self.send("Emulation.setDeviceMetricsOverride", params).await;
    }

    /// A PNG of the whole page at `path` (a test artefact).
    pub async fn screenshot(&mut self, path: &Path) {
        // A tab in the background draws no frames to capture.
        self.send("Page.bringToFront", json!({})).await;
        let shot = self
            .send(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}
