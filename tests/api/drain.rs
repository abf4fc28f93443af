//! Graceful drain with real processes: two `storefront serve` instances on one database,
//! a client that sends reads and checkouts to whichever instances `/readyz` calls ready
//! (as a load balancer would), and one instance sent SIGTERM and started again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::instance::Instance;
use crate::common::{Kind, TestApp};

/// One HTTP/1.1 exchange on a new connection: the status and the body.
async fn exchange(addr: SocketAddr, head: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// The instances a load balancer would send to: those whose `/readyz` last said 200.
#[derive(Default)]
struct Balancer {
    instances: Mutex<Vec<(SocketAddr, Arc<AtomicBool>)>>,
    next: AtomicUsize,
}

impl Balancer {
    fn add(&self, addr: SocketAddr) {
        let ready = Arc::new(AtomicBool::new(false));
        self.instances.lock().unwrap().push((addr, ready));
    }

    fn remove(&self, addr: SocketAddr) {
        self.instances.lock().unwrap().retain(|(a, _)| *a != addr);
    }

    /// A ready instance, round robin.
    fn pick(&self) -> Option<SocketAddr> {
        let instances = self.instances.lock().unwrap();
        let ready: Vec<_> =
            instances.iter().filter(|(_, up)| up.load(Ordering::SeqCst)).map(|(a, _)| *a).collect();
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        (!ready.is_empty()).then(|| ready[n % ready.len()])
    }

    /// Checks every instance's `/readyz` every 50 ms, as a load balancer's probe does.
    async fn probe(self: Arc<Self>, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::SeqCst) {
            let instances = self.instances.lock().unwrap().clone();
            for (addr, up) in instances {
                let ready = exchange(addr, "GET /readyz HTTP/1.1", "").await;
                up.store(matches!(ready, Ok((200, _))), Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the client saw.
#[derive(Default)]
struct Tally {
    requests: AtomicUsize,
    orders: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

/// Sends one GraphQL operation through the balancer; its `data`, or a recorded failure.
async fn send(
    balancer: &Balancer, tally: &Tally, token: &str, query: &str, variables: Value,
) -> Option<Value> {
    let Some(addr) = balancer.pick() else {
        tokio::time::sleep(Duration::from_millis(20)).await;
        return None;
    };
    tally.requests.fetch_add(1, Ordering::SeqCst);
    let head = format!(
        "POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}"
    );
    let body = json!({ "query": query, "variables": variables }).to_string();
    let outcome = exchange(addr, &head, &body).await;
    let parsed = outcome
        .as_ref()
        .ok()
        .filter(|(status, _)| *status == 200)
        .and_then(|(_, body)| serde_json::from_str::<Value>(body).ok())
        .filter(|doc| doc.get("errors").is_none());
    if parsed.is_none() {
        tally.failures.lock().unwrap().push(format!("{addr}: {outcome:?}"));
    }
    parsed.map(|doc| doc["data"].clone())
}

/// Reads, and a checkout every third round, until `stop`.
async fn shop(
    balancer: Arc<Balancer>, tally: Arc<Tally>, token: String, product: i64, stop: Arc<AtomicBool>,
) {
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        send(&balancer, &tally, &token, "{ products(first: 5) { nodes { id title } } }", json!({}))
            .await;
        if round % 3 != 0 {
            continue;
        }
        let Some(cart) =
            send(&balancer, &tally, &token, "mutation { createCart { id } }", json!({})).await
        else {
            continue;
        };
        let cart = cart["createCart"]["id"].clone();
        let add = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p, quantity: 1) { id } }";
        if send(&balancer, &tally, &token, add, json!({ "c": cart, "p": product })).await.is_none()
        {
            continue;
        }
        let order = "mutation($c: UUID!) { createOrder(cartId: $c) { id } }";
        if send(&balancer, &tally, &token, order, json!({ "c": cart })).await.is_some() {
            tally.orders.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_drains_and_restarts_under_load_without_a_failed_request() {
    let app = TestApp::new().await;
    let product = app.catalogue(&[("Kettle", "20.00", 100_000)]).await[0];
    let (_, token) = app.user("shopper", Kind::Customer).await;
    let (first, second) = tokio::join!(Instance::start(&app), Instance::start(&app));
    let balancer = Arc::new(Balancer::default());
    balancer.add(first.addr);
    balancer.add(second.addr);
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn(balancer.clone().probe(stop.clone()));
    let client = tokio::spawn(shop(balancer.clone(), tally.clone(), token, product, stop.clone()));

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let drained = first.addr;
    let status = first.terminate().await;
    assert!(status.success(), "the drained instance exited with {status}");
    balancer.remove(drained);
    let restarted = Instance::start(&app).await;
    balancer.add(restarted.addr);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    stop.store(true, Ordering::SeqCst);
    client.await.unwrap();
    prober.await.unwrap();

    let failures = tally.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "failed requests: {failures:#?}");
    let orders = tally.orders.load(Ordering::SeqCst);
    assert!(orders > 0 && tally.requests.load(Ordering::SeqCst) > 20);
    let placed = app.count_sql("SELECT count(*) AS n FROM orders").await;
    assert_eq!(placed, i64::try_from(orders).unwrap(), "every order placed once");
    let _ = (second.terminate().await, restarted.terminate().await);
}
