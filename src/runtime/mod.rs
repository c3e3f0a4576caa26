//! The runtime: the event loop, the effects run as tokio tasks, the live feed, the terminal
//! guard and the clipboard. Everything here does I/O; the logic it serves is in `app`.

mod acts;
pub mod console;
pub mod drafts;
pub mod effects;
pub mod headless;
mod input;
pub mod shared_overview;
pub mod stores;
pub mod term;
