//! The I/O around the [`Plan`]: spawns processes, reaps every child (orphans
//! too, as a subreaper or PID 1), reads the notify socket, captures output,
//! runs readiness probes and timers, and executes the plan's steps. One task
//! owns the plan; everything else talks to it over channels.

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lbapi::dbus::{LogLine, ServiceStatus};
use nix::sys::signal::{kill, Signal as NixSignal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::boot::BootControl;
use crate::config::{Readiness, ServiceSpec, ServicesFile};
use crate::logbuf::LogRing;
use crate::notify::{parent_pid, NotifySocket};
use crate::plan::{Plan, Step};
use crate::service::{Action, ExitKind, Input, Signal};

/// What to do once every service has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Reboot,
    PowerOff,
    /// Host mode: the supervisor just exits.
    Exit,
}

/// Requests from D-Bus (or tests) to the task that owns the plan.
#[derive(Debug)]
pub enum Request {
    Status(oneshot::Sender<Vec<ServiceStatus>>),
    Start(String, oneshot::Sender<Result<(), String>>),
    Stop(String, oneshot::Sender<Result<(), String>>),
    Restart(String, oneshot::Sender<Result<(), String>>),
    Shutdown(PowerAction),
}

/// Cloneable access to a running supervisor.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::Sender<Request>,
    logs: Arc<Mutex<HashMap<String, LogRing>>>,
    pub host_mode: bool,
}

impl Handle {
    pub async fn statuses(&self) -> Vec<ServiceStatus> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Request::Status(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    pub async fn request(
        &self,
        make: fn(String, oneshot::Sender<Result<(), String>>) -> Request,
        service: &str,
    ) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(make(service.to_string(), tx))
            .await
            .map_err(|_| "the supervisor is shutting down".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the supervisor is shutting down".into()))
    }

    pub async fn shutdown(&self, action: PowerAction) {
        let _ = self.tx.send(Request::Shutdown(action)).await;
    }

    /// `None` for an unknown service.
    pub fn log_tail(&self, service: &str, n: usize) -> Option<Vec<LogLine>> {
        let logs = self.logs.lock().ok()?;
        logs.get(service).map(|r| r.tail(n))
    }

    pub fn log_since(&self, service: &str, after: u64) -> Option<Vec<LogLine>> {
        let logs = self.logs.lock().ok()?;
        logs.get(service).map(|r| r.since(after))
    }
}

pub struct Options {
    /// Where the notify socket lives.
    pub run_dir: PathBuf,
    /// Echo service output to our stdout with a `name| ` prefix.
    pub echo: bool,
    pub boot: Box<dyn BootControl>,
    /// PID 1 mode: signals mean reboot/poweroff rather than exit.
    pub pid1: bool,
}

/// Events from helper tasks to the plan's task.
enum Event {
    Probe(usize),
    BusReady(Result<zbus::Connection, String>),
}

/// A running supervisor: the handle to it and its task's result.
pub struct Supervisor {
    pub handle: Handle,
    rx: mpsc::Receiver<Request>,
    file: ServicesFile,
    opts: Options,
}

impl Supervisor {
    pub fn new(file: ServicesFile, opts: Options) -> Supervisor {
        let (tx, rx) = mpsc::channel(64);
        let logs = file
            .services
            .iter()
            .map(|s| (s.name.clone(), LogRing::new(s.log_lines)))
            .collect();
        Supervisor {
            handle: Handle {
                tx,
                logs: Arc::new(Mutex::new(logs)),
                host_mode: !opts.pid1,
            },
            rx,
            file,
            opts,
        }
    }

