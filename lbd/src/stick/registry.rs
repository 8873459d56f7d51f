//! The tables of one runtime generation, by name. Built from the config
//! model; a reload builds a new registry that takes over the tables of the
//! old one whose definition did not change, so counters survive it.

use super::def::{DataType, StickTableDef, StoreSpec};
use super::table::StickTable;
use crate::config::model::Config;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct TableRegistry {
    /// In 2.6's `show table` order: the reverse of declaration order.
    order: Vec<Arc<StickTable>>,
    by_name: HashMap<String, Arc<StickTable>>,
}

pub(super) fn same_shape(a: &StickTableDef, b: &StickTableDef) -> bool {
    a.key_type == b.key_type
        && a.key_size == b.key_size
        && a.size == b.size
        && a.expire_ms == b.expire_ms
        && a.nopurge == b.nopurge
        && a.srvkey == b.srvkey
        && a.store == b.store
}

/// The tables of `cfg`. A table that a `stick` rule uses also stores
/// `server_id` and `server_key`, as 2.6 adds them when it resolves the rule.
fn defs(cfg: &Config) -> Vec<StickTableDef> {
    let mut defs: Vec<StickTableDef> = cfg
        .proxies
        .iter()
        .filter(|p| !p.disabled)
        .filter_map(|p| p.stick_table.clone())
        .collect();
    for p in cfg.proxies.iter().filter(|p| !p.disabled) {
        for r in &p.stick_rules {
            let name = r.table.as_deref().unwrap_or(&p.name);
            let Some(d) = defs.iter_mut().find(|d| d.name == name) else {
                continue;
            };
            for data in [DataType::ServerId, DataType::ServerKey] {
                if !d.stores(data) {
                    d.store.push(StoreSpec {
                        data,
                        period_ms: 0,
                        nbelem: 1,
                    });
                }
            }
            d.store.sort_by_key(|s| s.data);
        }
    }
    defs
}

impl TableRegistry {
    /// Every `stick-table` of `cfg`'s proxies.
    pub fn from_config(cfg: &Config) -> TableRegistry {
        Self::from_defs(defs(cfg), None)
    }

    /// Like [`from_config`](Self::from_config), reusing the tables of `old`
    /// whose definition is unchanged (entries and all).
    pub fn from_config_with(cfg: &Config, old: &TableRegistry) -> TableRegistry {
        Self::from_defs(defs(cfg), Some(old))
    }

    pub fn from_defs(
        defs: impl IntoIterator<Item = StickTableDef>,
        old: Option<&TableRegistry>,
    ) -> TableRegistry {
        let mut reg = TableRegistry::default();
        for def in defs {
            let t = match old.and_then(|o| o.get(&def.name)) {
                Some(t) if same_shape(t.def(), &def) => t.clone(),
                _ => Arc::new(StickTable::new(def)),
            };
            reg.by_name.insert(t.name().to_string(), t.clone());
            reg.order.push(t);
        }
        reg.order.reverse();
        reg
    }

    pub fn get(&self, name: &str) -> Option<&Arc<StickTable>> {
        self.by_name.get(name)
    }

    /// Tables in `show table` order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<StickTable>> {
        self.order.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Drops expired entries everywhere; for a periodic task.
    pub fn purge_expired(&self, now_ms: u64) -> usize {
        self.order.iter().map(|t| t.purge_expired(now_ms)).sum()
    }
}
