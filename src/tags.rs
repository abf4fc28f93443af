//! Tags, as the course's `tags` app: any object can be tagged, named by its content type
//! (`(app_label, model)`, looked up by name, never by a hard-coded id) and its id. This
//! module knows nothing of what it tags: the catalogue tags products with it.

pub mod graphql;
pub mod model;
pub mod repo;
