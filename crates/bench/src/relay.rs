//! A TCP relay on 127.0.0.1 in front of the station that counts the bytes it carries each way:
//! what a sync costs on the wire — TLS records, HTTP headers and bodies — as an officer's link
//! would carry it. TLS passes through untouched, so the laptop still pins the station's
//! certificate. Shaped, it also carries them as a slower link would: each way at a rate, and each
//! byte arriving a delay after it was sent (loopback has neither, so what a sync's design does
//! about a real link does not show there).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a link does to the bytes besides carrying them, each way: a rate they cannot pass and a
/// delay before they arrive.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub bytes_per_second: f64,
    pub one_way: Duration,
}

impl Shape {
    /// A station's Wi-Fi as an officer at the counter finds it: 50 Mbit/s each way, 10 ms there
    /// and back.
    pub const WIFI: Shape = Shape {
        bytes_per_second: 50e6 / 8.0,
        one_way: Duration::from_millis(5),
    };
}

pub struct Relay {
    /// Where a laptop reaches the station through the relay (`https://127.0.0.1:port`).
    pub url: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Relay {
    /// A relay to the station at `upstream` (`https://host:port`), serving until the process ends.
    pub fn start(upstream: &str) -> std::io::Result<Relay> {
        Relay::start_shaped(upstream, None)
    }

    /// A relay that carries the bytes as `shape` says (as loopback does, without one).
    pub fn start_shaped(upstream: &str, shape: Option<Shape>) -> std::io::Result<Relay> {
        let upstream = upstream.trim_start_matches("https://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("https://{}", listener.local_addr()?);
        let (up, down): (Arc<AtomicU64>, Arc<AtomicU64>) = Default::default();
        let (u, d) = (up.clone(), down.clone());
        std::thread::spawn(move || {
            for laptop in listener.incoming().flatten() {
                let Ok(station) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = laptop.set_nodelay(true);
                let _ = station.set_nodelay(true);
                for (from, to, count) in [
                    (laptop.try_clone(), station.try_clone(), u.clone()),
                    (station.try_clone(), laptop.try_clone(), d.clone()),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else {
                        continue;
                    };
                    std::thread::spawn(move || match shape {
                        Some(shape) => carry_shaped(from, to, &count, shape),
                        None => carry(from, to, &count),
                    });
                }
            }
        });
        Ok(Relay { url, up, down })
    }

    /// Bytes carried so far: (laptop to station, station to laptop).
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        )
    }
}

/// Copies one direction of a connection until it ends, then passes the end on.
fn carry(mut from: TcpStream, mut to: TcpStream, count: &AtomicU64) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Copies one direction as `shape` says: a chunk read goes on the link once the chunks before it
/// have passed at its rate, and arrives its delay after that (a thread delivers them in order).
fn carry_shaped(mut from: TcpStream, mut to: TcpStream, count: &AtomicU64, shape: Shape) {
    let (link, arriving) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    let deliver = std::thread::spawn(move || {
        for (due, chunk) in arriving {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                return;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
    let mut buf = vec![0u8; 16 * 1024];
    // When the link is free again after the chunks already on it.
    let mut free = Instant::now();
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
        let passed =
            free.max(Instant::now()) + Duration::from_secs_f64(n as f64 / shape.bytes_per_second);
        free = passed;
        if link
            .send((passed + shape.one_way, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    drop(link);
    let _ = deliver.join();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped, the relay carries every byte in order, counted, at no more than its rate and no
    /// sooner than its delay.
    #[test]
    fn a_shaped_relay_carries_everything_at_its_rate_after_its_delay() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = format!("https://{}", server.local_addr().unwrap());
        let station = std::thread::spawn(move || {
            let (mut conn, _) = server.accept().unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            got
        });
        let shape = Shape {
            bytes_per_second: 1e6,
            one_way: Duration::from_millis(50),
        };
        let relay = Relay::start_shaped(&upstream, Some(shape)).unwrap();
        let mut laptop = TcpStream::connect(relay.url.trim_start_matches("https://")).unwrap();
        let sent: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let t = Instant::now();
        laptop.write_all(&sent).unwrap();
        laptop.shutdown(Shutdown::Write).unwrap();
        let got = station.join().unwrap();
        let took = t.elapsed();
        assert_eq!(got, sent);
        assert_eq!(relay.bytes().0, sent.len() as u64);
        // 200,000 bytes at 1 MB/s, then 50 ms on the way.
        assert!(took >= Duration::from_millis(250), "{took:?}");
    }
}
