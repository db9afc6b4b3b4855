//! Throw-away PostgreSQL servers for the bureau's tests: a cluster made with `initdb` in a
//! temporary folder and started with `pg_ctl` on a free loopback port, as the `postgres` user when
//! the tests run as root (the server refuses to run as root). A standby is made from a running
//! primary with `pg_basebackup -R`, streaming from it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    dir: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
}

/// The newest installed PostgreSQL's programs (Debian keeps them under /usr/lib/postgresql/N/bin).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .expect("PostgreSQL is not installed: scripts/install-deps.sh installs it (Debian's postgresql package)")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Postgres {
    /// Runs one of PostgreSQL's programs (as `postgres` when we are root) and checks it succeeded.
    fn run(&self, program: &str, args: &[&str]) {
        run_as_postgres(&self.bin.join(program), args);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A new cluster, started, with a database `bureau`. For tests: it does not wait for the disk
    /// (a crash of the machine would lose it; a crash of the server does not).
    pub fn start() -> Postgres {
        Postgres::start_with(
            "fsync = off\nfull_page_writes = off\nwal_keep_size = 256MB\nshared_buffers = 64MB\n",
        )
    }

    /// A new cluster with PostgreSQL's default durability, for measuring.
    #[allow(dead_code)] // the bureau benchmark's
    pub fn start_durable() -> Postgres {
        Postgres::start_with("wal_keep_size = 1GB\n")
    }

    /// A new cluster serving TLS with this certificate and key (PEM) besides plain connections.
    pub fn start_with_tls(cert: &str, key: &str) -> Postgres {
        Postgres::start_with_files(
            "fsync = off\nssl = on\n",
            &[("server.crt", cert), ("server.key", key)],
        )
    }

    fn start_with(settings: &str) -> Postgres {
        Postgres::start_with_files(settings, &[])
    }

    /// A cluster with `files` written into its data folder before it starts (the server's own,
    /// readable only by it: PostgreSQL refuses a key others can read).
    fn start_with_files(settings: &str, files: &[(&str, &str)]) -> Postgres {
        let pg = Postgres::empty();
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        std::fs::write(data.join("postgresql.auto.conf"), settings).unwrap();
        for (name, text) in files {
            let path = data.join(name);
            std::fs::write(&path, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            if is_root() {
                let status = Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&path)
                    .status()
                    .unwrap();
                assert!(status.success(), "chown of {name}");
            }
        }
        pg.start_server();
        pg.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "postgres",
                "bureau",
            ],
        );
        pg
    }

    fn empty() -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster's folder");
        }
        Postgres {
            dir,
            port: free_port(),
            bin: bin_dir(),
        }
    }

    pub fn start_server(&self) {
        let socket = self.dir.path().to_str().unwrap().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                self.dir.path().join("log").to_str().unwrap(),
                "-w",
                "-o",
                &format!("-p {} -c listen_addresses=127.0.0.1 -k {socket}", self.port),
                "start",
            ],
        );
    }

    /// Stops the server at once (as a crash or a power cut would), then starts it again.
    pub fn restart_immediately(&self) {
        self.stop_immediately();
        self.start_server();
    }

    pub fn stop_immediately(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// The connection string of the `bureau` database.
    pub fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=bureau connect_timeout=5",
            self.port
        )
    }

    /// A streaming standby of this server, started.
    pub fn standby(&self) -> Postgres {
        let standby = Postgres::empty();
        let data = standby.data();
        standby.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-D",
                data.to_str().unwrap(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        standby.start_server();
        standby
    }

    /// Runs SQL with psql on the `bureau` database; its output, rows unaligned.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "bureau",
                "-At",
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

fn run_as_postgres(program: &Path, args: &[&str]) {
    let out = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args)
            .output()
            .unwrap()
    } else {
        Command::new(program).args(args).output().unwrap()
    };
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args([
                    "-D",
                    self.data().to_str().unwrap(),
                    "-m",
                    "immediate",
                    "stop",
                ])
                .output()
        } else {
            Command::new(self.bin.join("pg_ctl"))
                .args([
                    "-D",
                    self.data().to_str().unwrap(),
                    "-m",
                    "immediate",
                    "stop",
                ])
                .output()
        };
    }
}
