//! The values one table entry holds, and typed access to them by
//! [`DataType`]. Which of them a table actually stores is its definition's
//! business; this is just storage plus 2.6's integer widths.

use super::def::{DataType, StdType, StickTableDef};
use super::freq::FreqCtr;
use std::sync::Arc;

/// Every counter an entry can hold. Unsigned counters wrap at 32 bits and
/// byte counters at 64, as in 2.6. Serialised (zero fields left out) when a
/// new `-W` worker takes the tables over (see `super::carry`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EntryData {
    #[serde(skip_serializing_if = "is_zero")]
    pub server_id: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpt0: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc0: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc0_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub conn_cnt: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub conn_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub conn_cur: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub sess_cnt: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub sess_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_req_cnt: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_req_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_err_cnt: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_err_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub bytes_in_cnt: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub bytes_in_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub bytes_out_cnt: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub bytes_out_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc1: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc1_rate: FreqCtr,
    /// The server's name or address (`srvkey`), shared between entries.
    #[serde(skip_serializing_if = "is_zero")]
    pub server_key: Option<Arc<str>>,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_fail_cnt: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub http_fail_rate: FreqCtr,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpt: Vec<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc: Vec<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    pub gpc_rate: Vec<FreqCtr>,
}

/// A field worth sending: most of an entry's counters are zero.
fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl EntryData {
    /// Storage sized for `def`'s arrays.
    pub fn new(def: &StickTableDef) -> EntryData {
        let n = |t| def.spec(t).map(|s| s.nbelem as usize).unwrap_or(0);
        EntryData {
            gpt: vec![0; n(DataType::Gpt)],
            gpc: vec![0; n(DataType::Gpc)],
            gpc_rate: vec![FreqCtr::default(); n(DataType::GpcRate)],
            ..EntryData::default()
        }
    }

    /// Every rate counter, for moving them to another clock.
    fn rates_mut(&mut self) -> impl Iterator<Item = &mut FreqCtr> {
        [
            &mut self.gpc0_rate,
            &mut self.conn_rate,
            &mut self.sess_rate,
            &mut self.http_req_rate,
            &mut self.http_err_rate,
            &mut self.bytes_in_rate,
            &mut self.bytes_out_rate,
            &mut self.gpc1_rate,
            &mut self.http_fail_rate,
        ]
        .into_iter()
        .chain(self.gpc_rate.iter_mut())
    }

    /// Moves the rate periods from a clock reading `from_now` to one reading
    /// `to_now` at the same instant (another process's): each period keeps
    /// its age, so rates read the same on both sides.
    pub fn rebase(&mut self, from_now: u64, to_now: u64) {
        for r in self.rates_mut() {
            let age = from_now.wrapping_sub(r.curr_tick);
            r.curr_tick = to_now.wrapping_sub(age) & !1;
        }
    }

    /// Sizes the arrays for `def` (carried data may come from anywhere).
    pub fn fit(&mut self, def: &StickTableDef) {
        let n = |t| def.spec(t).map(|s| s.nbelem as usize).unwrap_or(0);
        self.gpt.resize(n(DataType::Gpt), 0);
        self.gpc.resize(n(DataType::Gpc), 0);
        self.gpc_rate
            .resize(n(DataType::GpcRate), FreqCtr::default());
    }

    /// The 32-bit counter behind a `Uint` type (element `idx` of arrays).
    pub fn uint_mut(&mut self, t: DataType, idx: usize) -> Option<&mut u32> {
        Some(match t {
            DataType::Gpt0 => &mut self.gpt0,
            DataType::Gpc0 => &mut self.gpc0,
            DataType::ConnCnt => &mut self.conn_cnt,
            DataType::ConnCur => &mut self.conn_cur,
            DataType::SessCnt => &mut self.sess_cnt,
            DataType::HttpReqCnt => &mut self.http_req_cnt,
            DataType::HttpErrCnt => &mut self.http_err_cnt,
            DataType::Gpc1 => &mut self.gpc1,
            DataType::HttpFailCnt => &mut self.http_fail_cnt,
            DataType::Gpt => self.gpt.get_mut(idx)?,
            DataType::Gpc => self.gpc.get_mut(idx)?,
            _ => return None,
        })
    }

    /// The frequency counter behind a rate type.
    pub fn rate_mut(&mut self, t: DataType, idx: usize) -> Option<&mut FreqCtr> {
        Some(match t {
            DataType::Gpc0Rate => &mut self.gpc0_rate,
            DataType::ConnRate => &mut self.conn_rate,
            DataType::SessRate => &mut self.sess_rate,
            DataType::HttpReqRate => &mut self.http_req_rate,
            DataType::HttpErrRate => &mut self.http_err_rate,
            DataType::BytesInRate => &mut self.bytes_in_rate,
            DataType::BytesOutRate => &mut self.bytes_out_rate,
            DataType::Gpc1Rate => &mut self.gpc1_rate,
            DataType::HttpFailRate => &mut self.http_fail_rate,
            DataType::GpcRate => self.gpc_rate.get_mut(idx)?,
            _ => return None,
        })
    }

    /// The value as `show table` and the fetches see it; rates are read at
    /// `now_ms` over `period_ms`. `server_key` has no integer value.
    pub fn read(&self, t: DataType, idx: usize, period_ms: u32, now_ms: u64) -> Option<i64> {
        let rate = |f: &FreqCtr| i64::from(f.read(period_ms, now_ms));
        Some(match t.std_type() {
            StdType::Sint => i64::from(self.server_id),
            StdType::Ull => match t {
                DataType::BytesInCnt => self.bytes_in_cnt as i64,
                _ => self.bytes_out_cnt as i64,
            },
            StdType::Rate => rate(self.rate_ref(t, idx)?),
            StdType::Uint => i64::from(self.uint_ref(t, idx)?),
            StdType::Dict => return None,
        })
    }

    fn uint_ref(&self, t: DataType, idx: usize) -> Option<u32> {
        Some(match t {
            DataType::Gpt0 => self.gpt0,
            DataType::Gpc0 => self.gpc0,
            DataType::ConnCnt => self.conn_cnt,
            DataType::ConnCur => self.conn_cur,
            DataType::SessCnt => self.sess_cnt,
            DataType::HttpReqCnt => self.http_req_cnt,
            DataType::HttpErrCnt => self.http_err_cnt,
            DataType::Gpc1 => self.gpc1,
            DataType::HttpFailCnt => self.http_fail_cnt,
            DataType::Gpt => *self.gpt.get(idx)?,
            DataType::Gpc => *self.gpc.get(idx)?,
            _ => return None,
        })
    }

    fn rate_ref(&self, t: DataType, idx: usize) -> Option<&FreqCtr> {
        Some(match t {
            DataType::Gpc0Rate => &self.gpc0_rate,
            DataType::ConnRate => &self.conn_rate,
            DataType::SessRate => &self.sess_rate,
            DataType::HttpReqRate => &self.http_req_rate,
            DataType::HttpErrRate => &self.http_err_rate,
            DataType::BytesInRate => &self.bytes_in_rate,
            DataType::BytesOutRate => &self.bytes_out_rate,
            DataType::Gpc1Rate => &self.gpc1_rate,
            DataType::HttpFailRate => &self.http_fail_rate,
            DataType::GpcRate => self.gpc_rate.get(idx)?,
            _ => return None,
        })
    }

    /// What `set table ... data.<t> <v>` does: integers are truncated to
    /// the type's width, rates hold `v` for the current period.
    pub fn write(&mut self, t: DataType, idx: usize, v: i64, now_ms: u64) {
        match t.std_type() {
            StdType::Sint => self.server_id = v as i32,
            StdType::Ull => match t {
                DataType::BytesInCnt => self.bytes_in_cnt = v as u64,
                _ => self.bytes_out_cnt = v as u64,
            },
            StdType::Rate => {
                if let Some(f) = self.rate_mut(t, idx) {
                    f.set(v as u32, now_ms);
                }
            }
            StdType::Uint => {
                if let Some(c) = self.uint_mut(t, idx) {
                    *c = v as u32;
                }
            }
            StdType::Dict => {}
        }
    }
}
