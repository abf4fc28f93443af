//! The tags API: the tag list, and staff creating and deleting tags. Tagging a product is
//! the catalogue's (`tagProduct`, `untagProduct`).

use async_graphql::{Context, Object, SimpleObject};
use storefront_macros::paged;

use super::model::TagRow;
use super::repo::{self, TagsMatching};
use crate::auth::guards::CatalogWrite;
use crate::db::pagination::read_page;
use crate::error::{AppResult, FieldErrors};
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{Connection, Counter, PageArgs, PageRequest};
use crate::validation;

/// A tag (the course's `Tag`, shown by its label).
#[derive(SimpleObject, Debug, Clone)]
pub struct Tag {
    pub id: i64,
    pub label: String,
}

impl From<TagRow> for Tag {
    fn from(row: TagRow) -> Self {
        Self { id: row.id, label: row.label }
    }
}

/// The ordering signature of tag cursors.
const BY_LABEL: &str = "LABEL";

/// A tag label: required, at most 255 characters, trimmed.
pub fn label_of(label: &str) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    let label = validation::char_field(&mut errors, "label", label, Some(255), false);
    errors.into_result()?;
    Ok(label.unwrap_or_default())
}

#[derive(Default)]
pub struct TagsQuery;

#[paged]
#[Object]
impl TagsQuery {
    /// Tags by label, as a Relay connection; `search`: the label contains it
    /// (case-insensitive).
    async fn tags(
        &self, ctx: &Context<'_>, search: Option<String>, page: PageArgs,
    ) -> AppResult<Connection<Tag>> {
        let page = PageRequest::new(page, BY_LABEL)?;
        let source = TagsMatching(search.filter(|s| !s.trim().is_empty()));
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &source, &page).await?;
        let search = source.0.clone();
        let counter = Counter::new(move |mut conn| {
            let source = TagsMatching(search.clone());
            async move { repo::count_tags(&mut conn, &source).await }
        });
        Ok(Connection::from_keyset(rows, &page, BY_LABEL, Tag::from, counter))
    }
}

#[derive(Default)]
pub struct TagsMutation;

#[Object]
impl TagsMutation {
    /// A new tag (staff only); `BAD_USER_INPUT` when the label is taken.
    #[graphql(guard = "CatalogWrite")]
    async fn create_tag(&self, ctx: &Context<'_>, label: String) -> AppResult<Tag> {
        let label = label_of(&label)?;
        let mut conn = ctx.conn().await?;
        Ok(repo::create_tag(&mut conn, &label).await?.into())
    }

    /// Deletes a tag and its taggings (staff only); `false` when there was none.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_tag(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        repo::delete_tag(&mut conn, id).await
    }
}
