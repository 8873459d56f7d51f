//! The `show stat` field table of 2.6.12 (names, tags and types in column
//! order) and the value type rows are made of, with its CSV, typed and JSON
//! spellings.

use std::borrow::Cow;
use std::fmt::Write;

/// A field's wire type in the typed and JSON outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    U32,
    U64,
    S32,
    Str,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::S32 => "s32",
            Ty::Str => "str",
        }
    }
}

/// One field of a row; `Empty` is what 2.6 leaves blank for this row type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Val {
    #[default]
    Empty,
    U(u64),
    S(i64),
    Str(Cow<'static, str>),
}

impl Val {
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(Cow::Owned(s.into()))
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Val::Empty)
    }

    /// CSV spelling: strings holding `,` or `"` are quoted, quotes doubled.
    pub fn csv(&self, out: &mut String) {
        match self {
            Val::Empty => {}
            Val::U(v) => {
                let _ = write!(out, "{v}");
            }
            Val::S(v) => {
                let _ = write!(out, "{v}");
            }
            Val::Str(s) if s.contains([',', '"']) => {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            }
            Val::Str(s) => out.push_str(s),
        }
    }

    /// JSON spelling of the value alone.
    pub fn json(&self, out: &mut String) {
        match self {
            Val::Str(s) => json_str(s, out),
            other => other.csv(out),
        }
    }
}

/// A JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The long names of the three tag letters, for the JSON output.
pub fn tag_names(tags: [u8; 3]) -> (&'static str, &'static str, &'static str) {
    let origin = match tags[0] {
        b'S' => "Status",
        b'K' => "Key",
        b'C' => "Config",
        b'P' => "Product",
        _ => "Metric",
    };
    let nature = match tags[1] {
        b'L' => "Limit",
        b'm' => "Min",
        b'M' => "Max",
        b'R' => "Rate",
        b'C' => "Counter",
        b'D' => "Duration",
        b'A' => "Age",
        b'T' => "Time",
        b'N' => "Name",
        b'O' => "Output",
        b'a' => "Avg",
        _ => "Gauge",
    };
    let scope = match tags[2] {
        b'S' => "Service",
        b's' => "System",
        b'C' => "Cluster",
        _ => "Process",
    };
    (origin, nature, scope)
}

/// Number of fields of a row, without the `-` separator column.
pub const NFIELDS: usize = 127;

/// Fields before the `-` separator column of the CSV (0..=102 are the
/// generic ones, the rest come from the ssl, h2 and h1 modules).
pub const GENERIC: usize = 103;

