//! What a `stick-table` line and a `stick` rule mean, as plain values: the
//! part of the configuration model that belongs to stick tables. The parser
//! (config/parser/stick.rs) builds these; [`super::StickTable`] runs them.

use crate::config::model::Location;
use serde::{Deserialize, Serialize};

/// The key type of a table (`type ip|ipv6|integer|string|binary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyType {
    Ip,
    Ipv6,
    Integer,
    String,
    Binary,
}

impl KeyType {
    /// The keyword, as `show table` prints it.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ip => "ip",
            KeyType::Ipv6 => "ipv6",
            KeyType::Integer => "integer",
            KeyType::String => "string",
            KeyType::Binary => "binary",
        }
    }
}

/// A stored data type, in 2.6's internal order: the order `show table`
/// prints them in, whatever order the `store` list gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DataType {
    ServerId,
    Gpt0,
    Gpc0,
    Gpc0Rate,
    ConnCnt,
    ConnRate,
    ConnCur,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
    Gpc1,
    Gpc1Rate,
    ServerKey,
    HttpFailCnt,
    HttpFailRate,
    /// `gpt(N)`: an array of N tags.
    Gpt,
    /// `gpc(N)`: an array of N counters.
    Gpc,
    /// `gpc_rate(N,period)`: an array of N rates.
    GpcRate,
}

/// How a data type stores its value (2.6's `std_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdType {
    /// Signed 32 bits, printed `%d` (`server_id`).
    Sint,
    /// Unsigned 32 bits, wrapping.
    Uint,
    /// Unsigned 64 bits (byte counters).
    Ull,
    /// A frequency counter over a period.
    Rate,
    /// A shared string (`server_key`).
    Dict,
}

impl DataType {
    pub const ALL: [DataType; 25] = [
        DataType::ServerId,
        DataType::Gpt0,
        DataType::Gpc0,
        DataType::Gpc0Rate,
        DataType::ConnCnt,
        DataType::ConnRate,
        DataType::ConnCur,
        DataType::SessCnt,
        DataType::SessRate,
        DataType::HttpReqCnt,
        DataType::HttpReqRate,
        DataType::HttpErrCnt,
        DataType::HttpErrRate,
        DataType::BytesInCnt,
        DataType::BytesInRate,
        DataType::BytesOutCnt,
        DataType::BytesOutRate,
        DataType::Gpc1,
        DataType::Gpc1Rate,
        DataType::ServerKey,
        DataType::HttpFailCnt,
        DataType::HttpFailRate,
        DataType::Gpt,
        DataType::Gpc,
        DataType::GpcRate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataType::ServerId => "server_id",
            DataType::Gpt0 => "gpt0",
            DataType::Gpc0 => "gpc0",
            DataType::Gpc0Rate => "gpc0_rate",
            DataType::ConnCnt => "conn_cnt",
            DataType::ConnRate => "conn_rate",
            DataType::ConnCur => "conn_cur",
            DataType::SessCnt => "sess_cnt",
            DataType::SessRate => "sess_rate",
            DataType::HttpReqCnt => "http_req_cnt",
            DataType::HttpReqRate => "http_req_rate",
            DataType::HttpErrCnt => "http_err_cnt",
            DataType::HttpErrRate => "http_err_rate",
            DataType::BytesInCnt => "bytes_in_cnt",
            DataType::BytesInRate => "bytes_in_rate",
            DataType::BytesOutCnt => "bytes_out_cnt",
            DataType::BytesOutRate => "bytes_out_rate",
            DataType::Gpc1 => "gpc1",
            DataType::Gpc1Rate => "gpc1_rate",
            DataType::ServerKey => "server_key",
            DataType::HttpFailCnt => "http_fail_cnt",
            DataType::HttpFailRate => "http_fail_rate",
            DataType::Gpt => "gpt",
            DataType::Gpc => "gpc",
            DataType::GpcRate => "gpc_rate",
        }
    }

    /// 2.6's `stktable_get_data_type`, with its `server_name` alias.
    pub fn from_name(name: &str) -> Option<DataType> {
        if name == "server_name" {
            return Some(DataType::ServerKey);
        }
        DataType::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn std_type(self) -> StdType {
        match self {
            DataType::ServerId => StdType::Sint,
            DataType::BytesInCnt | DataType::BytesOutCnt => StdType::Ull,
            DataType::ServerKey => StdType::Dict,
            t if t.is_rate() => StdType::Rate,
            _ => StdType::Uint,
        }
    }

    pub fn is_rate(self) -> bool {
        matches!(
            self,
            DataType::Gpc0Rate
                | DataType::ConnRate
                | DataType::SessRate
                | DataType::HttpReqRate
                | DataType::HttpErrRate
                | DataType::BytesInRate
                | DataType::BytesOutRate
                | DataType::Gpc1Rate
                | DataType::HttpFailRate
                | DataType::GpcRate
        )
    }

    pub fn is_array(self) -> bool {
        matches!(self, DataType::Gpt | DataType::Gpc | DataType::GpcRate)
    }
}

/// One `store` item: the type, its period for rates, its size for arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSpec {
    pub data: DataType,
    /// The rate period in ms (rates only; 0 otherwise).
    pub period_ms: u32,
    /// The element count (arrays only; 1 otherwise).
    pub nbelem: u32,
}

/// `srvkey name|addr`: what `server_key` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SrvKey {
    #[default]
    Name,
    Addr,
}

/// A `stick-table` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickTableDef {
    /// The table's name: its proxy's name.
    pub name: String,
    pub key_type: KeyType,
    /// Key size in bytes as 2.6 counts it: 4, 16, or for strings `len + 1`
    /// (default 32, so 31 characters), for binary `len` (default 32).
    pub key_size: usize,
    /// `size`: the most entries the table holds.
    pub size: u32,
    /// `expire` in ms; None: entries never expire by age.
    pub expire_ms: Option<u32>,
    pub nopurge: bool,
    /// `peers`: accepted with a warning; lbd does not synchronise tables.
    pub peers: Option<String>,
    pub srvkey: SrvKey,
    /// Stored types in 2.6's order (sorted by [`DataType`]).
    pub store: Vec<StoreSpec>,
    pub location: Location,
}

impl StickTableDef {
    /// The spec of a stored type, None when the table does not store it.
    pub fn spec(&self, t: DataType) -> Option<&StoreSpec> {
        self.store.iter().find(|s| s.data == t)
    }

    pub fn stores(&self, t: DataType) -> bool {
        self.spec(t).is_some()
    }
}

/// Which `stick` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StickRuleKind {
    /// `stick on`: match on the request and store on the response.
    On,
    Match,
    StoreRequest,
    StoreResponse,
}

/// A `stick on|match|store-request|store-response` line. The expression and
/// condition are kept as words for the rules engine to compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickRule {
    pub kind: StickRuleKind,
    /// The sample expression (`src`, `req.cook(SRV),lower`).
    pub expr: String,
    /// `table <name>`; None: the proxy's own table.
    pub table: Option<String>,
    /// The condition, starting with `if` or `unless`, as written.
    pub cond: Option<Vec<String>>,
    pub location: Location,
}
