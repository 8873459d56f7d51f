//! Parsers for `show info` and `show stat` output (lbd's or HAProxy's).
//!
//! `show stat` is a CSV whose header line (`# pxname,svname,...`) names the
//! columns; rows are read by name, so extra or reordered columns from a
//! newer build do not break anything.

use crate::client::ApiError;
use std::collections::HashMap;
use std::sync::Arc;

/// `show info`: `Name: value` lines, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoMap(pub Vec<(String, String)>);

impl InfoMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A numeric field (`Maxconn`, `CurrConns`, ...).
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.get(name)?.trim().parse().ok()
    }
}

/// Parses `show info` text; lines without `: ` are skipped.
pub fn parse_info(text: &str) -> InfoMap {
    InfoMap(
        text.lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// What a `show stat` row describes (the `type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RowType {
    Frontend,
    Backend,
    Server,
    Listener,
}

/// One `show stat` row, read by column name.
#[derive(Debug, Clone)]
pub struct StatRow {
    columns: Arc<HashMap<String, usize>>,
    values: Vec<String>,
}

impl StatRow {
    /// A column's raw value; None when the column does not exist, Some("")
    /// when it exists but is empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = *self.columns.get(column)?;
        Some(self.values.get(i).map(String::as_str).unwrap_or(""))
    }

    /// A numeric column; None when absent, empty or not a number.
    pub fn get_u64(&self, column: &str) -> Option<u64> {
        self.get(column)?.parse().ok()
    }

    pub fn pxname(&self) -> &str {
        self.get("pxname").unwrap_or("")
    }
    pub fn svname(&self) -> &str {
        self.get("svname").unwrap_or("")
    }
    /// `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, `OPEN`, `UP 1/3`...
    pub fn status(&self) -> &str {
        self.get("status").unwrap_or("")
    }
    pub fn row_type(&self) -> Option<RowType> {
        match self.get_u64("type")? {
            0 => Some(RowType::Frontend),
            1 => Some(RowType::Backend),
            2 => Some(RowType::Server),
            3 => Some(RowType::Listener),
            _ => None,
        }
    }
    pub fn weight(&self) -> Option<u64> {
        self.get_u64("weight")
    }
    /// Current sessions (`scur`).
    pub fn scur(&self) -> Option<u64> {
        self.get_u64("scur")
    }
    /// Total sessions (`stot`).
    pub fn stot(&self) -> Option<u64> {
        self.get_u64("stot")
    }
    /// Server address (`addr`), when shown.
    pub fn addr(&self) -> Option<&str> {
        self.get("addr").filter(|a| !a.is_empty())
    }
}

/// Parses `show stat` CSV output. The first line must be the `# ` header.
pub fn parse_stat_csv(text: &str) -> Result<Vec<StatRow>, ApiError> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or_else(|| ApiError::Parse("show stat: no '# pxname,...' header".into()))?;
    let columns: HashMap<String, usize> = header
        .split(',')
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(i, c)| (c.to_string(), i))
        .collect();
    if !columns.contains_key("pxname") || !columns.contains_key("svname") {
        return Err(ApiError::Parse(
            "show stat: the header lacks pxname/svname".into(),
        ));
    }
    let columns = Arc::new(columns);
    Ok(lines
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| StatRow {
            columns: columns.clone(),
            values: l.split(',').map(String::from).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = include_str!("../testdata/haproxy-2.6.12-show-stat.csv");
    const INFO: &str = include_str!("../testdata/haproxy-2.6.12-show-info.txt");

    #[test]
    fn captured_show_stat() {
        let rows = parse_stat_csv(STAT).ok().unwrap_or_default();
        assert_eq!(rows.len(), 4);
        let s1 = &rows[1];
        assert_eq!((s1.pxname(), s1.svname()), ("be", "s1"));
        assert_eq!(s1.row_type(), Some(RowType::Server));
        assert_eq!(s1.status(), "no check");
        assert_eq!(s1.weight(), Some(50));
        assert_eq!(s1.addr(), Some("127.0.0.1:18081"));
        assert_eq!(s1.get("slim"), Some("10"));
        assert_eq!(rows[0].row_type(), Some(RowType::Frontend));
        assert_eq!(rows[0].status(), "OPEN");
        assert_eq!(rows[3].svname(), "BACKEND");
        assert_eq!(rows[3].get("algo"), Some("roundrobin"));
        assert_eq!(rows[3].get("no-such-column"), None);
    }

    #[test]
    fn extra_columns_are_harmless() {
        let text = "# pxname,svname,status,newcol,type\nbe,s1,UP,x,2,extra\n\n";
        let rows = parse_stat_csv(text).ok().unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("newcol"), Some("x"));
        assert_eq!(rows[0].row_type(), Some(RowType::Server));
    }

    #[test]
    fn no_header_is_an_error() {
        assert!(parse_stat_csv("be,s1\n").is_err());
    }

    #[test]
    fn captured_show_info() {
        let info = parse_info(INFO);
        assert_eq!(info.get("Name"), Some("HAProxy"));
        assert_eq!(info.get("Version"), Some("2.6.12-1+deb12u4"));
        assert_eq!(info.get_u64("Nbproc"), Some(1));
        assert!(info.get("node").is_some());
    }
}
