//! What machine the figures were measured on, and the process's peak memory.

fn first_line_with(path: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))
        .map(str::to_string)
}

/// CPU model, cores, memory and kernel, in one line.
pub fn describe() -> String {
    let cpu = first_line_with("/proc/cpuinfo", "model name")
        .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_gb = first_line_with("/proc/meminfo", "MemTotal")
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem_gb:.0} GiB RAM, Linux {}",
        kernel.trim()
    )
}

/// Peak resident memory of this process so far (VmHWM), in MB.
pub fn peak_rss_mb() -> u64 {
    status_kb("self", "VmHWM:") / 1024
}

/// A `/proc/<pid>/status` field in kB (0 if unreadable).
pub fn status_kb(pid: &str, key: &str) -> u64 {
    first_line_with(&format!("/proc/{pid}/status"), key)
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The pids of `pid`'s children and their children.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut all = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let after = stat.rsplit_once(')')?.1;
            let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for (child, _) in parents.iter().filter(|(_, pp)| *pp == parent) {
            all.push(*child);
            frontier.push(*child);
        }
    }
    all
}

/// Processor time a process and all its threads used so far (user and system), in seconds: from
/// `/proc/<pid>/stat`, counted in the kernel's user-visible ticks (100 a second on Linux).
pub fn cpu_seconds(pid: u32) -> f64 {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = after.split_whitespace().collect();
            // After the name: state is field 3 of the whole line, utime 14 and stime 15.
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        })
        .unwrap_or(0);
    ticks as f64 / 100.0
}

/// Proportional set size of a process in kB (its private pages plus its share of shared ones).
pub fn pss_kb(pid: u32) -> u64 {
    first_line_with(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
