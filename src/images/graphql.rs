//! Product image API: staff upload, replace and delete; public reads (DC-1).

use std::io::Read;

use async_graphql::{Context, Object, Upload};

use super::model::{NewProductImage, ProductImageRow};
use super::repo;
use super::storage::{self, Media, check_image};
use crate::auth::guards::CatalogWrite;
use crate::error::{AppError, AppResult, OrNotFound};
use crate::graphql::context::ContextExt;

/// An image of a product.
#[derive(Clone)]
pub struct ProductImage(pub ProductImageRow);

#[Object]
impl ProductImage {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn product_id(&self) -> i64 {
        self.0.product_id
    }

    /// Absolute URL of the file (under `/media/`).
    async fn url(&self, ctx: &Context<'_>) -> AppResult<String> {
        Ok(ctx.shared::<Media>()?.url(&self.0.image))
    }

    async fn width(&self) -> i32 {
        self.0.width
    }

    async fn height(&self) -> i32 {
        self.0.height
    }
}

/// Reads an upload and checks it (real image by content, then size), off the runtime.
async fn checked_upload(
    ctx: &Context<'_>, upload: Upload,
) -> AppResult<(String, Vec<u8>, storage::CheckedImage)> {
    let value =
        upload.value(ctx).map_err(|_| AppError::bad_input("image", "No file was submitted."))?;
    let filename = value.filename.clone();
    let media = ctx.shared::<Media>()?;
    let (max, max_pixels) = (media.max_image_bytes, media.max_image_pixels);
    let mut file = value.content;
    let (bytes, checked) = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(AppError::internal)?;
        let checked = check_image(&bytes, max, max_pixels)?;
        Ok::<_, AppError>((bytes, checked))
    })
    .await
    .map_err(AppError::internal)??;
    Ok((filename, bytes, checked))
}

async fn require_product(ctx: &Context<'_>, product_id: i64) -> AppResult<()> {
    let mut conn = ctx.conn().await?;
    if crate::catalog::repo::product_exists(&mut conn, product_id).await? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

#[derive(Default)]
pub struct ImagesQuery;

#[Object]
impl ImagesQuery {
    /// Images of one product (empty for an unknown product; at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn product_images(
        &self, ctx: &Context<'_>, product_id: i64, #[graphql(default = 20)] first: Option<i32>,
    ) -> AppResult<Vec<ProductImage>> {
        let limit = crate::graphql::pagination::list_limit(first, 20)?;
        let mut conn = ctx.conn().await?;
        Ok(repo::list_for_product(&mut conn, product_id, limit)
            .await?
            .into_iter()
            .map(ProductImage)
            .collect())
    }

    async fn product_image(
        &self, ctx: &Context<'_>, product_id: i64, id: i64,
    ) -> AppResult<ProductImage> {
        let mut conn = ctx.conn().await?;
        repo::find(&mut conn, product_id, id).await.or_not_found().map(ProductImage)
    }
}

#[derive(Default)]
pub struct ImagesMutation;

#[Object]
impl ImagesMutation {
    /// Adds an image to a product (staff only; GraphQL multipart request). The file must
    /// be a real image of at most `MAX_IMAGE_SIZE_KB`.
    #[graphql(guard = "CatalogWrite")]
    async fn upload_product_image(
        &self, ctx: &Context<'_>, product_id: i64, image: Upload,
    ) -> AppResult<ProductImage> {
        require_product(ctx, product_id).await?;
        let new = store_upload(ctx, product_id, image).await?;
        let inserted = async {
            let mut conn = ctx.conn().await?;
            repo::insert(&mut conn, &new).await
        }
        .await;
        kept(ctx, &new.image, inserted).await.map(ProductImage)
    }

    /// Replaces an image's file; the old file is removed once the row points at the new
    /// one (staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn replace_product_image(
        &self, ctx: &Context<'_>, product_id: i64, id: i64, image: Upload,
    ) -> AppResult<ProductImage> {
        let old = {
            let mut conn = ctx.conn().await?;
            repo::find(&mut conn, product_id, id).await.or_not_found()?
        };
        let new = store_upload(ctx, product_id, image).await?;
        let replaced = async {
            let mut conn = ctx.conn().await?;
            repo::replace(&mut conn, id, &new).await.or_not_found()
        }
        .await;
        let row = kept(ctx, &new.image, replaced).await?;
        ctx.shared::<Media>()?.remove(&old.image).await;
        Ok(ProductImage(row))
    }

    /// Deletes an image and then its file (staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn delete_product_image(
        &self, ctx: &Context<'_>, product_id: i64, id: i64,
    ) -> AppResult<bool> {
        let path = {
            let mut conn = ctx.conn().await?;
            repo::delete(&mut conn, product_id, id).await.or_not_found()?
        };
        ctx.shared::<Media>()?.remove(&path).await;
        Ok(true)
    }
}

/// Checks an upload and stores its file: the row that is to point at it.
async fn store_upload(
    ctx: &Context<'_>, product_id: i64, image: Upload,
) -> AppResult<NewProductImage> {
    let (filename, bytes, checked) = checked_upload(ctx, image).await?;
    let media = ctx.shared::<Media>()?;
    let path = storage::store(media, &filename, checked.extension, bytes).await?;
    Ok(NewProductImage {
        product_id,
        image: path,
        width: i32::try_from(checked.width).unwrap_or(i32::MAX),
        height: i32::try_from(checked.height).unwrap_or(i32::MAX),
    })
}

/// The written row, or the error after removing the file at `path`: no orphan file for a
/// row that was never written.
async fn kept(
    ctx: &Context<'_>, path: &str, written: AppResult<ProductImageRow>,
) -> AppResult<ProductImageRow> {
    if written.is_err() {
        ctx.shared::<Media>()?.remove(path).await;
    }
    written
}
