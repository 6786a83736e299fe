//! A case's files (附件) on the pages: each attachment field's files with thumbnails for images,
//! a form to add more, downloads (recorded in the history) and the files sent with the intake
//! form or an action's form, each refused file named with what is wrong in the reader's words.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use yimen_engine::attachment::format_size;
use yimen_engine::core::{Actor, Case};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::model::case_type::{Field, FieldType};
use yimen_engine::store::attachments::Attachment;
use yimen_service::files::{self, Problem, ReceiveError, Refused};

use super::Ctx;
use super::i18n::{Lang, t};
use yimen_http::{AppState, FormData};

/// One file as the case page lists it.
pub struct FileRow {
    pub href: String,
    pub thumb: Option<String>,
    pub name: String,
    pub size: String,
    pub who: String,
    pub when: String,
}

/// An attachment field's files and the form to add more.
pub struct FilePanel {
    pub field: String,
    pub label: String,
    pub files: Vec<FileRow>,
    pub can_add: bool,
    pub accept: String,
    pub limits: String,
    pub error: Option<String>,
}

/// A refused file's problem in the reader's words.
fn problem_text(lang: Lang, r: &Refused) -> String {
    let kind_name = |m: &str| {
        yimen_engine::attachment::kind(m).map_or_else(
            || m.to_owned(),
            |k| t(lang, &format!("kind.{}", k.extensions[0])).to_owned(),
        )
    };
    let what = match &r.problem {
        Problem::Empty => t(lang, "file.empty").to_owned(),
        Problem::TooLarge(max) => t(lang, "file.too_large").replace("{size}", &format_size(*max)),
        Problem::Unknown => t(lang, "file.unknown").to_owned(),
        Problem::Mismatch(d, f) => t(lang, "file.mismatch")
            .replace("{declared}", &kind_name(d))
            .replace("{found}", &kind_name(f)),
        Problem::NotAccepted(f) => t(lang, "file.not_accepted").replace("{kind}", &kind_name(f)),
        Problem::Damaged => t(lang, "file.damaged").to_owned(),
        Problem::TooMany(n) => t(lang, "file.too_many").replace("{n}", &n.to_string()),
    };
    if r.name.is_empty() {
        what
    } else {
        format!("{}：{what}", r.name)
    }
}

/// A refusal other than a file's in the reader's words where its code is known.
pub fn said(lang: Lang, e: &yimen_service::Error) -> String {
    super::i18n::refusal(lang, e.code(), e.detail())
}

/// Every refused file's problem, one sentence each.
pub fn refusal_text(lang: Lang, list: &[Refused]) -> String {
    list.iter()
        .map(|r| problem_text(lang, r))
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "；" } else { "; " })
}

/// The files sent with a form (in `file.<field>` parts), stored for their fields: each field's
/// new references added to the form as `f.<field>` values (so the command names them, and a
/// form drawn again keeps them), or each field's refusal in the reader's words.
pub async fn receive_form(
    s: &AppState,
    actor: &Actor,
    def: &CaseTypeFile,
    case: Option<&Case>,
    form: &mut FormData,
    lang: Lang,
) -> Result<(), Vec<(String, String)>> {
    let mut refused = Vec::new();
    for (fid, _) in def.fields.iter().filter(|(_, f)| f.ty == FieldType::Attachment) {
        let sent = form.files_of(&format!("file.{fid}"));
        if sent.is_empty() {
            continue;
        }
        let key = format!("f.{fid}");
        let kept = form.fields.iter().filter(|(k, _)| *k == key).count();
        let held = case.map_or(0, |c| yimen_engine::core::command::references(c, fid).count());
        match files::receive(s, actor, &def.id, fid, sent, kept.max(held)).await {
            Ok(got) => form.fields.extend(got.into_iter().map(|r| (key.clone(), r.id))),
            Err(ReceiveError::Refused(list)) => refused.push((fid.clone(), refusal_text(lang, &list))),
            Err(ReceiveError::Other(e)) => refused.push((fid.clone(), said(lang, &e))),
        }
    }
    if refused.is_empty() { Ok(()) } else { Err(refused) }
}

