//! Product images: uploads validated by content, stored under `MEDIA_ROOT`, served at
//! `/media/`.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
pub mod storage;
