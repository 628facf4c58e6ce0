//! The `nines` binary, run as a user would: exit codes, stdout and stderr.

mod convert;
mod errors;
mod prometheus;
mod readers;
mod report;
mod telemetry;
mod validate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root, where the README's commands run.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs nines with `args` from the workspace root, with `stdin` as standard input.
fn nines_with_input(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nines"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nines runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn nines(args: &[&str]) -> Output {
    nines_with_input(args, b"")
}

/// What a run of nines gave.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    /// The whole output, for snapshots.
    fn transcript(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).expect("stdout is JSON")
    }
}

/// Writes `text` to a file in a fresh temporary directory.
fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path.to_string_lossy().into_owned())
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}
