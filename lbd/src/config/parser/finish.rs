//! The end of loading: post-parse checks in HAProxy 2.6's words (missing
//! or looping backends, mode clashes, duplicate names, missing timeouts)
//! and the assembly of the final model.

use super::*;

impl Loader<'_> {
    /// Post-parse checks and assembly. Returns whether a fatal error was found.
    pub(crate) fn finish(&mut self) -> Option<Config> {
        if self.aborted {
            return None;
        }
        if self.any_fatal {
            self.diags.push(Diagnostic::alert(
                "config : Fatal errors found in configuration.",
            ));
            return None;
        }
        let (mut diags, mut fatal) = self.cross_check();
        let mut chk_warnings = Vec::new();
        for d in &self.drafts {
            if d.proxy.cap.backend && d.httpchk.option.is_none() && d.httpchk.rules_at.is_some() {
                chk_warnings.push(Diagnostic::warning(format!(
                    "config : {} '{}' uses http-check rules without 'option httpchk', so the rules are ignored.",
                    d.type_str(),
                    d.proxy.name
                )));
            }
        }
        // The drafts are moved into the model, not copied (nor replaced by
        // defaults): with 10,000 servers each copy of the proxies cost
        // milliseconds. The loader is done with them.
        let cfg = Config {
            global: self.global.clone(),
            proxies: std::mem::take(&mut self.drafts)
                .into_iter()
                .map(|d| {
                    let Draft {
                        mut proxy, httpchk, ..
                    } = *d;
                    if proxy.cap.backend {
                        proxy.http_check = httpchk.compose();
                    }
                    std::sync::Arc::new(proxy)
                })
                .collect(),
            userlists: std::mem::take(&mut self.userlists),
            http_errors: self.http_errors.clone(),
        };
        // 2.6's init_srv_check(): `check-proto` must suit the check type
        // (known once `http-check` rules are composed).
        for p in &cfg.proxies {
            let http_check = p.http_check.is_some();
            for s in &p.servers {
                if s.check.enabled
                    && s.check_transport
                        .proto
                        .is_some_and(|m| m.is_http() != http_check)
                {
                    diags.push(Diagnostic::alert(format!(
                        "config : config: {} '{}': server '{}' uses an incompatible MUX protocol for the selected check type",
                        type_str(p),
                        p.name,
                        s.name
                    )));
                    fatal = true;
                }
            }
        }
        let (log_diags, log_fatal) = crate::log::conf::check(&cfg);
        diags.extend(log_diags);
        fatal |= log_fatal;
        self.diags.extend(diags);
        if fatal {
            self.diags.push(Diagnostic::alert(
                "config : Fatal errors found in configuration.",
            ));
            return None;
        }
        self.diags.extend(chk_warnings);
        // Settings that parse but are refused at run time (alerts), or have
        // no effect yet (warnings): an alert stops the load like any other.
        let extra = crate::config::pending::inactive_warnings(&cfg);
        let refused = extra
            .iter()
            .any(|d| d.severity == crate::config::diag::Severity::Alert);
        self.diags.extend(extra);
        if refused {
            self.diags.push(Diagnostic::alert(
                "config : Fatal errors found in configuration.",
            ));
            return None;
        }
        Some(cfg)
    }

    /// The checks across sections; their diagnostics, and whether any is
    /// fatal. The logging checks run on the assembled model (`finish`).
    fn cross_check(&mut self) -> (Vec<Diagnostic>, bool) {
        let mut fatal = false;
        let mut diags = Vec::new();
        let n = self.drafts.len();
        for i in 0..n {
            // errorfiles sections resolve in declaration order; the last wins.
            let sources = self.drafts[i].errors.clone();
            let mut map = BTreeMap::new();
            for s in sources {
                match s {
                    ErrorSource::File(code, ef) => {
                        map.insert(code, ef);
                    }
                    ErrorSource::Section {
                        name,
                        codes,
                        location,
                    } => match self.http_errors.get(&name) {
                        Some(sec) => {
                            for (c, ef) in sec {
                                if codes.is_empty() || codes.contains(c) {
                                    map.insert(*c, ef.clone());
                                }
                            }
                        }
                        None => {
                            diags.push(Diagnostic::alert(format!(
                                "config : proxy '{}': unknown http-errors section '{name}' (at {}:{}).",
                                self.drafts[i].proxy.name,
                                location.file,
                                location.line
                            )));
                            fatal = true;
                        }
                    },
                }
            }
            self.drafts[i].proxy.errorfiles = map;
        }
        for i in 0..n {
            let p = &self.drafts[i].proxy;
            if p.disabled {
                continue;
            }
            if p.mode != Mode::Http {
                // 2.6's proxy_cfg_ensure_no_http, then its server loop.
                if p.cookie.is_some() {
                    diags.push(Diagnostic::warning(format!(
                        "config : cookie will be ignored for {} '{}' (needs 'mode http').",
                        type_str(p),
                        p.name
                    )));
                }
                if p.monitor_uri.is_some() {
                    diags.push(Diagnostic::warning(format!(
                        "config : monitor-uri will be ignored for {} '{}' (needs 'mode http').",
                        type_str(p),
                        p.name
                    )));
                }
                for srv in p.servers.iter().filter(|s| s.cookie.is_some()) {
                    diags.push(Diagnostic::warning(format!(
                        "config : {} '{}' : ignoring cookie for server '{}' as HTTP mode is disabled.",
                        type_str(p),
                        p.name,
                        srv.name
                    )));
                }
            }
            if p.cap.frontend && p.binds.is_empty() {
                diags.push(Diagnostic::warning(format!(
                    "config : {} '{}' has no 'bind' directive. Please declare it as a backend if this was intended.",
                    type_str(p),
                    p.name
                )));
            }
            if let Some(db) = &p.default_backend {
                match self.find_backend(db) {
                    None => {
                        diags.push(Diagnostic::alert(format!(
                            "config : Proxy '{}': unable to find required default_backend: '{db}'.",
                            p.name
                        )));
                        fatal = true;
                    }
                    Some(j) if j == i => {
                        diags.push(Diagnostic::alert(format!(
                            "config : Proxy '{}': loop detected for default_backend: '{db}'.",
                            p.name
                        )));
                        fatal = true;
                    }
                    Some(j) => {
                        if let Some(d) =
                            mode_clash(p, &self.drafts[j].proxy, "as its default backend")
                        {
                            diags.push(d);
                            fatal = true;
                        }
                    }
                }
            }
            for ub in &p.use_backends {
                if ub.dynamic {
                    continue;
                }
                match self.find_backend(&ub.backend) {
                    None => {
                        diags.push(Diagnostic::alert(format!(
                            "config : Proxy '{}': unable to find required use_backend: '{}'.",
                            p.name, ub.backend
                        )));
                        fatal = true;
                    }
                    Some(j) if j == i => {
                        diags.push(Diagnostic::alert(format!(
                            "config : Proxy '{}': loop detected for use_backend: '{}'.",
                            p.name, ub.backend
                        )));
                        fatal = true;
                    }
                    Some(j) => {
                        if let Some(d) =
                            mode_clash(p, &self.drafts[j].proxy, "in a 'use_backend' rule")
                        {
                            diags.push(d);
                            fatal = true;
                        }
                    }
                }
            }
            for us in &p.use_servers {
                if !p.servers.iter().any(|s| s.name == us.server) {
                    diags.push(Diagnostic::alert(format!(
                        "config : {} '{}' : unable to find server '{}' referenced in a 'use-server' rule.",
                        type_str(p),
                        p.name,
                        us.server
                    )));
                    fatal = true;
                }
            }
            let t = &p.timeouts;
            if (p.cap.frontend && t.client.is_none())
                || (p.cap.backend
                    && !p.servers.is_empty()
                    && (t.connect.is_none()
                        || (t.server.is_none() && (p.mode == Mode::Http || t.tunnel.is_none()))))
            {
                diags.push(Diagnostic::warning(format!(
                    "config : missing timeouts for {} '{}'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
                    type_str(p),
                    p.name
                )));
            }
            for (k, s) in p.servers.iter().enumerate() {
                if let Some(prev) = p.servers[..k].iter().find(|o| o.name == s.name) {
                    diags.push(Diagnostic::alert(format!(
                        "config : parsing [{}:{}] : {} '{}', another server named '{}' was already defined at line {}, please use distinct names.",
                        s.location.file,
                        s.location.line,
                        type_str(p),
                        p.name,
                        s.name,
                        prev.location.line
                    )));
                    fatal = true;
                }
            }
        }
        let proxies: Vec<&Proxy> = self.drafts.iter().map(|d| &d.proxy).collect();
        let stick_diags = super::stick::check_refs(&proxies);
        fatal |= !stick_diags.is_empty();
        diags.extend(stick_diags);
        (diags, fatal)
    }

    fn find_backend(&self, name: &str) -> Option<usize> {
        self.drafts
            .iter()
            .position(|d| d.proxy.cap.backend && d.proxy.name == name)
    }
}

