//! The GraphQL kernel that every domain uses: typed context access, the cost budget,
//! the one paginator's connection types, scalars and error codes. The schema itself is
//! composed from the domains in `crate::schema`.

pub mod context;
pub mod error_codes;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod persisted;
pub mod response_cache;
pub mod scalars;
