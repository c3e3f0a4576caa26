//! Pure AR logic: no I/O, no terminal, no SQL. Every rule here follows DOMAIN.md.

pub mod aging;
pub mod alerts;
pub mod calendar;
pub mod kpi;
pub mod money;
pub mod months;
pub mod pace;
pub mod promise;
pub mod rhythm;
pub mod segment;
pub mod sla;
pub mod states;
pub mod template;
pub mod trust;
pub mod work;
