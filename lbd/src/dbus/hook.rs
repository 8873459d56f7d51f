//! What the serving code tells the D-Bus service: each generation's runtime
//! API handle (so D-Bus server actions run the runtime API's own code) and
//! every server state change and reload (for signals).
//!
//! The serving code calls in here whether or not D-Bus is on; without it,
//! nothing is recorded beyond one pointer and the observer is unchanged.

use crate::api::Api;
use crate::check::state::Transition;
use crate::runtime::{ServerEvent, ServerObserver};
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, OnceLock};
use tokio::sync::mpsc;

/// Something the service turns into a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    ServerState {
        backend: String,
        server: String,
        state: &'static str,
    },
    Reloaded(u64),
}

static EVENTS: OnceLock<mpsc::UnboundedSender<Event>> = OnceLock::new();
static API: LazyLock<arc_swap::ArcSwapOption<Api>> = LazyLock::new(arc_swap::ArcSwapOption::empty);

/// Turns the hooks on; returns the receiving end (once per process).
pub fn enable() -> Option<mpsc::UnboundedReceiver<Event>> {
    let (tx, rx) = mpsc::unbounded_channel();
    EVENTS.set(tx).ok()?;
    Some(rx)
}

fn send(ev: Event) {
    if let Some(tx) = EVENTS.get() {
        // The service may have gone (bus lost): nothing to tell then.
        let _ = tx.send(ev);
    }
}

/// The observer a generation uses: `base`, plus the D-Bus signals when on.
pub fn observer(base: Arc<dyn ServerObserver>) -> Arc<dyn ServerObserver> {
    if EVENTS.get().is_some() {
        Arc::new(Tee { base })
    } else {
        base
    }
}

/// A generation is serving with `api` as its runtime API.
pub fn generation_started(id: u64, api: &Arc<Api>) {
    API.store(Some(api.clone()));
    if id > 1 {
        send(Event::Reloaded(id));
    }
}

/// The serving generation's runtime API.
pub fn current_api() -> Option<Arc<Api>> {
    API.load_full()
}

struct Tee {
    base: Arc<dyn ServerObserver>,
}

impl ServerObserver for Tee {
    fn on_change(&self, ev: &ServerEvent<'_>) {
        self.base.on_change(ev);
        if let Some(state) = state_word(ev.transition, ev.server.up.load(Ordering::Relaxed)) {
            send(Event::ServerState {
                backend: ev.backend.name.clone(),
                server: ev.server.name.clone(),
                state,
            });
        }
    }
}

/// The `show stat` word a transition leaves the server in; None for a
/// weight change, which is not a state.
pub fn state_word(t: &Transition, up: bool) -> Option<&'static str> {
    let up_or_down = if up { "UP" } else { "DOWN" };
    Some(match t {
        Transition::Down(_) => "DOWN",
        Transition::Up(_) => "UP",
        Transition::Stopping(_) => "NOLB",
        Transition::EnterDrain | Transition::StillDrain => "DRAIN",
        Transition::EnterMaint => "MAINT",
        Transition::LeaveDrain | Transition::LeaveMaint => up_or_down,
        Transition::Weight(_) => return None,
    })
}
