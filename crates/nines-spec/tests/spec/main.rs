//! Loading and validating specs: `nines/v1`, and OpenSLO and Sloth imported and exported.

mod decode;
mod import;
mod sources;
mod validation;

use nines_spec::{Loaded, load_str};

/// Loads `text` as `slos.yaml` and renders every diagnostic, one per line.
fn diagnostics(text: &str) -> String {
    let loaded = load_str("slos.yaml", text);
    rendered(&loaded)
}

fn rendered(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .map(|d| format!("{d}\n"))
        .collect()
}