    /// Runs until a shutdown request has stopped every service.
    pub async fn run(self) -> std::io::Result<PowerAction> {
        let Supervisor {
            handle,
            mut rx,
            file,
            mut opts,
        } = self;
        // Signal streams first, so no SIGCHLD of an early child is missed.
        let mut sigchld = signal(SignalKind::child())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigusr1 = signal(SignalKind::user_defined1())?;
        let mut sigusr2 = signal(SignalKind::user_defined2())?;
        std::fs::create_dir_all(&opts.run_dir)?;
        let notify = NotifySocket::bind(&opts.run_dir.join("notify.sock"))?;
        let start = Instant::now();
        let mut plan = Plan::new(&file.services, start.into_std())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(64);
        let mut rt = Runtime {
            specs: file.services.clone(),
            pgids: vec![0; file.services.len()],
            handle: handle.clone(),
            notify_path: notify.path().to_path_buf(),
            echo: opts.echo,
            ev_tx: ev_tx.clone(),
        };
        let bus_service = file
            .supervisor
            .bus_service
            .as_deref()
            .and_then(|n| plan.index(n));
        let mut bus: Option<zbus::Connection> = None;
        if let (Some(addr), None) = (&file.supervisor.bus, bus_service) {
            connect_bus(addr.clone(), handle.clone(), ev_tx.clone());
        }
        let mut power: Option<PowerAction> = None;
        let steps = plan.start_all(Instant::now().into_std());
        let mut pending = steps;
        let mut reap_tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            // Executing a step may yield more (a spawn makes a service ready,
            // which starts its dependents): run them all before waiting.
            let mut queue: std::collections::VecDeque<Step> = std::mem::take(&mut pending).into();
            while let Some(step) = queue.pop_front() {
                match step {
                    Step::AllStopped => {
                        say("all services stopped");
                        drop(bus);
                        return Ok(power.unwrap_or(PowerAction::Exit));
                    }
                    Step::Bless => match opts.boot.bless() {
                        Ok(()) => say(&format!("boot blessed ({})", opts.boot.name())),
                        Err(e) => say(&format!("cannot bless the boot: {e}")),
                    },
                    Step::Service(i, Action::BecameReady) => {
                        say(&format!("{}: ready", plan.service(i).name));
                        if Some(i) == bus_service {
                            if let Some(addr) = &file.supervisor.bus {
                                connect_bus(addr.clone(), handle.clone(), ev_tx.clone());
                            }
                        }
                    }
                    Step::Service(i, action) => {
                        let now = Instant::now().into_std();
                        queue.extend(rt.execute(&mut plan, i, action, now));
                    }
                }
            }
            let deadline = plan.next_deadline().map(Instant::from_std);
            tokio::select! {
                _ = sigchld.recv() => pending = rt.reap(&mut plan),
                _ = reap_tick.tick() => pending = rt.reap(&mut plan),
                r = notify.readable() => {
                    if r.is_ok() {
                        pending = rt.read_notify(&mut plan, &notify);
                    }
                }
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                    pending = plan.on_time(Instant::now().into_std());
                }
                Some(ev) = ev_rx.recv() => match ev {
                    Event::Probe(i) => pending = plan.handle(Instant::now().into_std(), i, Input::ProbeOk),
                    Event::BusReady(Ok(c)) => { say("serving org.rampart.Supervisor1 on D-Bus"); bus = Some(c); }
                    Event::BusReady(Err(e)) => say(&format!("D-Bus unavailable: {e}")),
                },
                Some(req) = rx.recv() => pending = handle_request(&mut plan, req, &mut power),
                _ = sigterm.recv() => pending = shutdown(&mut plan, &mut power, if opts.pid1 { PowerAction::Reboot } else { PowerAction::Exit }),
                _ = sigint.recv() => pending = shutdown(&mut plan, &mut power, if opts.pid1 { PowerAction::Reboot } else { PowerAction::Exit }),
                _ = sigusr1.recv() => pending = shutdown(&mut plan, &mut power, if opts.pid1 { PowerAction::PowerOff } else { PowerAction::Exit }),
                _ = sigusr2.recv() => pending = shutdown(&mut plan, &mut power, if opts.pid1 { PowerAction::PowerOff } else { PowerAction::Exit }),
            }
        }
    }
}

