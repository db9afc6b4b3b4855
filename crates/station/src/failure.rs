//! How the station's and the bureau's commands tell an operator that they failed: one line with
//! what was being done and why, never a backtrace (which `RUST_BACKTRACE`, often set on servers,
//! adds to an error returned from `main`).

/// The error and its causes as one line, each cause once: an error whose message already includes
/// its source's (thiserror's `#[error("database: {0}")]` over `#[from]`) would otherwise print that
/// source twice.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// What a command's `main` returns: success, or its name and the failure on one line on standard
/// error and exit status 1.
pub fn exit_code(program: &str, result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[derive(Debug, thiserror::Error)]
    #[error("database: {0}")]
    struct Wrapping(#[from] std::io::Error);

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = Err::<(), _>(Wrapping::from(io))
            .context("opening /srv/doorstep")
            .unwrap_err();
        assert_eq!(
            one_line(&error),
            "opening /srv/doorstep: database: no such file"
        );
        assert_eq!(
            format!("{error:#}"),
            "opening /srv/doorstep: database: no such file: no such file",
            "what the plain chain would have said"
        );
    }
}
