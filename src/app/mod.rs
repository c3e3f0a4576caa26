//! The Elm-style core: keys become actions, `update` changes state and asks for effects.

pub mod acting;
pub mod action;
pub mod command;
pub mod dialog;
pub mod msg;
mod navigate;
mod offers;
pub mod state;
mod typing;
pub mod update;

pub use action::Action;
pub use msg::{Data, Effect, Msg};
pub use state::State;
pub use update::{init, start, update};
