//! The loader: files -> lines -> words -> sections -> a typed model.
//!
//! It owns reading files, `.if` blocks and directives, section switching,
//! `defaults` inheritance and the cross-reference checks run after parsing.
//! Keyword parsing lives in the sibling modules, one per section kind.

mod acl;
mod bind;
mod finish;
mod global;
mod http_request;
mod httpchk;
mod proxy;
mod rules;
pub(crate) mod server;
mod stats;
mod stick;

use super::cond;
use super::diag::Diagnostic;
use super::model::{self, Config, ErrorFile, Location, Mode, Proxy, Server};
use super::tokenizer::{self, EnvSource, Pseudo};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Environment as the configuration sees it: the caller's source, changed by
/// `setenv`/`presetenv`/`unsetenv`/`resetenv` as parsing goes.
pub(crate) struct EnvOverlay<'a> {
    base: &'a dyn EnvSource,
    over: HashMap<String, Option<String>>,
    /// After `resetenv`, only these base variables stay visible.
    kept: Option<Vec<String>>,
}

impl EnvSource for EnvOverlay<'_> {
    fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.over.get(name) {
            return v.clone();
        }
        match &self.kept {
            Some(k) if !k.iter().any(|n| n == name) => None,
            _ => self.base.get(name),
        }
    }
}

impl EnvOverlay<'_> {
    pub(crate) fn get_var(&self, name: &str) -> Option<String> {
        EnvSource::get(self, name)
    }

    pub(crate) fn set(&mut self, name: &str, value: Option<String>) {
        self.over.insert(name.to_string(), value);
    }

    pub(crate) fn reset(&mut self, keep: &[String]) {
        let kept: HashMap<String, Option<String>> =
            keep.iter().map(|n| (n.clone(), self.get_var(n))).collect();
        self.over = kept;
        self.kept = Some(keep.to_vec());
    }
}

/// How serious a keyword handler's outcome was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Status {
    pub fatal: bool,
    /// Stop reading the configuration (HAProxy's ERR_ABORT).
    pub abort: bool,
}

/// A `defaults`, `frontend`, `backend` or `listen` section being built.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub proxy: Proxy,
    /// `default-server` settings, the template every `server` starts from.
    pub default_server: Server,
    /// `errorfile` and `errorfiles` in order; resolved after parsing.
    pub errors: Vec<ErrorSource>,
    pub default_backend_loc: Option<Location>,
    pub is_defaults: bool,
    /// Where `balance` was set in this very section (it may be set once).
    pub balance_set: bool,
    /// `option httpchk` and `http-check` rules, composed at the end.
    pub httpchk: httpchk::ChkDraft,
}

#[derive(Debug, Clone)]
pub(crate) enum ErrorSource {
    File(u16, ErrorFile),
    Section {
        name: String,
        codes: Vec<u16>,
        location: Location,
    },
}

impl Draft {
    pub(crate) fn new_defaults() -> Self {
        Draft {
            proxy: Proxy {
                retries: 3,
                ..Proxy::default()
            },
            default_server: server::template(),
            errors: Vec::new(),
            default_backend_loc: None,
            is_defaults: true,
            balance_set: false,
            httpchk: Default::default(),
        }
    }

    /// HAProxy's `proxy_type_str`.
    pub(crate) fn type_str(&self) -> &'static str {
        type_str(&self.proxy)
    }
}

/// HAProxy's `proxy_cap_str`: a `listen` section is a "proxy".
pub(crate) fn type_str(p: &Proxy) -> &'static str {
    match (p.cap.frontend, p.cap.backend) {
        (true, true) => "proxy",
        (true, false) => "frontend",
        (false, true) => "backend",
        _ => "defaults",
    }
}

/// The section keyword a proxy was declared with.
fn section_keyword(p: &Proxy) -> &'static str {
    match (p.cap.frontend, p.cap.backend) {
        (true, true) => "listen",
        _ => type_str(p),
    }
}

#[derive(Debug, Clone)]
enum Section {
    None,
    Global,
    Proxy(usize),
    Defaults(usize),
    Userlist(usize),
    HttpErrors(String),
    /// Parsed and ignored (the section line already warned or alerted).
    Skip,
}

/// `.if` nesting state for one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CondState {
    /// This branch is being read.
    Take,
    /// A branch was taken already; skip the remaining ones.
    Done,
    /// No branch taken yet; skip this one.
    Drop,
    /// Inside a skipped branch: ignore the whole block.
    Skip,
}

