//! A case list as a downloaded file: CSV streamed a page at a time (so a long list never sits
//! in memory whole), or an Excel workbook built off the async threads. Both hold at most
//! [`MAX_ROWS`] rows; a longer list ends with a row that says it was cut.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yimen_engine::core::Actor;
use yimen_engine::store::search::CaseQuery;
use yimen_service::export::{self, MAX_ROWS};
use yimen_service::{AppState, access, list};

use crate::ApiError;

/// Rows read per page of an export.
const PAGE: i64 = 500;

fn cut_note(lang: &str) -> Vec<String> {
    vec![if lang == "en" {
        format!("… cut at {MAX_ROWS} rows: narrow the filters to export the rest")
    } else {
        format!("……超过 {MAX_ROWS} 行，以下未导出：请缩小筛选范围")
    }]
}

fn attachment(kind: &'static str, name: &str, body: Body) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Every case of the list as CSV (UTF-8 with a byte-order mark, CRLF lines), streamed.
pub async fn csv(s: Arc<AppState>, actor: Actor, mut q: CaseQuery, lang: String) -> Result<Response, ApiError> {
    q.limit = PAGE;
    q.after = None;
    // The first page is read before anything is sent, so a refusal is a clear error.
    let first = list::list(&s, &actor, &q).await?;
    let unmasked = access::sees_personal_data(s.engine.org(), &actor);
    let head = format!("\u{feff}{}", export::csv_line(&export::header(&lang)));
    let state = (Some(first), q, 0usize, Some(head));
    let stream = futures_util::stream::unfold(state, move |(page, mut q, sent, head)| {
        let (s, actor, lang) = (s.clone(), actor.clone(), lang.clone());
        async move {
            if let Some(h) = head {
                return Some((Ok::<_, std::io::Error>(h), (page, q, sent, None)));
            }
            let page = page?;
            let mut chunk = String::new();
            let mut sent = sent;
            for c in &page.cases {
                if sent >= MAX_ROWS {
                    chunk.push_str(&export::csv_line(&cut_note(&lang)));
                    return Some((Ok(chunk), (None, q, sent, None)));
                }
                chunk.push_str(&export::csv_line(&export::row(&s, c, unmasked, &lang)));
                sent += 1;
            }
            let next = match page.next {
                Some(cursor) => {
                    q.after = Some(cursor);
                    match list::next_page(&s, &actor, &q).await {
                        Ok(p) => Some(p),
                        Err(e) => {
                            // The download is cut short: the client sees an incomplete body.
                            tracing::error!("a CSV export stopped: {e}");
                            return Some((Err(std::io::Error::other(e.to_string())), (None, q, sent, None)));
                        }
                    }
                }
                None => None,
            };
            Some((Ok(chunk), (next, q, sent, None)))
        }
    });
    Ok(attachment(
        "text/csv; charset=utf-8",
        "cases.csv",
        Body::from_stream(stream),
    ))
}

/// Every case of the list as an Excel workbook.
pub async fn xlsx(s: Arc<AppState>, actor: Actor, mut q: CaseQuery, lang: String) -> Result<Response, ApiError> {
    q.limit = PAGE;
    q.after = None;
    let unmasked = access::sees_personal_data(s.engine.org(), &actor);
    let mut page = list::list(&s, &actor, &q).await?;
    let mut rows = Vec::new();
    loop {
        for c in &page.cases {
            if rows.len() >= MAX_ROWS {
                break;
            }
            rows.push(export::row(&s, c, unmasked, &lang));
        }
        match page.next {
            Some(cursor) if rows.len() < MAX_ROWS => {
                q.after = Some(cursor);
                page = list::next_page(&s, &actor, &q).await?;
            }
            Some(_) => {
                rows.push(cut_note(&lang));
                break;
            }
            None => break,
        }
    }
    let book = tokio::task::spawn_blocking(move || export::xlsx(&lang, &rows))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "export_failed", e))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "cases.xlsx",
        Body::from(book),
    ))
}
