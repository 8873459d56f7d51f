//! The stats page's admin form (`stats admin if <cond>`): a POST of
//! `s=<server>&...&action=<a>&b=<backend>` changes servers' states as 2.6's
//! `stats_process_http_post` does, and the answer is always a 303 back to
//! the page with `;st=<code>` so that a refresh never posts again.
//!
//! Parsing and the outcome code are plain functions; [`apply`] is the one
//! place that touches the running servers.

use crate::config::model::StatsPage;
use crate::runtime::{Backend, Runtime, ServerObserver};
use std::sync::atomic::Ordering;

/// The `;st=` code of a POST's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStatus {
    /// POST without admin rights.
    Deny,
    Done,
    /// Unknown action or backend, or a bad parameter.
    Errp,
    Excd,
    /// Nothing changed.
    None,
    /// Some servers were unknown.
    Part,
    Unkn,
    /// A method other than GET, HEAD or POST.
    Ival,
}

impl PostStatus {
    pub fn code(self) -> &'static str {
        match self {
            PostStatus::Deny => "DENY",
            PostStatus::Done => "DONE",
            PostStatus::Errp => "ERRP",
            PostStatus::Excd => "EXCD",
            PostStatus::None => "NONE",
            PostStatus::Part => "PART",
            PostStatus::Unkn => "UNKN",
            PostStatus::Ival => "IVAL",
        }
    }

    /// The code after `;st=` in a page URI (2.6 compares 4 characters).
    pub fn from_uri(rest: &str) -> Option<PostStatus> {
        let i = rest.find(";st=")?;
        let c = rest.get(i + 4..)?;
        Some(
            [
                PostStatus::Deny,
                PostStatus::Done,
                PostStatus::Errp,
                PostStatus::Excd,
                PostStatus::None,
                PostStatus::Part,
                PostStatus::Unkn,
                PostStatus::Ival,
            ]
            .into_iter()
            .find(|s| c.starts_with(s.code()))
            .unwrap_or(PostStatus::Unkn),
        )
    }

    /// The banner the HTML page shows for this outcome, with 2.6's words.
    pub fn banner(self) -> (&'static str, &'static str) {
        match self {
            PostStatus::Done => ("active_up", "Action processed successfully."),
            PostStatus::None => ("active_going_down", "Nothing has changed."),
            PostStatus::Part => (
                "active_going_down",
                "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).",
            ),
            PostStatus::Errp => (
                "active_down",
                "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>",
            ),
            PostStatus::Excd => (
                "active_down",
                "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
            ),
            PostStatus::Deny => ("active_down", "<b>Action denied.</b>"),
            PostStatus::Ival => (
                "active_down",
                "<b>Invalid requests (unsupported method or chunked encoded request).</b>",
            ),
            PostStatus::Unkn => ("active_no_check", "Unexpected result."),
        }
    }
}

/// The form's `action` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    Ready,
    Drain,
    Maint,
    Shutdown,
    Dhlth,
    Ehlth,
    Hrunn,
    Hnolb,
    Hdown,
    Dagent,
    Eagent,
    Arunn,
    Adown,
    /// The old names: `disable`/`enable` (maintenance), `stop`/`start`
    /// (drain).
    Disable,
    Enable,
    Stop,
    Start,
}

impl AdminAction {
    fn parse(v: &str) -> Option<AdminAction> {
        use AdminAction::*;
        Some(match v {
            "ready" => Ready,
            "drain" => Drain,
            "maint" => Maint,
            "shutdown" => Shutdown,
            "dhlth" => Dhlth,
            "ehlth" => Ehlth,
            "hrunn" => Hrunn,
            "hnolb" => Hnolb,
            "hdown" => Hdown,
            "dagent" => Dagent,
            "eagent" => Eagent,
            "arunn" => Arunn,
            "adown" => Adown,
            "disable" => Disable,
            "enable" => Enable,
            "stop" => Stop,
            "start" => Start,
            _ => return None,
        })
    }
}

/// A decoded form: 2.6 reads it from the end, so the last `b` and the last
/// `action` win; every `s` is a server to act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminForm {
    pub backend: Option<String>,
    pub action: Option<AdminAction>,
    pub servers: Vec<String>,
}

/// 2.6's `LINESIZE`: longer parameters are refused.
const MAX_PARAM: usize = 2048;

