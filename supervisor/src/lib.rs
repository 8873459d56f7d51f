//! rampart-supervisor: runs the appliance's services (PID 1 on the box, an
//! ordinary process on a developer's host).
//!
//! - [`config`]: the services file model; [`order`]: start order.
//! - [`service`], [`plan`]: the life-cycle state machines, no I/O.
//! - [`notify`]: the sd_notify socket and parser; [`logbuf`]: output rings.
//! - [`runtime`]: processes, signals, timers around the plan.
//! - [`pid1`]: mounts, modules, reboot; [`boot`]: the boot blessing hook.
//! - [`bus`]: `org.rampart.Supervisor1` served over D-Bus.

pub mod boot;
pub mod bus;
pub mod config;
pub mod logbuf;
pub mod notify;
pub mod order;
pub mod pid1;
pub mod plan;
pub mod runtime;
pub mod service;
