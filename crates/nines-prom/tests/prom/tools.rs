//! Finding and running `promtool` and `prometheus`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to `1` to make a missing tool a failure rather than a skipped test.
const REQUIRE: &str = "NINES_REQUIRE_PROMETHEUS";

/// `prometheus` and `promtool`, found on the PATH.
pub(crate) struct Tools {
    pub(crate) prometheus: PathBuf,
    pub(crate) promtool: PathBuf,
}

impl Tools {
    /// The tools, or none with a notice printed; when [`REQUIRE`] is `1` their absence fails
    /// the test.
    pub(crate) fn find() -> Option<Tools> {
        let found = which("prometheus").zip(which("promtool"));
        if found.is_none() {
            let reason = "prometheus and promtool are not on the PATH \
                          (apt-get install prometheus)";
            assert!(
                std::env::var(REQUIRE).as_deref() != Ok("1"),
                "{reason}, and {REQUIRE}=1 requires them"
            );
            eprintln!("skipped: {reason}; set {REQUIRE}=1 to make this a failure");
        }
        found.map(|(prometheus, promtool)| Tools {
            prometheus,
            promtool,
        })
    }

    /// Runs `promtool` with `args`, and fails the test with its output unless it succeeds.
    pub(crate) fn promtool(&self, args: &[&str], file: &Path) -> String {
        let output = Command::new(&self.promtool)
            .args(args)
            .arg(file)
            .output()
            .expect("promtool runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "promtool {} {} failed:\n{text}",
            args.join(" "),
            file.display()
        );
        text
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
