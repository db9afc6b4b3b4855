//! A TCP proxy between a laptop and the station that breaks connections on purpose: each
//! connection it accepts takes the next fault of its plan (or none). TLS passes through it
//! untouched, so the laptop still talks to the real station with its pinned certificate.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    None,
    /// Closed at once, before a byte goes through.
    Refuse,
    /// The request is cut after this many bytes (the station sees half a request).
    CutRequest(usize),
    /// The response is cut after this many bytes (the station did the work; the laptop never
    /// hears of it).
    CutResponse(usize),
    /// Every chunk waits this long: a slow link.
    Slow(Duration),
    /// Bytes go through at most this fast each way (bytes per second): a link of a known speed.
    Rate(u64),
}

pub struct Proxy {
    pub url: String,
    plan: Arc<Mutex<VecDeque<Fault>>>,
    /// Faults that were injected (connections that got one other than `None`).
    pub injected: Arc<AtomicU64>,
    /// Bytes relayed from the laptop to the station (TLS records included): what an upload cost.
    pub sent_up: Arc<AtomicU64>,
    /// Bytes relayed from the station to the laptop: what a download cost on the wire.
    pub sent_down: Arc<AtomicU64>,
    /// The connections open now (their laptop side), for [`Proxy::cut_all`].
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// A proxy on 127.0.0.1 in front of the station at `upstream` (`https://host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let upstream = upstream.trim_start_matches("https://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let plan: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let injected: Arc<AtomicU64> = Arc::default();
        let sent_up: Arc<AtomicU64> = Arc::default();
        let sent_down: Arc<AtomicU64> = Arc::default();
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (p, n, up, down, o) = (
            plan.clone(),
            injected.clone(),
            sent_up.clone(),
            sent_down.clone(),
            open.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let fault = p.lock().unwrap().pop_front().unwrap_or(Fault::None);
                if !matches!(fault, Fault::None | Fault::Rate(_)) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(handle) = client.try_clone() {
                    let mut open = o.lock().unwrap();
                    open.retain(|c| c.peer_addr().is_ok());
                    open.push(handle);
                }
                let upstream = upstream.clone();
                let counters = (up.clone(), down.clone());
                std::thread::spawn(move || relay(client, &upstream, fault, counters));
            }
        });
        Proxy {
            url,
            plan,
            injected,
            sent_up,
            sent_down,
            open,
        }
    }

    /// Cuts every connection open now, wherever it is in its request or response (the link
    /// dropping); returns how many there were.
    pub fn cut_all(&self) -> usize {
        let mut open = self.open.lock().unwrap();
        open.drain(..)
            .filter(|c| c.shutdown(Shutdown::Both).is_ok())
            .count()
    }

    /// The faults of the next connections, in order.
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        let mut plan = self.plan.lock().unwrap();
        plan.clear();
        plan.extend(faults);
    }
}

/// `counters`: the bytes sent up and down, added to as they go.
fn relay(
    client: TcpStream,
    upstream: &str,
    fault: Fault,
    (sent_up, sent_down): (Arc<AtomicU64>, Arc<AtomicU64>),
) {
    if fault == Fault::Refuse {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (request_limit, response_limit, delay, rate) = match fault {
        Fault::CutRequest(n) => (Some(n), None, None, None),
        Fault::CutResponse(n) => (None, Some(n), None, None),
        Fault::Slow(d) => (None, None, Some(d), None),
        Fault::Rate(r) => (None, None, None, Some(r)),
        _ => (None, None, None, None),
    };
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = std::thread::spawn(move || pump(c2, s2, request_limit, delay, rate, &sent_up));
    pump(server, client, response_limit, delay, rate, &sent_down);
    let _ = up.join();
}

/// Copies `from` to `to` until either closes, or `limit` bytes have gone; then closes both.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    limit: Option<usize>,
    delay: Option<Duration>,
    rate: Option<u64>,
    counter: &AtomicU64,
) {
    let mut buf = [0u8; 8192];
    let mut sent = 0usize;
    let started = std::time::Instant::now();
    loop {
        // At a rate: wait until the bytes sent so far are due.
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        let n = match limit {
            Some(limit) => n.min(limit.saturating_sub(sent)),
            None => n,
        };
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
        counter.fetch_add(n as u64, Ordering::Relaxed);
        if limit.is_some_and(|l| sent >= l) {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
