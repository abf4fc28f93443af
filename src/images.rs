//! Product images: uploads validated by content, stored under `MEDIA_ROOT`, served at
//! `/media/` (spec part C §1.1-1.5, issue 6).

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
pub mod storage;
