//! The I/O layer around the sans-IO core: raw sockets, GARP, address operations,
//! notify scripts, trackers and the daemon loop that ties them to the state machines.

pub mod addr;
pub mod daemon;
pub mod garp;
pub mod netcfg_ops;
pub mod notify;
mod rx;
pub mod socket;
pub mod track;
mod vips;

/// Log sink: stderr (the console with `-l`), keepalived-style lines.
#[derive(Debug, Clone)]
pub struct Logger {
    pub detailed: bool,
}

impl Logger {
    pub fn info(&self, msg: &str) {
        let ts = chrono::Local::now().format("%a %b %e %H:%M:%S%.3f %Y");
        eprintln!("{ts}: {msg}");
    }

    /// Only with `-D`.
    pub fn detail(&self, msg: &str) {
        if self.detailed {
            self.info(msg);
        }
    }
}
