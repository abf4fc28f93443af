//! DataLoaders of the identity domain.

use super::model::UserRow;
use super::repo;
use crate::graphql::loaders::batch_loader;

batch_loader!(
    /// `Customer.user` and other links to users.
    UserById => UserRow, repo::users_by_ids, one by id
);
