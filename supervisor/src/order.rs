//! Start order from the services' `after` lists: a topological sort that
//! keeps file order among services free to start, and names the cycle when
//! there is one. Stop order is the reverse.

use crate::config::ServiceSpec;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("'{service}' needs '{missing}', which is not defined")]
    Unknown { service: String, missing: String },
    #[error("dependency cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// Indices into `services`, each after everything it needs.
pub fn start_order(services: &[ServiceSpec]) -> Result<Vec<usize>, OrderError> {
    let index = |name: &str| services.iter().position(|s| s.name == name);
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(services.len());
    for s in services {
        let mut d = Vec::new();
        for a in &s.after {
            match index(a) {
                Some(i) => d.push(i),
                None => {
                    return Err(OrderError::Unknown {
                        service: s.name.clone(),
                        missing: a.clone(),
                    })
                }
            }
        }
        deps.push(d);
    }
    let mut placed = vec![false; services.len()];
    let mut order = Vec::with_capacity(services.len());
    while order.len() < services.len() {
        // The first (in file order) service whose needs are all placed.
        let next = (0..services.len()).find(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            None => return Err(OrderError::Cycle(find_cycle(services, &deps, &placed))),
        }
    }
    Ok(order)
}

/// Walks unplaced services along their unplaced needs until one repeats.
fn find_cycle(services: &[ServiceSpec], deps: &[Vec<usize>], placed: &[bool]) -> Vec<String> {
    let Some(mut at) = (0..services.len()).find(|&i| !placed[i]) else {
        return Vec::new();
    };
    let mut path: Vec<usize> = Vec::new();
    loop {
        if let Some(pos) = path.iter().position(|&p| p == at) {
            let mut cycle: Vec<String> = path[pos..]
                .iter()
                .map(|&i| services[i].name.clone())
                .collect();
            cycle.push(services[at].name.clone());
            return cycle;
        }
        path.push(at);
        // Every unplaced service has at least one unplaced need, or it would
        // have been placed.
        match deps[at].iter().copied().find(|&d| !placed[d]) {
            Some(d) => at = d,
            None => return path.iter().map(|&i| services[i].name.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ServicesFile, Vars};
    use std::path::Path;

    fn specs(list: &[(&str, &[&str])]) -> Vec<ServiceSpec> {
        let mut text = String::new();
        for (name, after) in list {
            let after: Vec<String> = after.iter().map(|a| format!("\"{a}\"")).collect();
            text += &format!(
                "[[service]]\nname = \"{name}\"\ncommand = [\"true\"]\nafter = [{}]\n",
                after.join(",")
            );
        }
        let file: ServicesFile = toml::from_str(&text).unwrap();
        let _ = (Path::new(""), Vars::default());
        file.services
    }

    fn names(s: &[ServiceSpec], o: &[usize]) -> Vec<String> {
        o.iter().map(|&i| s[i].name.clone()).collect()
    }

    #[test]
    fn dependencies_first_file_order_otherwise() {
        let s = specs(&[
            ("console", &["sshd"]),
            ("lbd", &["dbus"]),
            ("dbus", &[]),
            ("sshd", &["lbd"]),
            ("keepalived", &["lbd"]),
        ]);
        let o = start_order(&s).unwrap();
        assert_eq!(
            names(&s, &o),
            ["dbus", "lbd", "sshd", "console", "keepalived"]
        );
    }

    #[test]
    fn cycle_is_named() {
        let s = specs(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        let e = start_order(&s).unwrap_err();
        assert_eq!(e.to_string(), "dependency cycle: a -> b -> c -> a");
        let s = specs(&[("self", &["self"])]);
        assert_eq!(
            start_order(&s).unwrap_err().to_string(),
            "dependency cycle: self -> self"
        );
    }
}
