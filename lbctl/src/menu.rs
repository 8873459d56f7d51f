//! The numbered console menu: what the serial console's login program
//! (`lbctl-console`) shows, like the menus of commercial appliances. Each
//! entry runs the same code as the matching `lbctl` command; errors are
//! printed and the menu comes back. End of input or 0 leaves.

use std::io::Write;

use crate::{config::ConfigCmd, setup::SetupArgs, Cli, Cmd, Failure};

const ENTRIES: &[&str] = &[
    "Status of the services",
    "Load-balancer statistics",
    "Change a server (drain / ready / maint / weight)",
    "Configuration history",
    "Roll back the configuration",
    "Confirm an applied configuration",
    "Service logs",
    "Restart a service",
    "First-boot setup (address, password, hostname)",
    "Reboot",
    "Power off",
];

pub fn menu_text() -> String {
    let mut s = String::from("\nRampart console\n");
    for (i, e) in ENTRIES.iter().enumerate() {
        s += &format!("{:>3}) {e}\n", i + 1);
    }
    s += "  0) Exit\n";
    s
}

/// Reads answers without holding stdin's lock, which the setup wizard
/// takes for its own prompts.
struct Io;

impl Io {
    /// None at end of input.
    fn ask(&mut self, q: &str) -> Option<String> {
        print!("{q}");
        let _ = std::io::stdout().flush();
        let mut s = String::new();
        match std::io::stdin().read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s.trim().to_string()),
        }
    }
}

pub fn run(cli: &Cli) -> Result<(), Failure> {
    let mut io = Io;
    loop {
        print!("{}", menu_text());
        let Some(choice) = io.ask("Choice: ") else {
            println!();
            return Ok(());
        };
        let cmd = match choice.as_str() {
            "0" | "q" | "exit" => return Ok(()),
            "1" => Some(Cmd::Status),
            "2" => Some(Cmd::Stats),
            "3" => {
                let Some(target) = io.ask("BACKEND/SERVER: ") else {
                    return Ok(());
                };
                let Some(action) = io.ask("drain, ready, maint or weight N: ") else {
                    return Ok(());
                };
                let mut words = action.split_whitespace();
                let act = words.next().unwrap_or_default().to_string();
                let value = words.next().and_then(|w| w.parse().ok());
                Some(Cmd::Server {
                    target,
                    action: act,
                    value,
                })
            }
            "4" => Some(Cmd::Config(ConfigCmd::History)),
            "5" => {
                let Some(v) = io.ask("Version to restore (Enter: the previous one): ") else {
                    return Ok(());
                };
                match v.parse::<u32>() {
                    Ok(n) => Some(Cmd::Config(ConfigCmd::Rollback { version: Some(n) })),
                    Err(_) if v.is_empty() => {
                        Some(Cmd::Config(ConfigCmd::Rollback { version: None }))
                    }
                    Err(_) => {
                        println!("'{v}' is not a version number");
                        None
                    }
                }
            }
            "6" => Some(Cmd::Config(ConfigCmd::Confirm)),
            "7" => {
                let Some(s) = io.ask("Service (Enter: all): ") else {
                    return Ok(());
                };
                Some(Cmd::Logs {
                    service: (!s.is_empty()).then_some(s),
                    lines: 20,
                    follow: false,
                })
            }
            "8" => io
                .ask("Service: ")
                .filter(|s| !s.is_empty())
                .map(|service| Cmd::Restart { service }),
            "9" => Some(Cmd::Setup(SetupArgs::interactive())),
            "10" | "11" => {
                let what = if choice == "10" {
                    "reboot"
                } else {
                    "power off"
                };
                let yes = io.ask(&format!("Really {what}? [y/N] "));
                match yes.as_deref() {
                    Some("y") | Some("Y") | Some("yes") => Some(if choice == "10" {
                        Cmd::Reboot
                    } else {
                        Cmd::Poweroff
                    }),
                    _ => None,
                }
            }
            "" => None,
            other => {
                println!("'{other}': choose 0 to {}", ENTRIES.len());
                None
            }
        };
        if let Some(cmd) = cmd {
            let sub = Cli {
                cmd,
                json: false,
                ..cli.clone()
            };
            if let Err(Failure(_, msg)) = crate::run(&sub) {
                println!("error: {msg}");
            }
        }
    }
}