pub(crate) struct Loader<'a> {
    pub env: EnvOverlay<'a>,
    pub diags: Vec<Diagnostic>,
    pub files: Vec<String>,
    pub global: model::Global,
    /// Boxed: a draft is 2.5 kB, and a vector of 1,000 of them by value
    /// regrew (and faulted in) twice their size as sections were added.
    #[allow(clippy::vec_box)]
    pub drafts: Vec<Box<Draft>>,
    pub defaults: Vec<(Option<String>, Draft)>,
    /// Index in `defaults` of the last declared section.
    pub last_defaults: Option<usize>,
    pub userlists: Vec<model::Userlist>,
    pub http_errors: BTreeMap<String, BTreeMap<u16, ErrorFile>>,
    pub default_path: DefaultPath,
    /// Current file, for relative paths.
    pub file: String,
    pub line: usize,
    pub section_name: String,
    section: Section,
    aborted: bool,
    any_fatal: bool,
    /// Indices in `drafts` by proxy name, for the duplicate-name check
    /// (a scan of every earlier section made 1,000 backends quadratic).
    proxy_names: HashMap<String, Vec<usize>>,
    /// Time spent reading files, apart from parsing them (reload timing).
    pub read_time: std::time::Duration,
    /// The current line's words, in buffers reused from line to line.
    words: tokenizer::Words,
}

/// `default-path`: how relative file names are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DefaultPath {
    Current,
    Config,
    Parent,
    Origin(String),
}

impl<'a> Loader<'a> {
    pub(crate) fn new(env: &'a dyn EnvSource) -> Self {
        Loader {
            env: EnvOverlay {
                base: env,
                over: HashMap::new(),
                kept: None,
            },
            diags: Vec::new(),
            files: Vec::new(),
            global: model::Global::default(),
            drafts: Vec::new(),
            defaults: Vec::new(),
            last_defaults: None,
            userlists: Vec::new(),
            http_errors: BTreeMap::new(),
            default_path: DefaultPath::Current,
            file: String::new(),
            line: 0,
            section_name: String::new(),
            section: Section::None,
            aborted: false,
            any_fatal: false,
            proxy_names: HashMap::new(),
            read_time: std::time::Duration::ZERO,
            words: tokenizer::Words::default(),
        }
    }

