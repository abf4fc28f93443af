//! Live subscribers against a running Storefront: opens N graphql-transport-ws sockets
//! signed in as staff, each subscribed to `orderCreated`, places orders as a customer, and
//! reports how many sockets received each order and how long after it was sent (p50,
//! p99, max), the service's memory per idle subscriber, and its memory after they leave.
//!
//! ```text
//! subscribers --url http://127.0.0.1:8000 -n 10000 --pid <service pid>
//! ```
//!
//! Accounts: `--staff user:password` (default the embedded default's `admin`) and
//! `--customer user:password` (default `demo`). Latency is measured from the moment the
//! `createOrder` request is sent, so it includes the request itself and is an upper
//! bound of the time after the commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    url: String,
    sockets: usize,
    pid: Option<u32>,
    orders: usize,
    staff: (String, String),
    customer: (String, String),
}

fn options() -> Result<Options, Error> {
    let mut o = Options {
        url: "http://127.0.0.1:8000".into(),
        sockets: 1000,
        pid: None,
        orders: 3,
        staff: ("admin".into(), "storefront-admin".into()),
        customer: ("demo".into(), "storefront-demo".into()),
    };
    let mut args = std::env::args().skip(1);
    let account = |v: String| -> Result<(String, String), Error> {
        let (u, p) = v.split_once(':').ok_or("accounts are user:password")?;
        Ok((u.to_owned(), p.to_owned()))
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => o.url = value.trim_end_matches('/').to_owned(),
            "-n" => o.sockets = value.parse()?,
            "--pid" => o.pid = Some(value.parse()?),
            "--orders" => o.orders = value.parse()?,
            "--staff" => o.staff = account(value)?,
            "--customer" => o.customer = account(value)?,
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let o = options()?;
    let http = reqwest::Client::new();
    let graphql = format!("{}/graphql", o.url);
    let staff = sign_in(&http, &graphql, &o.staff).await?;
    let customer = sign_in(&http, &graphql, &o.customer).await?;
    let rss_start = rss_kib(o.pid);

    let (deliveries, mut delivered) = mpsc::unbounded_channel::<(usize, Instant)>();
    let (leave, left) = watch::channel(false);
    let ready = Arc::new(AtomicUsize::new(0));
    let opening = Arc::new(Semaphore::new(200));
    let ws_url = format!("{}/graphql/ws", o.url.replacen("http", "ws", 1));
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(o.sockets);
    for _ in 0..o.sockets {
        let permit = opening.clone().acquire_owned().await?;
        let socket = Socket {
            url: ws_url.clone(),
            token: staff.clone(),
            deliveries: deliveries.clone(),
            left: left.clone(),
            ready: ready.clone(),
        };
        sockets.push(tokio::spawn(socket.run(permit)));
    }
    while ready.load(Ordering::Relaxed) < o.sockets {
        if started.elapsed() > Duration::from_secs(120) {
            return Err(
                format!("only {} sockets subscribed", ready.load(Ordering::Relaxed)).into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "{} sockets subscribed in {:.1} s",
        o.sockets,
        started.elapsed().as_secs_f64()
    );
    // The server starts listening when it has processed each `subscribe`.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_kib(o.pid);

    for round in 1..=o.orders {
        let sent = Instant::now();
        let order = place_order(&http, &graphql, &customer).await?;
        let mut times = Vec::with_capacity(o.sockets);
        let deadline = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(deadline);
        while times.len() < o.sockets {
            tokio::select! {
                () = &mut deadline => break,
                got = delivered.recv() => match got {
                    Some((id, at)) if id == order => times.push(at.duration_since(sent)),
                    Some(_) => {}
                    None => break,
                },
            }
        }
        times.sort();
        let pct = |p: f64| {
            let i = ((times.len() as f64 * p).ceil() as usize).saturating_sub(1);
            times.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "order {round} (#{order}): delivered to {}/{} sockets; after the request was sent: \
             p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            times.len(),
            o.sockets,
            pct(0.50),
            pct(0.99),
            pct(1.0)
        );
    }

    leave.send(true)?;
    for socket in sockets {
        let _ = socket.await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_end = rss_kib(o.pid);
    if let (Some(start), Some(idle), Some(end)) = (rss_start, rss_idle, rss_end) {
        let per = (idle.saturating_sub(start) as f64) / o.sockets as f64;
        println!(
            "service RSS: {start} KiB before, {idle} KiB with {} idle subscribers \
             ({per:.1} KiB each), {end} KiB 5 s after they left",
            o.sockets
        );
    }
    Ok(())
}

struct Socket {
    url: String,
    token: String,
    deliveries: mpsc::UnboundedSender<(usize, Instant)>,
    left: watch::Receiver<bool>,
    ready: Arc<AtomicUsize>,
}

impl Socket {
    async fn run(mut self, permit: tokio::sync::OwnedSemaphorePermit) -> Result<(), Error> {
        let mut request = self.url.as_str().into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", self.token) } });
        ws.send(Message::text(init.to_string())).await?;
        loop {
            let message = ws.next().await.ok_or("closed before the ack")??;
            if text_of(&message).is_some_and(|m| m["type"] == "connection_ack") {
                break;
            }
        }
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { orderCreated { id } }" } });
        ws.send(Message::text(subscribe.to_string())).await?;
        self.ready.fetch_add(1, Ordering::Relaxed);
        drop(permit);
        loop {
            tokio::select! {
                _ = self.left.wait_for(|leave| *leave) => break,
                message = ws.next() => {
                    let Some(Ok(message)) = message else { break };
                    let at = Instant::now();
                    if let Some(m) = text_of(&message)
                        && m["type"] == "next"
                        && let Some(id) = m["payload"]["data"]["orderCreated"]["id"].as_u64()
                    {
                        let _ = self.deliveries.send((id as usize, at));
                    }
                }
            }
        }
        let _ = ws.close(None).await;
        Ok(())
    }
}

fn text_of(message: &Message) -> Option<Value> {
    match message {
        Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
        _ => None,
    }
}

async fn gql(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, Error> {
    let mut request = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await?.json().await?;
    if let Some(errors) = body.get("errors") {
        return Err(format!("{query}: {errors}").into());
    }
    Ok(body["data"].clone())
}

async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    (user, password): &(String, String),
) -> Result<String, Error> {
    let data = gql(
        http,
        url,
        None,
        "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access } }",
        json!({ "u": user, "p": password }),
    )
    .await?;
    Ok(data["createToken"]["access"]
        .as_str()
        .ok_or("no access token")?
        .to_owned())
}

/// Places one order of one unit of the first product in stock; returns its id.
async fn place_order(http: &reqwest::Client, url: &str, token: &str) -> Result<usize, Error> {
    let cart = gql(
        http,
        url,
        Some(token),
        "mutation { createCart { id } }",
        json!({}),
    )
    .await?;
    let cart = cart["createCart"]["id"].clone();
    for product in 1..=1000 {
        let added = gql(
            http,
            url,
            Some(token),
            "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p) { quantity } }",
            json!({ "c": cart, "p": product }),
        )
        .await;
        if added.is_ok() {
            break;
        }
    }
    let order = gql(
        http,
        url,
        Some(token),
        "mutation($c: UUID!) { createOrder(cartId: $c) { id } }",
        json!({ "c": cart }),
    )
    .await?;
    Ok(order["createOrder"]["id"].as_u64().ok_or("no order id")? as usize)
}

/// The resident memory of `pid`, from `/proc`.
fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
