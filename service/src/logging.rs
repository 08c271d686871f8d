//! The service's log: structured events (tracing) on stderr, as text or JSON lines. The level
//! comes from `SLUICE_LOG` (`info` by default; e.g. `SLUICE_LOG=debug`). Request lines carry
//! the method, path and status, never a header (tokens stay out of the log).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber (once; later calls do nothing).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = if json { builder.json().try_init() } else { builder.with_ansi(false).try_init() };
}