/// Name, tags (origin, nature, scope letters) and type of each field as 2.6.12
/// prints them. `act`/`bck`/`rate`/`rate_max` differ on backends: see
/// [`tags_for`].
pub static FIELDS: [(&str, [u8; 3], Ty); NFIELDS] = [
    ("pxname", *b"KNS", Ty::Str),
    ("svname", *b"KNS", Ty::Str),
    ("qcur", *b"MGP", Ty::U32),
    ("qmax", *b"MMP", Ty::U32),
    ("scur", *b"MGP", Ty::U32),
    ("smax", *b"MMP", Ty::U32),
    ("slim", *b"CLP", Ty::U32),
    ("stot", *b"MCP", Ty::U64),
    ("bin", *b"MCP", Ty::U64),
    ("bout", *b"MCP", Ty::U64),
    ("dreq", *b"MCP", Ty::U64),
    ("dresp", *b"MCP", Ty::U64),
    ("ereq", *b"MCP", Ty::U64),
    ("econ", *b"MCP", Ty::U64),
    ("eresp", *b"MCP", Ty::U64),
    ("wretr", *b"MCP", Ty::U64),
    ("wredis", *b"MCP", Ty::U64),
    ("status", *b"SGP", Ty::Str),
    ("weight", *b"MaP", Ty::U32),
    ("act", *b"SGP", Ty::U32),
    ("bck", *b"SGP", Ty::U32),
    ("chkfail", *b"MCP", Ty::U64),
    ("chkdown", *b"MCP", Ty::U64),
    ("lastchg", *b"MAP", Ty::U32),
    ("downtime", *b"MCP", Ty::U32),
    ("qlimit", *b"CGS", Ty::U32),
    ("pid", *b"KGP", Ty::U32),
    ("iid", *b"KGS", Ty::U32),
    ("sid", *b"KGS", Ty::U32),
    ("throttle", *b"MaP", Ty::U32),
    ("lbtot", *b"MCP", Ty::U64),
    ("tracked", *b"CNS", Ty::Str),
    ("type", *b"CGS", Ty::U32),
    ("rate", *b"MRP", Ty::U32),
    ("rate_lim", *b"CLP", Ty::U32),
    ("rate_max", *b"MMP", Ty::U32),
    ("check_status", *b"MOP", Ty::Str),
    ("check_code", *b"MOP", Ty::U32),
    ("check_duration", *b"MDP", Ty::U64),
    ("hrsp_1xx", *b"MCP", Ty::U64),
    ("hrsp_2xx", *b"MCP", Ty::U64),
    ("hrsp_3xx", *b"MCP", Ty::U64),
    ("hrsp_4xx", *b"MCP", Ty::U64),
    ("hrsp_5xx", *b"MCP", Ty::U64),
    ("hrsp_other", *b"MCP", Ty::U64),
    ("hanafail", *b"MCP", Ty::U64),
    ("req_rate", *b"MRP", Ty::U32),
    ("req_rate_max", *b"MMP", Ty::U32),
    ("req_tot", *b"MCP", Ty::U64),
    ("cli_abrt", *b"MCP", Ty::U64),
    ("srv_abrt", *b"MCP", Ty::U64),
    ("comp_in", *b"MCP", Ty::U64),
    ("comp_out", *b"MCP", Ty::U64),
    ("comp_byp", *b"MCP", Ty::U64),
    ("comp_rsp", *b"MCP", Ty::U64),
    ("lastsess", *b"MAP", Ty::S32),
    ("last_chk", *b"MOP", Ty::Str),
    ("last_agt", *b"MOP", Ty::Str),
    ("qtime", *b"MaP", Ty::U32),
    ("ctime", *b"MaP", Ty::U32),
    ("rtime", *b"MaP", Ty::U32),
    ("ttime", *b"MaP", Ty::U32),
    ("agent_status", *b"MOP", Ty::Str),
    ("agent_code", *b"MOP", Ty::U32),
    ("agent_duration", *b"MDP", Ty::U64),
    ("check_desc", *b"MOP", Ty::Str),
    ("agent_desc", *b"MOP", Ty::Str),
    ("check_rise", *b"CGS", Ty::U32),
    ("check_fall", *b"CGS", Ty::U32),
    ("check_health", *b"CGS", Ty::U32),
    ("agent_rise", *b"CGS", Ty::U32),
    ("agent_fall", *b"CGS", Ty::U32),
    ("agent_health", *b"CGS", Ty::U32),
    ("addr", *b"CGS", Ty::Str),
    ("cookie", *b"CNS", Ty::Str),
    ("mode", *b"CGS", Ty::Str),
    ("algo", *b"CGS", Ty::Str),
    ("conn_rate", *b"MRP", Ty::U32),
    ("conn_rate_max", *b"MMP", Ty::U32),
    ("conn_tot", *b"MCP", Ty::U64),
    ("intercepted", *b"MCP", Ty::U64),
    ("dcon", *b"MCP", Ty::U64),
    ("dses", *b"MCP", Ty::U64),
    ("wrew", *b"MCP", Ty::U64),
    ("connect", *b"MCP", Ty::U64),
    ("reuse", *b"MCP", Ty::U64),
    ("cache_lookups", *b"MCP", Ty::U64),
    ("cache_hits", *b"MCP", Ty::U64),
    ("srv_icur", *b"MGP", Ty::U32),
    ("src_ilim", *b"CLP", Ty::U32),
    ("qtime_max", *b"MMP", Ty::U32),
    ("ctime_max", *b"MMP", Ty::U32),
    ("rtime_max", *b"MMP", Ty::U32),
    ("ttime_max", *b"MMP", Ty::U32),
    ("eint", *b"MCP", Ty::U64),
    ("idle_conn_cur", *b"MGP", Ty::U32),
    ("safe_conn_cur", *b"MGP", Ty::U32),
    ("used_conn_cur", *b"MGP", Ty::U32),
    ("need_conn_est", *b"MGP", Ty::U32),
    ("uweight", *b"MaP", Ty::U32),
    ("agg_server_status", *b"MGP", Ty::U32),
    ("agg_server_check_status", *b"MGP", Ty::U32),
    ("agg_check_status", *b"MGP", Ty::U32),
    ("ssl_sess", *b"MCP", Ty::U64),
    ("ssl_reused_sess", *b"MCP", Ty::U64),
    ("ssl_failed_handshake", *b"MCP", Ty::U64),
    ("h2_headers_rcvd", *b"MCP", Ty::U64),
    ("h2_data_rcvd", *b"MCP", Ty::U64),
    ("h2_settings_rcvd", *b"MCP", Ty::U64),
    ("h2_rst_stream_rcvd", *b"MCP", Ty::U64),
    ("h2_goaway_rcvd", *b"MCP", Ty::U64),
    ("h2_detected_conn_protocol_errors", *b"MCP", Ty::U64),
    ("h2_detected_strm_protocol_errors", *b"MCP", Ty::U64),
    ("h2_rst_stream_resp", *b"MCP", Ty::U64),
    ("h2_goaway_resp", *b"MCP", Ty::U64),
    ("h2_open_connections", *b"MGP", Ty::U64),
    ("h2_backend_open_streams", *b"MGP", Ty::U64),
    ("h2_total_connections", *b"MCP", Ty::U64),
    ("h2_backend_total_streams", *b"MCP", Ty::U64),
    ("h1_open_connections", *b"MGP", Ty::U64),
    ("h1_open_streams", *b"MGP", Ty::U64),
    ("h1_total_connections", *b"MCP", Ty::U64),
    ("h1_total_streams", *b"MCP", Ty::U64),
    ("h1_bytes_in", *b"MCP", Ty::U64),
    ("h1_bytes_out", *b"MCP", Ty::U64),
    ("h1_spliced_bytes_in", *b"MCP", Ty::U64),
    ("h1_spliced_bytes_out", *b"MCP", Ty::U64),
];

