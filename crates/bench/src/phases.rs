//! Where each figure's work lies in time, for a profile taken over a whole run: with `--phases
//! FILE`, every measured stretch appends a line to FILE — its label, and its start and end as
//! seconds since the Unix epoch, the clock `perf record -k CLOCK_REALTIME` stamps its samples with.
//! `scripts/flamegraphs.sh` cuts the profile by these lines into a flame graph per figure.
//!
//! With `--perf-control CTL,ACK` (the FIFOs of `perf record --control fifo:CTL,ACK -D -1`), perf
//! also samples only inside the stretches: a run whose figures take seconds among minutes of
//! filling stores then leaves a profile of those seconds.
//!
//! Both are process-wide (set once at start) so that the measuring code only marks its stretches,
//! without a handle passed down every call.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

static FILE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();
static PERF: OnceLock<Mutex<PerfControl>> = OnceLock::new();

/// perf's control FIFO, and the one it acknowledges each command on.
struct PerfControl {
    ctl: std::fs::File,
    ack: std::io::BufReader<std::fs::File>,
}

impl PerfControl {
    /// Sends `command` ("enable", "disable") and waits until perf has taken it.
    fn send(&mut self, command: &str) -> std::io::Result<()> {
        self.ctl.write_all(format!("{command}\n").as_bytes())?;
        self.ctl.flush()?;
        let mut answer = String::new();
        self.ack.read_line(&mut answer)?;
        Ok(())
    }
}

/// Samples only inside the marked stretches: `ctl` and `ack` are the FIFOs given to `perf record
/// --control`, which starts with sampling off (`-D -1`).
pub fn control_perf(ctl: &Path, ack: &Path) -> anyhow::Result<()> {
    let ctl = std::fs::OpenOptions::new().write(true).open(ctl)?;
    let ack = std::io::BufReader::new(std::fs::File::open(ack)?);
    PERF.set(Mutex::new(PerfControl { ctl, ack }))
        .map_err(|_| anyhow::anyhow!("perf's control is set once"))
}

/// Tells perf to sample or stop, if it is controlled from here.
fn perf(command: &str) {
    if let Some(perf) = PERF.get()
        && let Ok(mut perf) = perf.lock()
        && let Err(e) = perf.send(command)
    {
        eprintln!("perf's control ({command}): {e}");
    }
}

/// Writes the stretches of this run to `path` (appended to what is there).
pub fn record_to(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    FILE.set(Mutex::new(file))
        .map_err(|_| anyhow::anyhow!("the phases' file is set once"))
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// A stretch being measured; written when it is dropped.
pub struct Phase {
    label: &'static str,
    start: f64,
}

/// Marks the stretch from now until the returned value is dropped as `label`'s. Stretches do not
/// nest: the end of an inner one would switch perf's sampling off for the rest of the outer.
pub fn mark(label: &'static str) -> Phase {
    perf("enable");
    Phase {
        label,
        start: now(),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        perf("disable");
        let Some(file) = FILE.get() else { return };
        let line = format!("{}\t{:.6}\t{:.6}\n", self.label, self.start, now());
        // A profile's cut is a convenience: a failed write loses a line, never the benchmark.
        if let Ok(mut file) = file.lock() {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    /// The two tests share the process-wide file and control: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_stretch_is_written_with_its_label_and_times_in_order() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phases.tsv");
        super::record_to(&path).unwrap();
        {
            let _p = super::mark("whole-sync");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("whole-sync\t"))
            .unwrap();
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[0], "whole-sync");
        let (start, end): (f64, f64) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        assert!(end - start >= 0.02, "{start} .. {end}");
        // Seconds since the epoch, as perf's CLOCK_REALTIME stamps are (after 2020).
        assert!(start > 1.6e9, "{start}");
    }

    /// perf's side of `--control`, played by a thread: every command is acknowledged, and a stretch
    /// switches sampling on at its start and off at its end.
    #[test]
    fn perf_samples_only_inside_a_stretch() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let (ctl, ack) = (dir.path().join("ctl"), dir.path().join("ack"));
        for fifo in [&ctl, &ack] {
            let made = std::process::Command::new("mkfifo")
                .arg(fifo)
                .status()
                .unwrap();
            assert!(made.success());
        }
        // What the fake perf is told, as it is told it (a missing command fails the wait below
        // instead of hanging the test).
        let (told, heard) = std::sync::mpsc::channel();
        {
            let (ctl, ack) = (ctl.clone(), ack.clone());
            std::thread::spawn(move || {
                use std::io::{BufRead, Write};
                let commands = std::io::BufReader::new(std::fs::File::open(ctl).unwrap());
                let mut acks = std::fs::OpenOptions::new().write(true).open(ack).unwrap();
                for command in commands.lines() {
                    acks.write_all(b"ack\n").unwrap();
                    if told.send(command.unwrap()).is_err() {
                        return;
                    }
                }
            });
        }
        super::control_perf(&ctl, &ack).unwrap();
        let phase = super::mark("first-download");
        let wait = std::time::Duration::from_secs(10);
        assert_eq!(heard.recv_timeout(wait).unwrap(), "enable");
        drop(phase);
        assert_eq!(heard.recv_timeout(wait).unwrap(), "disable");
    }
}
