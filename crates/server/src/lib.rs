//! The EdgeBase REST routes over the engine. Filled by the server issue; the crate exists so the
//! workspace layout is in place and the engine is proven to link without Node.

pub use edgebase_engine as engine;