/// 2.6 refuses an HTTP frontend handing traffic to a TCP backend.
fn mode_clash(fe: &Proxy, be: &Proxy, how: &str) -> Option<Diagnostic> {
    if fe.mode == Mode::Http && be.mode == Mode::Tcp {
        Some(Diagnostic::alert(format!(
            "config : http {} '{}' ({}:{}) tries to use incompatible tcp {} '{}' ({}:{}) {how} (see 'mode').",
            type_str(fe),
            fe.name,
            fe.location.file,
            fe.location.line,
            type_str(be),
            be.name,
            be.location.file,
            be.location.line
        )))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    fn alerts(text: &str) -> Vec<String> {
        let env = std::collections::HashMap::<String, String>::new();
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &env);
        out.diags
            .iter()
            .filter(|d| d.severity == crate::config::Severity::Alert)
            .map(|d| d.render(1))
            .collect()
    }

    #[test]
    fn a_missing_stick_table_is_reported_once_as_haproxy_does() {
        let a = alerts(
            "defaults\n    mode http\nbackend b\n    stick on src table nope\n    server s1 127.0.0.1:1\n",
        );
        let missing: Vec<_> = a
            .iter()
            .filter(|t| t.contains("Proxy 'b': unable to find stick-table 'nope'."))
            .collect();
        assert_eq!(missing.len(), 1, "{a:?}");
        assert!(a.last().is_some_and(|t| t.contains("Fatal errors found")));
    }

    #[test]
    fn a_reused_name_is_refused_only_where_the_capabilities_meet() {
        let a = alerts(
            "defaults\n    mode http\nfrontend x\n    bind :1\nbackend x\n    server s 127.0.0.1:1\n\
             backend y\n    server s 127.0.0.1:1\nlisten x\n    bind :2\n",
        );
        let dup: Vec<_> = a
            .iter()
            .filter(|t| t.contains("has the same name"))
            .collect();
        assert_eq!(dup.len(), 1, "{a:?}");
        assert!(
            dup[0].contains("[t.cfg:9]: ")
                && dup[0].contains("'x' has the same name as frontend 'x' declared at t.cfg:3."),
            "{}",
            dup[0]
        );
    }
}