fn say(msg: &str) {
    eprintln!("supervisor: {msg}");
}

fn shutdown(plan: &mut Plan, power: &mut Option<PowerAction>, action: PowerAction) -> Vec<Step> {
    if power.is_some() {
        return Vec::new();
    }
    say(&format!("stopping all services ({action:?})"));
    *power = Some(action);
    plan.stop_all(Instant::now().into_std())
}

fn handle_request(plan: &mut Plan, req: Request, power: &mut Option<PowerAction>) -> Vec<Step> {
    let now = Instant::now().into_std();
    let (name, reply, input) = match req {
        Request::Status(reply) => {
            let _ = reply.send(plan.statuses(now));
            return Vec::new();
        }
        Request::Shutdown(action) => return shutdown(plan, power, action),
        Request::Start(n, r) => (n, r, Input::Start),
        Request::Stop(n, r) => (n, r, Input::Stop),
        Request::Restart(n, r) => (n, r, Input::Restart),
    };
    let Some(i) = plan.index(&name) else {
        let _ = reply.send(Err(format!("no service named '{name}'")));
        return Vec::new();
    };
    if plan.is_shutting_down() {
        let _ = reply.send(Err("the supervisor is shutting down".into()));
        return Vec::new();
    }
    let steps = plan.handle(now, i, input);
    let _ = reply.send(Ok(()));
    steps
}

fn connect_bus(addr: String, handle: Handle, tx: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        let r = crate::bus::serve(&addr, handle).await;
        let _ = tx.send(Event::BusReady(r.map_err(|e| e.to_string()))).await;
    });
}

struct Runtime {
    specs: Vec<ServiceSpec>,
    /// The process group of each service's current run (its first pid), 0 if none.
    pgids: Vec<u32>,
    handle: Handle,
    notify_path: PathBuf,
    echo: bool,
    ev_tx: mpsc::Sender<Event>,
}

impl Runtime {
    fn execute(
        &mut self,
        plan: &mut Plan,
        i: usize,
        action: Action,
        now: std::time::Instant,
    ) -> Vec<Step> {
        match action {
            Action::Spawn => match self.spawn(i) {
                Ok(pid) => {
                    self.pgids[i] = pid;
                    plan.handle(now, i, Input::Spawned { pid })
                }
                Err(e) => plan.handle(now, i, Input::SpawnFailed(e)),
            },
            Action::Signal(sig) => {
                let pid = plan.service(i).pid();
                // Never pid 0 or -1: those mean "our group" and "everyone".
                if pid > 1 {
                    let s = match sig {
                        Signal::Term => NixSignal::SIGTERM,
                        Signal::Kill => NixSignal::SIGKILL,
                    };
                    let _ = kill(Pid::from_raw(pid as i32), s);
                    if sig == Signal::Kill {
                        self.kill_group(i);
                    }
                }
                Vec::new()
            }
            Action::Probe => {
                let target = self.specs[i].ready.clone();
                let tx = self.ev_tx.clone();
                tokio::spawn(async move {
                    if probe(&target).await {
                        let _ = tx.send(Event::Probe(i)).await;
                    }
                });
                Vec::new()
            }
            Action::Down => {
                self.kill_group(i);
                Vec::new()
            }
            Action::Say(msg) => {
                say(&msg);
                Vec::new()
            }
            Action::BecameReady => Vec::new(),
        }
    }

    /// Kills what is left of a service's process group (helpers it forked).
    fn kill_group(&mut self, i: usize) {
        let pg = self.pgids[i];
        if pg > 1 {
            let _ = kill(Pid::from_raw(-(pg as i32)), NixSignal::SIGKILL);
        }
    }