/// Decodes an `application/x-www-form-urlencoded` body; Err with the code
/// to answer for an unknown action or a bad parameter.
pub fn parse_form(body: &[u8]) -> Result<AdminForm, PostStatus> {
    let mut form = AdminForm::default();
    for param in body.rsplit(|&c| c == b'&') {
        if param.is_empty() || param.len() >= MAX_PARAM {
            return Err(PostStatus::Errp);
        }
        let (k, v) = match param.iter().position(|&c| c == b'=') {
            Some(i) => (&param[..i], &param[i + 1..]),
            None => (param, &b""[..]),
        };
        // 2.6 stops reading at a parameter it cannot decode.
        let (Some(k), Some(v)) = (form_decode(k), form_decode(v)) else {
            break;
        };
        match k.as_str() {
            "b" if form.backend.is_none() => form.backend = Some(v),
            "action" if form.action.is_none() => {
                form.action = Some(AdminAction::parse(&v).ok_or(PostStatus::Errp)?);
            }
            "s" => form.servers.push(v),
            _ => {}
        }
    }
    form.servers.reverse();
    Ok(form)
}

/// `%XX` and `+` decoding; None on a truncated or non-hex escape.
fn form_decode(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(s.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The outcome code from what was tried and what changed.
pub fn outcome(total: usize, altered: usize) -> PostStatus {
    if total == 0 {
        PostStatus::None
    } else if altered == 0 {
        PostStatus::Errp
    } else if altered == total {
        PostStatus::Done
    } else {
        PostStatus::Part
    }
}

/// A backend by name, or by `#<id>` as the page's hidden field names it.
fn find_backend<'a>(rt: &'a Runtime, name: &str) -> Option<&'a Backend> {
    let by_id = name.strip_prefix('#').and_then(|n| n.parse::<u32>().ok());
    rt.backends
        .iter()
        .find(|b| match by_id {
            Some(id) => b.id == id,
            None => b.name == name,
        })
        .map(|b| &**b)
}

/// Runs the form's action on its servers and says how it went.
pub fn apply(rt: &Runtime, form: &AdminForm, obs: &dyn ServerObserver) -> PostStatus {
    let be = match form.backend.as_deref().map(|b| find_backend(rt, b)) {
        Some(Some(be)) => be,
        Some(None) => return PostStatus::Errp,
        None => return PostStatus::None,
    };
    let Some(action) = form.action else {
        return PostStatus::None;
    };
    let (mut total, mut altered) = (0, 0);
    for name in &form.servers {
        let Some(idx) = be.servers.iter().position(|s| &s.name == name) else {
            total += 1;
            continue;
        };
        if act(be, idx, action, obs) {
            total += 1;
            altered += 1;
        }
    }
    outcome(total, altered)
}

/// One server's change; false when the action does not apply to it.
fn act(be: &Backend, idx: usize, action: AdminAction, obs: &dyn ServerObserver) -> bool {
    use AdminAction::*;
    let srv = &be.servers[idx];
    let was_up = srv.is_usable();
    let maint = srv.admin_maint.load(Ordering::Relaxed);
    let changed = match action {
        Ready | Drain | Maint => {
            set_admin(be, idx, action, obs);
            true
        }
        Disable if !maint => {
            set_admin(be, idx, Maint, obs);
            true
        }
        Enable if maint => {
            set_admin(be, idx, Ready, obs);
            true
        }
        Stop => {
            set_admin(be, idx, Drain, obs);
            true
        }
        Start => {
            set_admin(be, idx, Ready, obs);
            true
        }
        Dhlth | Ehlth if srv.conf.check.enabled => {
            srv.check_enabled.store(action == Ehlth, Ordering::Relaxed);
            true
        }
        Dagent | Eagent if srv.conf.agent.enabled => {
            srv.agent_enabled.store(action == Eagent, Ordering::Relaxed);
            true
        }
        Shutdown => {
            srv.kill_sessions(true);
            true
        }
        // Forcing the health or agent result is not offered by lbd yet.
        _ => false,
    };
    crate::stats::feed::state_seen(be, srv, was_up);
    changed
}

fn set_admin(be: &Backend, idx: usize, to: AdminAction, obs: &dyn ServerObserver) {
    use crate::runtime::AdminState;
    let to = match to {
        AdminAction::Maint => AdminState::Maint,
        AdminAction::Drain => AdminState::Drain,
        _ => AdminState::Ready,
    };
    be.set_admin(idx, to, obs);
}

/// The answer to a POST on the page: the form applied when `admin` (a
/// `stats admin` rule matched) and the whole `body` is in, then the 303.
pub fn post(
    rt: &Runtime,
    page: &StatsPage,
    admin: bool,
    body: Option<&[u8]>,
    rest: &str,
) -> Vec<u8> {
    let status = match (admin, body) {
        (false, _) => PostStatus::Deny,
        // A body larger than the buffer never arrives whole.
        (true, None) => PostStatus::Excd,
        (true, Some(b)) => match parse_form(b) {
            Ok(form) => apply(rt, &form, &crate::runtime::StderrObserver),
            Err(st) => st,
        },
    };
    redirect(page, status, rest)
}

