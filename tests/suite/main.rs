//! The integration test binary: each module builds small fixture sites in temp folders and
//! asserts on the generated files, the exit status and stderr. Shared helpers live in `harness`.

#![allow(unreachable_pub)] // a test binary has no public API: `pub` here means "shared between test modules"

mod harness;

mod build;
mod check;
mod citing;
mod content;
mod map_compare;
mod photos;
mod reader;
mod reliability;
mod search;
mod serve;
mod workflow;
