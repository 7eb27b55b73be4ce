//! casebook: a static site generator for case-study digests.
//!
//! The pipeline is `load -> model -> render ∥ index -> write`, one module per stage, each with
//! one public entry point that borrows the previous stage's output; [`pipeline`] runs it for
//! every command, with an observer for timings and progress:
//!
//! ```text
//! load::load(&Project)         -> Sources   (the only stage that reads the project;
//!                                           load::read_body reads a lean body again)
//! model::build(&Sources)       -> Site      (slugs, groups, order; Markdown parsed once,
//!                                           bodies kept lean in a large build)
//! render::render_into(&Site..) -> OutputFiles, to a Sink (pages, feeds, exports, statics)
//! index::index_into(&Site..)   -> OutputFiles, to a Sink (the browser's index)
//! write::Staging               (the only stage that writes the output)
//! ```
//! `urls` owns every page's address, `output` the files that flow from render and index to
//! write. `serve` and `check` consume the same model.

#![warn(missing_docs, unreachable_pub)]

pub mod check;
pub mod cite;
pub mod config;
pub mod error;
pub mod fingerprint;
pub mod i18n;
pub mod index;
pub mod load;
pub mod markdown;
pub mod media;
pub mod model;
pub mod new;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod search;
pub mod serve;
pub mod slug;
pub mod theme;
pub mod urls;
pub mod write;

pub use error::{Diagnostic, Error, Level, Result};
