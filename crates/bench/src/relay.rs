//! A TCP relay on 127.0.0.1 in front of the station that counts the bytes it carries each way:
//! what a sync costs on the wire — TLS records, HTTP headers and bodies — as an officer's link
//! would carry it. TLS passes through untouched, so the laptop still pins the station's
//! certificate.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Relay {
    /// Where a laptop reaches the station through the relay (`https://127.0.0.1:port`).
    pub url: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Relay {
    /// A relay to the station at `upstream` (`https://host:port`), serving until the process ends.
    pub fn start(upstream: &str) -> std::io::Result<Relay> {
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
                    std::thread::spawn(move || carry(from, to, &count));
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
