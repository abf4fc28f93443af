//! Image validation and the file store under `MEDIA_ROOT`.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use image::ImageReader;

use crate::error::{AppError, FieldErrors};

pub const INVALID_IMAGE: &str =
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";
/// Folder (under `MEDIA_ROOT`) of product images.
pub const IMAGE_DIR: &str = "store/images";

/// Where uploads go and how they are published.
#[derive(Debug, Clone)]
pub struct Media {
    pub root: PathBuf,
    /// Absolute base URL, without a trailing slash.
    pub public_base_url: String,
    pub max_image_bytes: usize,
    /// Largest image accepted, in pixels (checked from the header, before decoding).
    pub max_image_pixels: u64,
}

impl Media {
    /// The absolute URL of a stored file.
    pub fn url(&self, relative: &str) -> String {
        format!("{}/media/{relative}", self.public_base_url)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Removes a stored file; a missing file is fine (best effort, logged).
    pub async fn remove(&self, relative: &str) {
        if let Err(error) = tokio::fs::remove_file(self.path(relative)).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, file = relative, "could not remove a media file");
        }
    }
}

/// A decoded upload: its format's extension and its dimensions.
pub struct CheckedImage {
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Django's order: a real image (decoded by content, not by name) first, then the
/// size limit (a file of exactly the limit is accepted).
///
/// The dimensions are read from the header first: an image of more than `max_pixels`
/// pixels is refused as invalid without being decoded, so a small file that would decode
/// to hundreds of megabytes costs nothing.
pub fn check_image(
    bytes: &[u8], max_bytes: usize, max_pixels: u64,
) -> Result<CheckedImage, AppError> {
    let invalid = || AppError::bad_input("image", INVALID_IMAGE);
    let reader =
        || ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| invalid());
    let (width, height) = reader()?.into_dimensions().map_err(|_| invalid())?;
    if u64::from(width) * u64::from(height) > max_pixels {
        tracing::info!(width, height, max_pixels, "refused an image over MAX_IMAGE_PIXELS");
        return Err(invalid());
    }
    let reader = reader()?;
    let format = reader.format().ok_or_else(invalid)?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(width);
    decoder_limits.max_image_height = Some(height);
    let mut reader = reader;
    reader.limits(decoder_limits);
    let decoded = reader.decode().map_err(|_| invalid())?;
    if bytes.len() > max_bytes {
        let mut errors = FieldErrors::new();
        errors.add("image", format!("Files cannot be larger than {}KB!", max_bytes / 1024));
        errors.into_result()?;
    }
    Ok(CheckedImage {
        extension: format.extensions_str().first().copied().unwrap_or("img"),
        width: decoded.width(),
        height: decoded.height(),
    })
}

/// A safe file stem from an uploaded name: letters, digits, `-` and `_`, at most 100.
pub fn sanitize_stem(filename: &str) -> String {
    let name = Path::new(filename)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(100)
        .collect();
    let stem = stem.trim_matches('_').to_owned();
    if stem.is_empty() { "image".to_owned() } else { stem }
}

fn random_suffix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id.chars().filter(char::is_ascii_alphanumeric).take(7).collect()
}

/// Writes `bytes` as a new file `store/images/<stem>.<ext>`, adding `_<7 alnum>` when the
/// name is taken (never overwriting). Returns the relative path.
pub async fn store(
    media: &Media, filename: &str, extension: &str, bytes: Vec<u8>,
) -> Result<String, AppError> {
    let dir = media.root.join(IMAGE_DIR);
    let stem = sanitize_stem(filename);
    let extension = extension.to_owned();
    tokio::task::spawn_blocking(move || -> Result<String, AppError> {
        std::fs::create_dir_all(&dir).map_err(AppError::internal)?;
        for attempt in 0..20 {
            let name = if attempt == 0 {
                format!("{stem}.{extension}")
            } else {
                format!("{stem}_{}.{extension}", random_suffix())
            };
            match std::fs::OpenOptions::new().write(true).create_new(true).open(dir.join(&name)) {
                Ok(mut file) => {
                    if let Err(error) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
                        let _ = std::fs::remove_file(dir.join(&name));
                        return Err(AppError::internal(error));
                    }
                    return Ok(format!("{IMAGE_DIR}/{name}"));
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(AppError::internal(error)),
            }
        }
        Err(AppError::internal(anyhow::anyhow!("no free file name for {stem}")))
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_sanitised() {
        assert_eq!(sanitize_stem("dog.jpg"), "dog");
        assert_eq!(sanitize_stem("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_stem("my photo (1).PNG"), "my_photo__1");
        assert_eq!(sanitize_stem(".."), "image");
        assert_eq!(sanitize_stem("ünïcode.png"), "n_code");
    }
}
