//! Likes, as the course's `likes` app: a user likes any object, named by its content
//! type and id (see [`crate::tags`] for how objects are named). Deleting a user deletes
//! their likes; the catalogue deletes a product's likes with it.

pub mod repo;
