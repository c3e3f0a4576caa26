//! settle: a keyboard-driven terminal console for accounts-receivable teams.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod domain;
pub mod store;
