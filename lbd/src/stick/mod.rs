//! Stick tables (spec 4.6): keyed entries of counters and rates, shared by
//! every session of a runtime, that rules track (`track-scN`), fetches read
//! (`sc*_*`, `src_*`, `table_*`), `stick` rules use for persistence, and the
//! CLI shows and edits (`show|set|clear table`).
//!
//! Sans-IO: every operation takes `now_ms` (see [`clock::now_ms`] for the
//! runtime's clock) and nothing here spawns or sleeps; a periodic task
//! should call [`TableRegistry::purge_expired`].
//!
//! The shape:
//! * [`StickTableDef`] — the parsed `stick-table` line (in the config model);
//!   [`StickRule`] — a parsed `stick` rule.
//! * [`TableRegistry`] — a runtime's tables by name (`Runtime::tables`).
//! * [`StickTable`] — `track(key, now) -> Option<EntryRef>` creates,
//!   `lookup` finds, `get`/`set`/`remove`/`clear_where`/`snapshot` serve
//!   fetches and the CLI; full tables evict their least recently touched
//!   unreferenced entries.
//! * [`EntryRef`] — a session's reference: `on_conn`, `on_sess`,
//!   `on_http_req`, `on_http_err`, `on_bytes_in/out`, `inc_gpc0`,
//!   `set_gpt0`, `set_server`, `get(DataType, now)`. Dropping it (or
//!   `release(now)`) undoes `on_conn`'s conn_cur and frees the entry for
//!   eviction.
//! * [`StickKey`] — a key in table form; [`StickKey::from_input`] applies
//!   2.6's sample casts.

pub mod carry;
pub mod clock;
mod data;
mod def;
pub mod dump;
mod freq;
mod key;
mod registry;
pub mod sample;
mod table;

pub use data::EntryData;
pub use def::{
    DataType, KeyType, SrvKey, StdType, StickRule, StickRuleKind, StickTableDef, StoreSpec,
};
pub use freq::FreqCtr;
pub use key::{KeyInput, StickKey};
pub use registry::TableRegistry;
pub use table::{EntryRef, EntrySnapshot, RemoveError, StickTable};

#[cfg(test)]
mod tests;