/// The 303 back to the page (`rest` is the URI after the prefix: `;up` and
/// `;norefresh` are kept, as 2.6 does).
pub fn redirect(page: &StatsPage, status: PostStatus, rest: &str) -> Vec<u8> {
    let mut loc = format!("{};st={}", page.uri, status.code());
    if rest.contains(";up") {
        loc.push_str(";up");
    }
    if page.refresh.is_some() && rest.contains(";norefresh") {
        loc.push_str(";norefresh");
    }
    format!(
        "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: {loc}\r\n\r\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_as_2_6_reads_them() {
        let f = parse_form(b"s=s1&s=web+2&action=maint&b=%23web").unwrap();
        assert_eq!(f.backend.as_deref(), Some("#web"));
        assert_eq!(f.action, Some(AdminAction::Maint));
        assert_eq!(f.servers, ["s1", "web 2"]);
        // The last value wins.
        let f = parse_form(b"action=drain&b=x&action=ready&b=y").unwrap();
        assert_eq!(
            (f.backend.as_deref(), f.action),
            (Some("y"), Some(AdminAction::Ready))
        );
        assert_eq!(parse_form(b"s=a&action=bogus&b=x"), Err(PostStatus::Errp));
        assert_eq!(parse_form(b"s=a&&b=x"), Err(PostStatus::Errp));
        // Reading stops at a parameter that does not decode.
        let f = parse_form(b"action=ready&b=%zz&s=s1").unwrap();
        assert_eq!((f.backend, f.action), (None, None));
        assert_eq!(f.servers, ["s1"]);
    }

    #[test]
    fn outcome_codes() {
        assert_eq!(outcome(0, 0), PostStatus::None);
        assert_eq!(outcome(2, 0), PostStatus::Errp);
        assert_eq!(outcome(2, 2), PostStatus::Done);
        assert_eq!(outcome(2, 1), PostStatus::Part);
        assert_eq!(PostStatus::from_uri(";up;st=DONE"), Some(PostStatus::Done));
        assert_eq!(PostStatus::from_uri(";st=XYZW"), Some(PostStatus::Unkn));
        assert_eq!(PostStatus::from_uri(";csv"), None);
    }

    fn runtime() -> Runtime {
        let text = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend be\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n";
        let out = crate::config::load_str(
            "t.cfg",
            text.as_bytes(),
            &crate::config::tokenizer::ProcessEnv,
        );
        let Some(cfg) = out.config else {
            panic!("config refused: {:?}", out.diags);
        };
        match Runtime::build(&cfg) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn post(rt: &Runtime, body: &str) -> PostStatus {
        match parse_form(body.as_bytes()) {
            Ok(f) => apply(rt, &f, &crate::runtime::StderrObserver),
            Err(st) => st,
        }
    }

    #[test]
    fn actions_change_servers_and_report_how_it_went() {
        let rt = runtime();
        let be = rt.backends.iter().find(|b| b.name == "be").unwrap();
        let s1 = &be.servers[0];
        assert_eq!(post(&rt, "s=s1&s=zz&action=maint&b=be"), PostStatus::Part);
        assert!(!s1.is_usable(), "s1 in maintenance");
        let by_id = format!("s=s1&action=ready&b=%23{}", be.id);
        assert_eq!(post(&rt, &by_id), PostStatus::Done);
        assert!(s1.is_usable());
        // No check configured: nothing to disable.
        assert_eq!(post(&rt, "s=s2&action=dhlth&b=be"), PostStatus::None);
        assert_eq!(post(&rt, "s=zz&action=drain&b=be"), PostStatus::Errp);
        assert_eq!(post(&rt, "s=s1&action=maint&b=nope"), PostStatus::Errp);
        assert_eq!(post(&rt, "s=s1&action=maint"), PostStatus::None);
        assert!(s1.is_usable(), "no backend, no change");
    }

    #[test]
    fn redirect_keeps_up_and_norefresh() {
        let page = StatsPage {
            uri: "/st".into(),
            refresh: Some(5),
            ..StatsPage::default()
        };
        let r = String::from_utf8(redirect(&page, PostStatus::Done, ";up;norefresh")).unwrap();
        assert!(r.starts_with("HTTP/1.1 303 See Other\r\n"), "{r}");
        assert!(
            r.contains("\r\nlocation: /st;st=DONE;up;norefresh\r\n"),
            "{r}"
        );
        let page = StatsPage {
            uri: "/st".into(),
            ..StatsPage::default()
        };
        let r = String::from_utf8(redirect(&page, PostStatus::Deny, ";norefresh")).unwrap();
        assert!(r.contains("\r\nlocation: /st;st=DENY\r\n"), "{r}");
    }
}