/// The names of the files a form names (those the reader uploaded or may see), to show them
/// again beside the field.
pub async fn names(s: &AppState, form: &[(String, String)]) -> HashMap<String, String> {
    let refs: Vec<String> = form
        .iter()
        .filter(|(k, v)| k.starts_with("f.") && yimen_engine::attachment::is_reference(v))
        .map(|(_, v)| v.clone())
        .collect();
    let found = s.engine.store().attachments(&refs).await.unwrap_or_default();
    found.into_iter().map(|a| (a.id, a.name)).collect()
}

fn row(s: &AppState, case_id: &str, a: &Attachment, lang: Lang) -> FileRow {
    let href = format!("/cases/{case_id}/attachments/{}", a.id);
    FileRow {
        thumb: a.thumbnail.then(|| format!("{href}/thumbnail")),
        href,
        name: if a.name.is_empty() {
            t(lang, "file.erased").to_owned()
        } else {
            a.name.clone()
        },
        size: format_size(a.size),
        who: super::case_history::who(s, &a.uploaded_by, lang),
        when: super::local_ms(s, a.uploaded_at),
    }
}

/// The case page's file panels, one per attachment field the reader may see, and the names of
/// the files the reader may see (for the history's downloads).
pub async fn panels(
    s: &AppState,
    def: &CaseTypeFile,
    case: &Case,
    actor: &Actor,
    lang: Lang,
    failed: Option<(&str, &str)>,
) -> Result<(Vec<FilePanel>, HashMap<String, String>), yimen_engine::store::StoreError> {
    let fields: Vec<(&String, &Field)> = def
        .fields
        .iter()
        .filter(|(_, f)| f.ty == FieldType::Attachment)
        .collect();
    if fields.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let all = s.engine.store().attachments_of(&case.id).await?;
    let sees = yimen_service::access::sees_personal_data(s.engine.org(), actor);
    let mut out = Vec::new();
    let mut names = HashMap::new();
    for (fid, f) in fields {
        if f.is_personal() && !sees {
            continue;
        }
        names.extend(
            all.iter()
                .filter(|a| a.field == *fid)
                .map(|a| (a.id.clone(), a.name.clone())),
        );
        let held: Vec<&str> = yimen_engine::core::command::references(case, fid).collect();
        let files = all
            .iter()
            .filter(|a| held.contains(&a.id.as_str()))
            .map(|a| row(s, &case.id, a, lang))
            .collect();
        let input = super::fields::input(fid, f, lang, false, String::new(), None);
        out.push(FilePanel {
            field: fid.clone(),
            label: f.label.get(lang.tag()).to_owned(),
            files,
            can_add: !case.is_closed() && held.len() < f.file_limit(),
            accept: input.accept,
            limits: super::fields::limits_text(f, lang),
            error: failed.filter(|(f, _)| f == fid).map(|(_, m)| m.to_owned()),
        });
    }
    Ok((out, names))
}

/// `GET /cases/{id}/attachments/{file}`: the file, its download recorded first.
pub async fn download(State(s): State<Arc<AppState>>, ctx: Ctx, Path((id, file)): Path<(String, String)>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match files::open(&s, &actor, &id, &file).await {
        Ok((a, key)) => yimen_http::upload::download(s.engine.store().clone(), &a, key),
        Err(e) => super::refusal_page(e),
    }
}

/// `GET /cases/{id}/attachments/{file}/thumbnail`: an image's thumbnail.
pub async fn thumbnail(State(s): State<Arc<AppState>>, ctx: Ctx, Path((id, file)): Path<(String, String)>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match files::thumbnail_of(&s, &actor, &id, &file).await {
        Ok(png) => yimen_http::upload::thumbnail(png),
        Err(e) => super::refusal_page(e),
    }
}
