//! Support for Rampart's end-to-end tests and benchmark harness.
