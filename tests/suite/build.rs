//! Integration tests of `casebook build` (issue 2): every page type of a small fixture digest,
//! links that resolve from disk and under a sub-path (on the fixture and on the real digest),
//! every content error with its position, all-or-nothing output, escaping, and themes.

mod errors;
mod escaping;
mod language;
mod lean;
mod links;
mod news;
mod output;
mod pages;
mod pagination;
mod refuse;
mod reuse;
mod split;
mod themes;
mod util;
