//! casebook: a static site generator for case-study digests.
//!
//! The pipeline is `load -> model -> render -> index -> write`, one module per stage, each with
//! one public entry point that borrows the previous stage's output:
//!
//! ```text
//! load::load(&Project)      -> Sources     (the only stage that reads the project)
//! model::build(&Sources)    -> Site        (slugs, groups, order; Markdown parsed once)
//! render::render(&Site, ..) -> Vec<OutputFile>
//! index::index(&Site)       -> SearchIndex (tantivy + the browser's static index)
//! write::write(..)                         (the only stage that writes the output)
//! ```
//! `serve` and `check` consume the same model.

#![warn(missing_docs, unreachable_pub)]

pub mod build;
pub mod check;
pub mod config;
pub mod error;
pub mod index;
pub mod load;
pub mod markdown;
pub mod model;
pub mod new;
pub mod output;
pub mod render;
pub mod search;
pub mod serve;
pub mod slug;
pub mod theme;
pub mod urls;
pub mod write;

pub use error::{Diagnostic, Error, Level, Result};