    /// The kind of the current section, as bind messages name it.
    pub(crate) fn section_name_kind(&self) -> &'static str {
        match &self.section {
            Section::Proxy(i) => section_keyword(&self.drafts[*i].proxy),
            Section::Defaults(_) => "defaults",
            _ => "global",
        }
    }

    pub(crate) fn loc(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
        }
    }

    /// `config : parsing [f:l] : msg`
    pub(crate) fn alert(&mut self, msg: impl std::fmt::Display) -> Status {
        let t = format!("config : parsing [{}:{}] : {msg}", self.file, self.line);
        self.diags.push(Diagnostic::alert(t));
        Status {
            fatal: true,
            abort: false,
        }
    }

    /// `config : parsing [f:l]: msg` (the spelling some 2.6 messages use).
    pub(crate) fn alert_nc(&mut self, msg: impl std::fmt::Display) -> Status {
        let t = format!("config : parsing [{}:{}]: {msg}", self.file, self.line);
        self.diags.push(Diagnostic::alert(t));
        Status {
            fatal: true,
            abort: false,
        }
    }

    pub(crate) fn warn(&mut self, msg: impl std::fmt::Display) {
        let t = format!("config : parsing [{}:{}] : {msg}", self.file, self.line);
        self.diags.push(Diagnostic::warning(t));
    }

    pub(crate) fn notice(&mut self, msg: impl std::fmt::Display) {
        let t = format!("config : parsing [{}:{}] : {msg}", self.file, self.line);
        self.diags.push(Diagnostic::notice(t));
    }

    /// Resolves a file name written in the configuration (`default-path`).
    pub(crate) fn resolve_path(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            return path.to_path_buf();
        }
        let cfg_dir = || {
            Path::new(&self.file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        match &self.default_path {
            DefaultPath::Current => path.to_path_buf(),
            DefaultPath::Config => cfg_dir().join(path),
            DefaultPath::Parent => cfg_dir().join("..").join(path),
            DefaultPath::Origin(o) => Path::new(o).join(path),
        }
    }

    /// Expands `-f` arguments: a directory gives its `*.cfg` files in byte
    /// order, skipping dotfiles.
    pub(crate) fn load_paths(&mut self, paths: &[PathBuf]) {
        for p in paths {
            if self.aborted {
                return;
            }
            let shown = p.to_string_lossy().into_owned();
            match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => {
                    let mut names: Vec<Vec<u8>> = match std::fs::read_dir(p) {
                        Ok(rd) => rd
                            .filter_map(Result::ok)
                            .map(|e| e.file_name().to_string_lossy().into_owned().into_bytes())
                            .filter(|n| !n.starts_with(b".") && n.ends_with(b".cfg"))
                            .collect(),
                        Err(e) => {
                            self.cannot_open(&shown, &e);
                            continue;
                        }
                    };
                    names.sort();
                    for n in names {
                        let sub = p.join(String::from_utf8_lossy(&n).as_ref());
                        if sub.is_file() {
                            let s = sub.to_string_lossy().into_owned();
                            self.load_file(&sub, &s);
                        }
                    }
                }
                Ok(_) => self.load_file(p, &shown),
                Err(e) => self.cannot_open(&shown, &e),
            }
        }
    }

    fn cannot_open(&mut self, shown: &str, e: &std::io::Error) {
        self.diags.push(Diagnostic::alert(format!(
            "config : Cannot open configuration file/directory {shown} : {}",
            io_reason(e)
        )));
        self.any_fatal = true;
        self.aborted = true;
    }

    fn load_file(&mut self, path: &Path, shown: &str) {
        let t0 = std::time::Instant::now();
        let read = std::fs::read(path);
        self.read_time += t0.elapsed();
        let data = match read {
            Ok(d) => d,
            Err(e) => {
                self.cannot_open(shown, &e);
                return;
            }
        };
        self.files.push(shown.to_string());
        self.load_text(shown, &data);
    }

    /// Parses one file's contents; `name` is how messages cite it.
    pub(crate) fn load_text(&mut self, name: &str, data: &[u8]) {
        self.file = name.to_string();
        self.section = Section::None;
        self.section_name.clear();
        let mut fatal = false;
        let mut conds: Vec<CondState> = Vec::new();
        let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        let missing_lf = !data.is_empty() && !data.ends_with(b"\n");
        if !missing_lf {
            lines.pop();
        }
        let mut last_len = 0;
        for (idx, raw) in lines.iter().enumerate() {
            self.line = idx + 1;
            last_len = raw.len();
            let st = self.line_in(raw, &mut conds);
            fatal |= st.fatal;
            if st.abort {
                self.aborted = true;
                break;
            }
        }
        if !self.aborted {
            if missing_lf {
                let st = self.alert_nc(format_args!(
                    "Missing LF on last line, file might have been truncated at position {}.",
                    last_len + 1
                ));
                fatal |= st.fatal;
            }
            if !conds.is_empty() {
                self.alert_nc("non-terminated '.if' block.");
                fatal = true;
                self.aborted = true;
            }
        }
        if fatal || self.aborted {
            self.any_fatal = true;
            self.diags.push(Diagnostic::alert(format!(
                "config : Error(s) found in configuration file : {name}"
            )));
        }
    }

    fn line_in(&mut self, raw: &[u8], conds: &mut Vec<CondState>) -> Status {
        let mut words = std::mem::take(&mut self.words);
        let st = self.line_words(raw, conds, &mut words);
        self.words = words;
        st
    }

    fn line_words(
        &mut self,
        raw: &[u8],
        conds: &mut Vec<CondState>,
        split: &mut tokenizer::Words,
    ) -> Status {
        let pseudo = Pseudo {
            file: &self.file,
            line: self.line,
            section: &self.section_name,
        };
        let skipping = conds.last().is_some_and(|c| *c != CondState::Take);
        let words = match tokenizer::tokenize_into(raw, &self.env, &pseudo, split) {
            Ok(()) => &mut split.out,
            // A skipped block may hold anything, even lines we cannot split.
            Err(_) if skipping => return Status::default(),
            Err(e) => {
                let trimmed: Vec<u8> = raw
                    .iter()
                    .copied()
                    .skip_while(|b| *b == b' ' || *b == b'\t')
                    .collect();
                let lead = raw.len() - trimmed.len();
                let shown = sanitize(&trimmed);
                let col = e.pos.saturating_sub(lead);
                return self.alert_nc(format_args!(
                    "{} at position {}:\n  {}\n  {:>w$}",
                    e.kind.message(),
                    e.pos + 1,
                    shown,
                    "^",
                    w = col + 1
                ));
            }
        };
        // HAProxy treats the first empty word as the end of the arguments.
        if let Some(cut) = words.iter().position(String::is_empty) {
            words.truncate(cut);
        }
        if words.is_empty() {
            return Status::default();
        }
        if words[0].starts_with('.') {
            if let Some(st) = self.directive(words, conds, skipping) {
                return st;
            }
        }
        if skipping {
            return Status::default();
        }
        self.statement(words)
    }

    /// Handles `.if` & co; None when `words[0]` is not a conditional or message directive.
    fn directive(
        &mut self,
        words: &[String],
        conds: &mut Vec<CondState>,
        skipping: bool,
    ) -> Option<Status> {
        let kw = words[0].as_str();
        let top = conds.last().copied();
        let st = match kw {
            ".if" => {
                if skipping {
                    conds.push(CondState::Skip);
                    return Some(Status::default());
                }
                match self.eval_cond(words) {
                    Ok(true) => conds.push(CondState::Take),
                    Ok(false) => conds.push(CondState::Drop),
                    Err(st) => return Some(st),
                }
                Status::default()
            }
            ".elif" => {
                let Some(top) = top else {
                    return Some(self.alert_nc("lone '.elif' with no matching '.if'."));
                };
                let n = conds.len() - 1;
                match top {
                    CondState::Take | CondState::Done => conds[n] = CondState::Done,
                    CondState::Skip => {}
                    CondState::Drop => match self.eval_cond(words) {
                        Ok(true) => conds[n] = CondState::Take,
                        Ok(false) => {}
                        Err(st) => return Some(st),
                    },
                }
                Status::default()
            }
            ".else" | ".endif" => {
                if let Some(extra) = words.get(1) {
                    return Some(
                        self.alert_nc(format_args!("Unexpected argument '{extra}' for '{kw}'.")),
                    );
                }
                let Some(top) = top else {
                    return Some(
                        self.alert_nc(format_args!("lone '{kw}' with no matching '.if'.")),
                    );
                };
                let n = conds.len() - 1;
                if kw == ".endif" {
                    conds.pop();
                } else {
                    conds[n] = match top {
                        CondState::Drop => CondState::Take,
                        CondState::Take | CondState::Done => CondState::Done,
                        CondState::Skip => CondState::Skip,
                    };
                }
                Status::default()
            }
            _ if skipping => return Some(Status::default()),
            ".notice" | ".warning" | ".alert" | ".diag" => {
                if let Some(extra) = words.get(2) {
                    return Some(self.alert_nc(format_args!(
                        "Unexpected argument '{extra}' for '{kw}'. Use quotes if the message should contain spaces."
                    )));
                }
                let msg = words.get(1).cloned().unwrap_or_default();
                let t = format!("config : parsing [{}:{}]: '{msg}'.", self.file, self.line);
                match kw {
                    ".notice" => self.diags.push(Diagnostic::notice(t)),
                    ".warning" => self.diags.push(Diagnostic::warning(t)),
                    ".alert" => {
                        self.diags.push(Diagnostic::alert(t));
                        return Some(Status {
                            fatal: true,
                            abort: true,
                        });
                    }
                    // `.diag` only prints with -dD, which lbd does not have.
                    _ => {}
                }
                Status::default()
            }
            _ => {
                return Some(self.alert_nc(format_args!("unknown directive '{kw}'.")));
            }
        };
        Some(st)
    }

    fn eval_cond(&mut self, words: &[String]) -> Result<bool, Status> {
        let expr = words[1..].join(" ");
        cond::eval(&expr, &self.env).map_err(|e| {
            let what = &words[0];
            let mut st = self.alert_nc(format_args!(
                "{} in '{what}' at position {}:\n  {what} {expr}\n  {:>w$}",
                e.msg,
                e.pos + 1,
                "^",
                w = e.pos + what.len() + 2
            ));
            st.abort = true;
            st
        })
    }

    /// One statement outside directives: a section start or a keyword.
    fn statement(&mut self, words: &mut Vec<String>) -> Status {
        let mut negate = false;
        if words[0] == "no" || words[0] == "default" {
            negate = words[0] == "no";
            let kw = words.get(1).map(String::as_str).unwrap_or("");
            if !matches!(kw, "option" | "log" | "strict-limits" | "busy-polling") {
                return self.alert_nc(
                    "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
                );
            }
            words.remove(0);
        }
        if let Some(st) = self.section_start(words) {
            return st;
        }
        match self.section.clone() {
            Section::None => self.alert_nc(format_args!(
                "unknown keyword '{}' out of section.",
                words[0]
            )),
            Section::Global => global::keyword(self, words, negate),
            Section::Proxy(i) => proxy::keyword(self, Target::Proxy(i), words, negate),
            Section::Defaults(i) => proxy::keyword(self, Target::Defaults(i), words, negate),
            Section::Userlist(i) => self.userlist_keyword(i, words),
            Section::HttpErrors(name) => self.http_errors_keyword(&name, words),
            Section::Skip => Status::default(),
        }
    }

    fn section_start(&mut self, words: &[String]) -> Option<Status> {
        let kw = words[0].as_str();
        let arg1 = words.get(1).map(String::as_str).unwrap_or("");
        let st = match kw {
            "global" => {
                self.section = Section::Global;
                Status::default()
            }
            "defaults" | "frontend" | "backend" | "listen" => self.proxy_start(words),
            "userlist" => {
                if arg1.is_empty() {
                    return Some(self.alert(format_args!("'{kw}' expects <name> as argument.")));
                }
                self.userlists.push(model::Userlist {
                    name: arg1.to_string(),
                    ..Default::default()
                });
                self.section = Section::Userlist(self.userlists.len() - 1);
                Status::default()
            }
            "http-errors" => {
                if arg1.is_empty() {
                    return Some(self.alert(format_args!("'{kw}' expects <name> as argument.")));
                }
                self.http_errors.entry(arg1.to_string()).or_default();
                self.section = Section::HttpErrors(arg1.to_string());
                Status::default()
            }
            "cache" => {
                self.warn(format_args!(
                    "'cache' section '{arg1}' is accepted but not implemented yet by lbd; it has no effect."
                ));
                self.section = Section::Skip;
                Status::default()
            }
            "peers" | "resolvers" | "mailers" | "ring" | "log-forward" | "program" | "fcgi-app"
            | "namespace_list" => {
                self.section = Section::Skip;
                self.alert(format_args!("'{kw}' section is not supported yet by lbd."))
            }
            _ => return None,
        };
        self.section_name = if arg1.is_empty() {
            kw.to_string()
        } else {
            arg1.to_string()
        };
        Some(st)
    }

    fn proxy_start(&mut self, words: &[String]) -> Status {
        let kw = words[0].as_str();
        let is_defaults = kw == "defaults";
        let mut name = words.get(1).cloned().unwrap_or_default();
        let mut from: Option<String> = None;
        let mut rest = 2;
        if is_defaults && name == "from" {
            name.clear();
            rest = 1;
        }
        if !is_defaults && name.is_empty() {
            let mut st = self.alert(format_args!("'{kw}' expects an <id> argument"));
            st.abort = true;
            return st;
        }
        let mut bad_name = Status::default();
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
        {
            // 2.6 still opens the section, so its lines do not cascade errors.
            bad_name = self.alert(format_args!(
                "character '{bad}' is not permitted in '{kw}' name '{name}'."
            ));
        }
        if words.get(rest).map(String::as_str) == Some("from") {
            match words.get(rest + 1) {
                Some(f) => from = Some(f.clone()),
                None => {
                    let mut st = self.alert(format_args!(
                        "'{kw}' expects a name after the 'from' keyword."
                    ));
                    st.abort = true;
                    return st;
                }
            }
            rest += 2;
        }
        if let Some(extra) = words.get(rest) {
            let mut st = self.alert(format_args!(
                "'{kw}' cannot handle unexpected argument '{extra}'."
            ));
            st.abort = true;
            return st;
        }
        let base = match &from {
            Some(f) => match self
                .defaults
                .iter()
                .rposition(|(n, _)| n.as_deref() == Some(f.as_str()))
            {
                Some(i) => Some(self.defaults[i].1.clone()),
                None => {
                    let who = if is_defaults {
                        format!("defaults '{name}'")
                    } else {
                        format!("{kw} '{name}'")
                    };
                    let mut st =
                        self.alert(format_args!("defaults section '{f}' not found for {who}."));
                    st.abort = true;
                    return st;
                }
            },
            // A defaults section without `from` starts from scratch.
            None if is_defaults => None,
            None => self.last_defaults.map(|i| self.defaults[i].1.clone()),
        };
        let mut draft = base.unwrap_or_else(Draft::new_defaults);
        draft.proxy.name = name.clone();
        draft.proxy.location = self.loc();
        draft.balance_set = false;
        if is_defaults {
            draft.is_defaults = true;
            draft.proxy.cap = model::ProxyCap::default();
            let key = if name.is_empty() { None } else { Some(name) };
            self.defaults.push((key, draft));
            self.last_defaults = Some(self.defaults.len() - 1);
            self.section = Section::Defaults(self.defaults.len() - 1);
            return bad_name;
        }
        draft.is_defaults = false;
        draft.proxy.cap = model::ProxyCap {
            frontend: kw != "backend",
            backend: kw != "frontend",
        };
        if kw == "frontend" {
            // Settings that only a backend uses are not inherited, as in 2.6.
            draft.proxy.servers.clear();
        }
        let mut st = bad_name;
        if !draft.proxy.cap.frontend {
            // Only frontends inherit the default backend (2.6's proxy_preset_defaults).
            draft.proxy.default_backend = None;
        }
        let same_name = self.proxy_names.get(&name).map(Vec::as_slice);
        for &j in same_name.unwrap_or_default() {
            let p = &self.drafts[j].proxy;
            if (p.cap.frontend && draft.proxy.cap.frontend)
                || (p.cap.backend && draft.proxy.cap.backend)
            {
                let t = format!(
                    "config : Parsing [{}:{}]: {kw} '{name}' has the same name as {} '{}' declared at {}:{}.",
                    self.file,
                    self.line,
                    type_str(p),
                    p.name,
                    p.location.file,
                    p.location.line
                );
                self.diags.push(Diagnostic::alert(t));
                st.fatal = true;
                break;
            }
        }
        self.proxy_names
            .entry(name)
            .or_default()
            .push(self.drafts.len());
        self.drafts.push(Box::new(draft));
        self.section = Section::Proxy(self.drafts.len() - 1);
        st
    }

    fn userlist_keyword(&mut self, i: usize, words: &[String]) -> Status {
        let kw = words[0].as_str();
        match kw {
            "group" => {
                let Some(name) = words.get(1) else {
                    return self.alert("'group' expects <name> as arguments.");
                };
                let mut users = Vec::new();
                let mut k = 2;
                while k < words.len() {
                    if words[k] == "users" && k + 1 < words.len() {
                        users.extend(words[k + 1].split(',').map(str::to_string));
                        k += 2;
                    } else {
                        return self.alert(format_args!(
                            "'group' only supports 'users' option, got '{}'.",
                            words[k]
                        ));
                    }
                }
                self.userlists[i].groups.push((name.clone(), users));
                Status::default()
            }
            "user" => {
                let Some(name) = words.get(1) else {
                    return self.alert("'user' expects <name> as arguments.");
                };
                let mut user = model::User {
                    name: name.clone(),
                    password: String::new(),
                    insecure: false,
                    groups: Vec::new(),
                };
                let mut k = 2;
                while k < words.len() {
                    let v = words.get(k + 1).cloned();
                    match (words[k].as_str(), v) {
                        ("password", Some(v)) => user.password = v,
                        ("insecure-password", Some(v)) => {
                            user.password = v;
                            user.insecure = true;
                        }
                        ("groups", Some(v)) => {
                            user.groups.extend(v.split(',').map(str::to_string))
                        }
                        (o, _) => {
                            return self.alert(format_args!(
                                "'user' only supports 'password', 'insecure-password' and 'groups' options, got '{o}'."
                            ))
                        }
                    }
                    k += 2;
                }
                self.userlists[i].users.push(user);
                Status::default()
            }
            _ => self.alert(format_args!("unknown keyword '{kw}' in 'userlist' section")),
        }
    }

    fn http_errors_keyword(&mut self, name: &str, words: &[String]) -> Status {
        if words[0] != "errorfile" {
            return self.alert(format_args!(
                "unknown keyword '{}' in 'http-errors' section",
                words[0]
            ));
        }
        match proxy::read_errorfile(self, words) {
            Ok((code, ef)) => {
                self.http_errors
                    .entry(name.to_string())
                    .or_default()
                    .insert(code, ef);
                Status::default()
            }
            Err(st) => st,
        }
    }
}
/// Which proxy-like section a keyword applies to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Proxy(usize),
    Defaults(usize),
}

impl Loader<'_> {
    pub(crate) fn draft(&mut self, t: Target) -> &mut Draft {
        match t {
            Target::Proxy(i) => &mut self.drafts[i],
            Target::Defaults(i) => &mut self.defaults[i].1,
        }
    }
}

/// The strerror text for the messages HAProxy prints with errno.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(k) => s[..k].to_string(),
                None => s,
            }
        }
    }
}

/// Non-printable bytes become '?', as HAProxy's `sanitize_for_printing`.
fn sanitize(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}
