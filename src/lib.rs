#![deny(clippy::all)]
//! The napi binding of `@edgebase/native`: converts JS arguments, calls the engine, converts
//! results and errors. No storage decisions live here.