    fn spawn(&mut self, i: usize) -> Result<u32, String> {
        let spec = &self.specs[i];
        let mut cmd = Command::new(&spec.command[0]);
        cmd.args(&spec.command[1..])
            .envs(&spec.env)
            .env("NOTIFY_SOCKET", &self.notify_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a kill reaches the helpers it forks.
            .process_group(0);
        if let Some(w) = spec.watchdog {
            cmd.env("WATCHDOG_USEC", w.as_micros().to_string());
        }
        if nix::unistd::geteuid().is_root() {
            if let Some(g) = &spec.group {
                let gid = nix::unistd::Group::from_name(g)
                    .ok()
                    .flatten()
                    .ok_or_else(|| format!("unknown group '{g}'"))?
                    .gid;
                cmd.gid(gid.as_raw());
            }
            if let Some(u) = &spec.user {
                let user = nix::unistd::User::from_name(u)
                    .ok()
                    .flatten()
                    .ok_or_else(|| format!("unknown user '{u}'"))?;
                if spec.group.is_none() {
                    cmd.gid(user.gid.as_raw());
                }
                cmd.uid(user.uid.as_raw());
            }
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", spec.command[0]))?;
        let pid = child.id();
        let name = spec.name.clone();
        if let Some(out) = child.stdout.take() {
            self.capture(name.clone(), "out", out.into());
        }
        if let Some(err) = child.stderr.take() {
            self.capture(name, "err", err.into());
        }
        // The reaper (waitpid(-1)) collects it; dropping a Child neither
        // waits nor kills.
        drop(child);
        Ok(pid)
    }

    fn capture(&self, name: String, stream: &'static str, fd: std::os::fd::OwnedFd) {
        let logs = self.handle.logs.clone();
        let echo = self.echo;
        tokio::spawn(async move {
            let Ok(pipe) = tokio::net::unix::pipe::Receiver::from_owned_fd(fd) else {
                return;
            };
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if echo {
                    println!("{name}| {line}");
                }
                if let Ok(mut l) = logs.lock() {
                    if let Some(r) = l.get_mut(&name) {
                        r.push(stream, line);
                    }
                }
            }
        });
    }

    /// Collects every exited child; main processes feed their service.
    fn reap(&mut self, plan: &mut Plan) -> Vec<Step> {
        let mut steps = Vec::new();
        loop {
            let (pid, kind) = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, ExitKind::Code(code)),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid, ExitKind::Signal(sig as i32)),
                Ok(WaitStatus::StillAlive) | Err(_) => return steps,
                Ok(_) => continue,
            };
            let pid = pid.as_raw() as u32;
            if let Some(i) = (0..plan.len()).find(|&i| plan.service(i).pid() == pid) {
                steps.extend(plan.handle(Instant::now().into_std(), i, Input::Exited(kind)));
            }
        }
    }

    fn read_notify(&mut self, plan: &mut Plan, sock: &NotifySocket) -> Vec<Step> {
        let mut steps = Vec::new();
        while let Ok(d) = sock.recv() {
            let Some(i) = self.owner(plan, d.pid) else {
                continue;
            };
            steps.extend(plan.handle(Instant::now().into_std(), i, Input::Notify(d.message)));
        }
        steps
    }

    /// The service a pid belongs to: its main process, or a descendant of it.
    fn owner(&self, plan: &Plan, mut pid: u32) -> Option<usize> {
        for _ in 0..8 {
            if pid <= 1 {
                return None;
            }
            if let Some(i) = (0..plan.len()).find(|&i| {
                plan.service(i).pid() == pid
                    || (plan.service(i).is_running() && self.pgids[i] == pid)
            }) {
                return Some(i);
            }
            pid = parent_pid(pid)?;
        }
        None
    }
}

async fn probe(target: &Readiness) -> bool {
    let t = Duration::from_millis(500);
    match target {
        Readiness::Tcp(port) => matches!(
            tokio::time::timeout(t, tokio::net::TcpStream::connect(("127.0.0.1", *port))).await,
            Ok(Ok(_))
        ),
        Readiness::Unix(path) => matches!(
            tokio::time::timeout(t, tokio::net::UnixStream::connect(path)).await,
            Ok(Ok(_))
        ),
        _ => false,
    }
}
