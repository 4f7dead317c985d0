//! Who a request is: a service key (EdgeBase's scope engine) and/or a user from a JWT.

pub mod jwt;
pub mod service_key;

pub use jwt::AuthContext;
pub use service_key::{Ctx, KeyCheck, Keymap};
