//! Statistics: the counters the data path feeds (`counters`) and the
//! runtime API's renderers over them (`show stat`, `show info`, `show
//! servers state`, `show backend`). The renderers read the runtime and
//! write text; they own no socket, and the CLI server adds the empty line
//! that ends each reply. `page` and `promex` serve the same rows over
//! HTTP (the stats page and the Prometheus exporter).

pub mod counters;
pub mod feed;
pub mod fields;
mod info;
pub mod page;
pub mod promex;
mod servers;
pub mod sess;
mod stat;

pub use counters::{now_ms, Ctr, FreqCtr, ProcessStats, ProxyCounters, ServerCounters, SwRate};
pub use info::{show_info, uptime, version, RELEASE_DATE};
pub use servers::{carried_fields, show_backend, show_carried_servers_state, show_servers_state};
pub use stat::{
    collect, render, server_status, show_stat, Kind, Row, StatFormat, StatProxy, StatRequest,
};

/// The running configuration the HTTP stats page and the exporter read.
/// The server publishes each runtime it starts; sessions only read it.
static CURRENT: std::sync::LazyLock<arc_swap::ArcSwapOption<crate::runtime::Runtime>> =
    std::sync::LazyLock::new(arc_swap::ArcSwapOption::empty);

/// Makes `rt` the runtime the stats page and the exporter show.
pub fn publish(rt: &std::sync::Arc<crate::runtime::Runtime>) {
    CURRENT.store(Some(rt.clone()));
}

/// The runtime last published, if any.
pub fn current() -> Option<std::sync::Arc<crate::runtime::Runtime>> {
    CURRENT.load_full()
}

/// The runtime API's view of these dumps (`show info`, `show stat`,
/// `show servers state`, `show backend`) over a running configuration.
pub struct RuntimeStats {
    pub runtime: std::sync::Arc<crate::runtime::Runtime>,
}

impl crate::api::StatsProvider for RuntimeStats {
    fn show_info(&self, typed: bool, json: bool) -> String {
        let mut out = String::new();
        show_info(&self.runtime, &mut out, typed, json);
        out
    }

    fn show_stat(&self, args: &[&str]) -> Result<String, String> {
        let req = StatRequest::parse(args)?;
        let mut out = String::new();
        show_stat(&self.runtime, &req, &mut out);
        Ok(out)
    }

    fn show_servers_state(&self, backend: Option<&str>) -> Result<String, String> {
        let mut out = String::new();
        show_servers_state(&self.runtime, backend, &mut out)?;
        Ok(out)
    }

    fn show_backend(&self) -> String {
        let mut out = String::new();
        show_backend(&self.runtime, &mut out);
        out
    }
}
