//! Stick-table contents handed from one process to the next: what a new
//! `-W` worker takes over from the worker it replaces, as 2.6 gives it
//! with a `peers` section naming the local peer (the old process teaches
//! the new one its entries on reload). An in-process reload needs none of
//! this: the new generation keeps the very tables (see the registry).
//!
//! The old worker answers `_carried_tables` with [`export`]; the new one
//! feeds the text to [`import`]. Tables carry by name when their
//! definition did not change (key type and size, size, expiry, stored
//! types), as in-process. Times travel as ages, since each process has its
//! own clock. `conn_cur` does not travel: the connections it counts stay
//! with the old worker (2.6 does not send it to the local peer either).

use super::data::EntryData;
use super::def::StickTableDef;
use super::key::StickKey;
use super::registry::{same_shape, TableRegistry};
use serde::{Deserialize, Serialize};

/// Version line of the text: a new worker ignores what it cannot read.
const VERSION: &str = "lbd-tables 1";

#[derive(Serialize, Deserialize)]
struct Carried {
    /// The sender's clock when it wrote this, for rate periods.
    now_ms: u64,
    tables: Vec<CarriedTable>,
}

#[derive(Serialize, Deserialize)]
struct CarriedTable {
    def: StickTableDef,
    entries: Vec<CarriedEntry>,
}

#[derive(Serialize, Deserialize)]
struct CarriedEntry {
    key: StickKey,
    data: EntryData,
    /// Milliseconds to expiry; None: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp_in: Option<u64>,
    /// Milliseconds since last touched (eviction order).
    #[serde(default)]
    age: u64,
}

/// Every non-empty table of `reg`, as the text a new worker imports.
pub fn export(reg: &TableRegistry, now_ms: u64) -> String {
    let tables = reg
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| CarriedTable {
            def: t.def().clone(),
            entries: t
                .carry_out(now_ms)
                .into_iter()
                .map(|(key, data, exp_in, age)| CarriedEntry {
                    key,
                    data,
                    exp_in,
                    age,
                })
                .collect(),
        })
        .collect();
    let body = serde_json::to_string(&Carried { now_ms, tables }).unwrap_or_default();
    format!("{VERSION}\n{body}\n")
}

/// What [`import`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub tables: usize,
    pub entries: usize,
}

/// Puts the entries of `text` (from [`export`] in another process) into
/// the tables of `reg` with the same name and definition. Text that is not
/// an export of this version imports nothing.
pub fn import(reg: &TableRegistry, text: &str, now_ms: u64) -> Imported {
    let mut done = Imported::default();
    let Some(body) = text.strip_prefix(VERSION).map(str::trim_start) else {
        return done;
    };
    let Ok(carried) = serde_json::from_str::<Carried>(body.trim_end()) else {
        return done;
    };
    for ct in carried.tables {
        let Some(table) = reg
            .get(&ct.def.name)
            .filter(|t| same_shape(t.def(), &ct.def))
        else {
            continue;
        };
        done.tables += 1;
        for e in ct.entries {
            let mut data = e.data;
            data.conn_cur = 0;
            data.rebase(carried.now_ms, now_ms);
            data.fit(table.def());
            if table.restore(e.key, data, e.exp_in, e.age, now_ms) {
                done.entries += 1;
            }
        }
    }
    done
}