/// The tags of field `pos` on a row of kind `kind` (`b'F'`, `b'B'`, `b'S'`, `b'L'`).
pub fn tags_for(pos: usize, kind: u8) -> [u8; 3] {
    match (pos, kind) {
        (19 | 20 | 33 | 35, b'B') => *b"MGP",
        _ => FIELDS[pos].1,
    }
}

/// The CSV header line (with its `-` column and trailing comma).
pub fn csv_header(out: &mut String) {
    out.push_str("# ");
    for (i, (name, _, _)) in FIELDS.iter().enumerate() {
        if i == GENERIC {
            out.push_str("-,");
        }
        out.push_str(name);
        out.push(',');
    }
    out.push('\n');
}

/// Field positions by name, for the renderers' readability.
pub mod f {
    pub const PXNAME: usize = 0;
    pub const SVNAME: usize = 1;
    pub const QCUR: usize = 2;
    pub const QMAX: usize = 3;
    pub const SCUR: usize = 4;
    pub const SMAX: usize = 5;
    pub const SLIM: usize = 6;
    pub const STOT: usize = 7;
    pub const BIN: usize = 8;
    pub const BOUT: usize = 9;
    pub const DREQ: usize = 10;
    pub const DRESP: usize = 11;
    pub const EREQ: usize = 12;
    pub const ECON: usize = 13;
    pub const ERESP: usize = 14;
    pub const WRETR: usize = 15;
    pub const WREDIS: usize = 16;
    pub const STATUS: usize = 17;
    pub const WEIGHT: usize = 18;
    pub const ACT: usize = 19;
    pub const BCK: usize = 20;
    pub const CHKFAIL: usize = 21;
    pub const CHKDOWN: usize = 22;
    pub const LASTCHG: usize = 23;
    pub const DOWNTIME: usize = 24;
    pub const QLIMIT: usize = 25;
    pub const PID: usize = 26;
    pub const IID: usize = 27;
    pub const SID: usize = 28;
    pub const THROTTLE: usize = 29;
    pub const LBTOT: usize = 30;
    pub const TRACKED: usize = 31;
    pub const TYPE: usize = 32;
    pub const RATE: usize = 33;
    pub const RATE_LIM: usize = 34;
    pub const RATE_MAX: usize = 35;
    pub const CHECK_STATUS: usize = 36;
    pub const CHECK_CODE: usize = 37;
    pub const CHECK_DURATION: usize = 38;
    pub const HRSP_1XX: usize = 39;
    pub const HRSP_2XX: usize = 40;
    pub const HRSP_3XX: usize = 41;
    pub const HRSP_4XX: usize = 42;
    pub const HRSP_5XX: usize = 43;
    pub const HRSP_OTHER: usize = 44;
    pub const HANAFAIL: usize = 45;
    pub const REQ_RATE: usize = 46;
    pub const REQ_RATE_MAX: usize = 47;
    pub const REQ_TOT: usize = 48;
    pub const CLI_ABRT: usize = 49;
    pub const SRV_ABRT: usize = 50;
    pub const COMP_IN: usize = 51;
    pub const COMP_OUT: usize = 52;
    pub const COMP_BYP: usize = 53;
    pub const COMP_RSP: usize = 54;
    pub const LASTSESS: usize = 55;
    pub const LAST_CHK: usize = 56;
    pub const LAST_AGT: usize = 57;
    pub const QTIME: usize = 58;
    pub const CTIME: usize = 59;
    pub const RTIME: usize = 60;
    pub const TTIME: usize = 61;
    pub const AGENT_STATUS: usize = 62;
    pub const AGENT_CODE: usize = 63;
    pub const AGENT_DURATION: usize = 64;
    pub const CHECK_DESC: usize = 65;
    pub const AGENT_DESC: usize = 66;
    pub const CHECK_RISE: usize = 67;
    pub const CHECK_FALL: usize = 68;
    pub const CHECK_HEALTH: usize = 69;
    pub const AGENT_RISE: usize = 70;
    pub const AGENT_FALL: usize = 71;
    pub const AGENT_HEALTH: usize = 72;
    pub const ADDR: usize = 73;
    pub const COOKIE: usize = 74;
    pub const MODE: usize = 75;
    pub const ALGO: usize = 76;
    pub const CONN_RATE: usize = 77;
    pub const CONN_RATE_MAX: usize = 78;
    pub const CONN_TOT: usize = 79;
    pub const INTERCEPTED: usize = 80;
    pub const DCON: usize = 81;
    pub const DSES: usize = 82;
    pub const WREW: usize = 83;
    pub const CONNECT: usize = 84;
    pub const REUSE: usize = 85;
    pub const CACHE_LOOKUPS: usize = 86;
    pub const CACHE_HITS: usize = 87;
    pub const SRV_ICUR: usize = 88;
    pub const SRC_ILIM: usize = 89;
    pub const QTIME_MAX: usize = 90;
    pub const CTIME_MAX: usize = 91;
    pub const RTIME_MAX: usize = 92;
    pub const TTIME_MAX: usize = 93;
    pub const EINT: usize = 94;
    pub const IDLE_CONN_CUR: usize = 95;
    pub const SAFE_CONN_CUR: usize = 96;
    pub const USED_CONN_CUR: usize = 97;
    pub const NEED_CONN_EST: usize = 98;
    pub const UWEIGHT: usize = 99;
    pub const AGG_SERVER_STATUS: usize = 100;
    pub const AGG_SERVER_CHECK_STATUS: usize = 101;
    pub const AGG_CHECK_STATUS: usize = 102;
    pub const SSL_SESS: usize = 103;
    pub const SSL_REUSED_SESS: usize = 104;
    pub const SSL_FAILED_HANDSHAKE: usize = 105;
    pub const H2_HEADERS_RCVD: usize = 106;
    pub const H2_DATA_RCVD: usize = 107;
    pub const H2_SETTINGS_RCVD: usize = 108;
    pub const H2_RST_STREAM_RCVD: usize = 109;
    pub const H2_GOAWAY_RCVD: usize = 110;
    pub const H2_DETECTED_CONN_PROTOCOL_ERRORS: usize = 111;
    pub const H2_DETECTED_STRM_PROTOCOL_ERRORS: usize = 112;
    pub const H2_RST_STREAM_RESP: usize = 113;
    pub const H2_GOAWAY_RESP: usize = 114;
    pub const H2_OPEN_CONNECTIONS: usize = 115;
    pub const H2_BACKEND_OPEN_STREAMS: usize = 116;
    pub const H2_TOTAL_CONNECTIONS: usize = 117;
    pub const H2_BACKEND_TOTAL_STREAMS: usize = 118;
    pub const H1_OPEN_CONNECTIONS: usize = 119;
    pub const H1_OPEN_STREAMS: usize = 120;
    pub const H1_TOTAL_CONNECTIONS: usize = 121;
    pub const H1_TOTAL_STREAMS: usize = 122;
    pub const H1_BYTES_IN: usize = 123;
    pub const H1_BYTES_OUT: usize = 124;
    pub const H1_SPLICED_BYTES_IN: usize = 125;
    pub const H1_SPLICED_BYTES_OUT: usize = 126;
}
