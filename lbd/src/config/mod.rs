//! Configuration: haproxy.cfg text in, typed and validated model out.

pub mod model;
