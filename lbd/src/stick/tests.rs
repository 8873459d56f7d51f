//! Behaviour of whole tables: eviction, expiry, concurrency.
