//! `GET /invoices/{number}.pdf`: the invoice's PDF for the order's owner and staff, with
//! the bearer token. Anyone else, anonymous included, gets 404 (an invoice's existence is
//! not disclosed); a bad or expired token is 401, as on `/graphql`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::model::Invoicing;
use super::repo::{self, Key};
use crate::auth::Auth;
use crate::auth::viewer;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::http::answer::error_response;

/// What the download needs from the service's state.
#[derive(Clone)]
pub struct Downloads {
    pub pool: DbPool,
    pub auth: Auth,
    pub invoicing: Invoicing,
}

pub async fn download(
    State(downloads): State<Downloads>, Path(file): Path<String>, headers: HeaderMap,
) -> Response {
    let request_id = crate::http::request_id(&headers);
    match find_pdf(&downloads, &file, &headers).await {
        Ok(Some((number, pdf))) => {
            let disposition = format!("inline; filename=\"invoice-{number}.pdf\"");
            let mut response = (StatusCode::OK, pdf).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Ok(None) => error_response(&AppError::not_found(), &request_id),
        Err(error) => error_response(&error, &request_id),
    }
}

/// `2026-000123` from `2026-000123.pdf`, when it has that shape.
fn number_of(file: &str) -> Option<&str> {
    let number = file.strip_suffix(".pdf")?;
    let (year, seq) = number.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && (6..=10).contains(&seq.len()) && digits(year) && digits(seq))
        .then_some(number)
}

/// The number and PDF when the caller may have them; `None` is 404. Four statements at
/// most: the session, the invoice, and (first download before the job ran) the order and
/// its lines then keeping the PDF.
async fn find_pdf(
    downloads: &Downloads, file: &str, headers: &HeaderMap,
) -> AppResult<Option<(String, Vec<u8>)>> {
    let (Some(number), Some(token)) = (number_of(file), viewer::bearer_token(headers)?) else {
        return Ok(None);
    };
    let viewer = viewer::authenticate(&downloads.auth, &downloads.pool, &token).await?;
    let mut conn = downloads.pool.get().await?;
    let Some(stored) = repo::find(&mut conn, Key::Number(number)).await? else {
        return Ok(None);
    };
    if !viewer.is_staff() && stored.owner != Some(viewer.id()) {
        return Ok(None);
    }
    let number = stored.number.clone();
    let pdf = repo::pdf(&mut conn, stored, &downloads.invoicing.seller).await?;
    Ok(pdf.map(|pdf| (number, pdf)))
}
