//! Writing one section of BENCHMARKS.md: each benchmark command replaces its own sections where
//! they stand and leaves the others (and their order) as they are.

/// Puts `section` (which starts with its `## ` heading) in place of the section of that heading
/// in `out`, or at the end.
pub fn replace_section(out: &std::path::Path, section: &str) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(out).unwrap_or_default();
    let heading = section.lines().next().unwrap_or_default();
    let new = match old.find(heading) {
        Some(at) => {
            let rest = &old[at + heading.len()..];
            let end = rest
                .find("\n## ")
                .map(|e| at + heading.len() + e + 1)
                .unwrap_or(old.len());
            format!("{}{}\n\n{}", &old[..at], section.trim_end(), &old[end..])
        }
        None => format!("{}\n\n{}", old.trim_end(), section),
    };
    std::fs::write(out, new.trim_end().to_string() + "\n")?;
    Ok(())
}
