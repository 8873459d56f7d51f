//! Statistics: the counters the data path feeds (`counters`) and the
//! runtime API's renderers over them (`show stat`, `show info`, `show
//! servers state`, `show backend`). The renderers read the runtime and
//! write text; they own no socket, and the CLI server adds the empty line
//! that ends each reply.

pub mod counters;
pub mod feed;
pub mod fields;
mod info;
mod servers;
mod stat;

pub use counters::{now_ms, Ctr, FreqCtr, ProcessStats, ProxyCounters, ServerCounters, SwRate};
pub use info::{show_info, uptime, version, RELEASE_DATE};
pub use servers::{show_backend, show_servers_state};
pub use stat::{
    collect, render, server_status, show_stat, Kind, Row, StatFormat, StatProxy, StatRequest,
};
