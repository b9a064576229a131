//! Running the real `bitsy` binary from a test, and temp folders.
//!
//! A [`Bitsy`] is a child process that is always stopped by PID: SIGINT
//! when the test asks (or when the guard drops, e.g. on a failed
//! assertion), then SIGKILL if it has not exited within a few seconds.
//! Every wait is bounded by [`LIMIT`] (times the slow factor, see
//! [`super::slow`]).
//!
//! Every test that starts bitsy does so through [`command`], the one place
//! that knows where the binary is and how to start it: when the tests are
//! cross-compiled, `BITSY_RUNNER` names the emulator (e.g. `qemu-aarch64`)
//! that must run it, since a foreign binary cannot be exec'd here. The
//! emulator is the child process: its PID is the one signalled, and
//! qemu-user passes SIGINT on to the program and dies with SIGKILL.
//!
//! Tests stay on loopback: [`Bitsy::start`] adds `--no-dht` to a
//! `download` or `seed` that names no DHT option itself (bitsy's DHT
//! would otherwise ask the public routers), and [`command`] points
//! `XDG_STATE_HOME` at a folder of the test run's own, so no test reads
//! or writes the user's saved DHT table.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::slow::scaled;

/// The longest any one bitsy run in the tests may take, natively.
pub const LIMIT: Duration = Duration::from_secs(60);

/// How long a bitsy that was sent SIGINT on drop has to exit before it
/// is killed (natively): it announces `stopped`, which may wait on a
/// tracker's timeout.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The binary under test, built by cargo for the same target as the tests.
const BINARY: &str = env!("CARGO_BIN_EXE_bitsy");

/// A command that starts the bitsy under test: `$BITSY_RUNNER BINARY`
/// when the variable is set (split on whitespace, so the runner may take
/// arguments), else `BINARY` itself. Arguments are the caller's.
pub fn command() -> Command {
    let runner = std::env::var("BITSY_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(emulator) => {
            let mut c = Command::new(emulator);
            c.args(words).arg(BINARY);
            c
        }
        None => Command::new(BINARY),
    }
}

/// A command as [`command`], with the DHT's state kept in a folder of
/// this test process.
pub fn command_with_state() -> Command {
    let mut c = command();
    let state = std::env::temp_dir().join(format!("bitsy-test-state-{}", std::process::id()));
    c.env("XDG_STATE_HOME", state);
    c
}

/// `args`, with `--no-dht` added to a `download` or `seed` that names no
/// DHT option (see the module docs).
fn loopback_only<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    let transfer = matches!(args.first(), Some(&"download" | &"seed"));
    let dht_named = args
        .iter()
        .any(|a| a.starts_with("--dht") || *a == "--no-dht");
    if transfer && !dht_named {
        all.push("--no-dht");
    }
    all
}

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "bitsy-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running bitsy process.
pub struct Bitsy(Option<Child>);

impl Bitsy {
    pub fn start(args: &[&str]) -> Bitsy {
        Bitsy::start_with_env(args, &[])
    }

    /// [`Bitsy::start`] with these environment variables set too.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Bitsy {
        let child = command_with_state()
            .envs(env.iter().copied())
            .args(loopback_only(args))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bitsy");
        Bitsy(Some(child))
    }

    /// Starts bitsy with its stderr appended to `log`, a file the test
    /// can read while it runs (stdout is piped as usual).
    pub fn start_logged(args: &[&str], log: &Path) -> Bitsy {
        let file = std::fs::File::create(log).expect("create the stderr log");
        let child = command_with_state()
            .args(loopback_only(args))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .expect("start bitsy");
        Bitsy(Some(child))
    }

    /// Sends SIGUSR1: bitsy says why its download is stuck.
    pub fn ask_why(&self) {
        if let Some(c) = &self.0 {
            signal(c.id(), "-USR1");
        }
    }

    /// Runs to the end (killed, and the test failed, after `LIMIT`).
    pub fn run(args: &[&str]) -> Output {
        Bitsy::start(args).finish()
    }

    /// Starts `bitsy download TORRENT -o OUT --port 0 EXTRA...`.
    pub fn start_download(torrent: &Path, out: &Path, extra: &[&str]) -> Bitsy {
        let mut args = vec![
            "download",
            torrent.to_str().expect("a UTF-8 temp path"),
            "-o",
            out.to_str().expect("a UTF-8 temp path"),
            "--port",
            "0",
        ];
        args.extend_from_slice(extra);
        Bitsy::start(&args)
    }

    /// `bitsy download TORRENT -o OUT --port 0 -v EXTRA...`, run to the
    /// end: the form most download tests use.
    pub fn download(torrent: &Path, out: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["-v"];
        args.extend_from_slice(extra);
        Bitsy::start_download(torrent, out, &args).finish()
    }

    pub fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Sends SIGKILL (no chance to clean up), then waits for the end.
    pub fn kill_9(mut self) -> Output {
        let child = self.0.take().expect("running");
        signal(child.id(), "-KILL");
        wait(child)
    }

    /// Sends SIGINT (Ctrl-C), then waits for the end.
    pub fn interrupt(mut self) -> Output {
        let child = self.0.take().expect("running");
        sigint(child.id());
        wait(child)
    }

    /// Sends SIGTERM (what `kill` and service managers send), then waits
    /// for the end.
    pub fn terminate(mut self) -> Output {
        let child = self.0.take().expect("running");
        signal(child.id(), "-TERM");
        wait(child)
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.0
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Waits for it to end by itself.
    pub fn finish(mut self) -> Output {
        wait(self.0.take().expect("running"))
    }
}

impl Drop for Bitsy {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            sigint(c.id());
            let deadline = Instant::now() + scaled(STOP_GRACE);
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn sigint(pid: u32) {
    signal(pid, "-INT");
}

fn signal(pid: u32, which: &str) {
    let _ = Command::new("kill")
        .args([which, &pid.to_string()])
        .status();
}

/// Waits for `child` to end, killed (and the test failed) after `LIMIT`.
pub fn wait(mut child: Child) -> Output {
    let limit = scaled(LIMIT);
    let deadline = Instant::now() + limit;
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "bitsy did not finish in {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts that a run of bitsy succeeded, showing its stderr if not.
pub fn ok(run: &std::process::Output) {
    assert!(
        run.status.success(),
        "exit {:?}; stderr:\n{}",
        run.status,
        text(&run.stderr)
    );
}
