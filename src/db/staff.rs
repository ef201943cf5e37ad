//! Staff users.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AsConn, DbResult, on_conn, placeholders};
use crate::domain::{Role, StaffUserId};

/// A staff user as stored, password hash included (never serialised).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffUserRecord {
    pub id: StaffUserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A staff user as the rest of the system sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffUser {
    pub id: StaffUserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<StaffUserRecord> for StaffUser {
    fn from(r: StaffUserRecord) -> Self {
        StaffUser {
            id: r.id,
            email: r.email,
            name: r.name,
            role: r.role,
            active: r.active,
            created_at: r.created_at,
        }
    }
}

macro_rules! columns {
    () => {
        "id, email, name, role, password_hash, active, created_at, updated_at"
    };
}

pub async fn find_by_email(c: &mut impl AsConn, email: &str) -> DbResult<Option<StaffUserRecord>> {
    const SQL: &str = concat!("SELECT ", columns!(), " FROM staff_users WHERE email = $1");
    let email = email.trim().to_lowercase();
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(&email)
        .fetch_optional(conn)
        .await)?)
}

pub async fn find_by_id(c: &mut impl AsConn, id: StaffUserId) -> DbResult<Option<StaffUserRecord>> {
    const SQL: &str = concat!("SELECT ", columns!(), " FROM staff_users WHERE id = $1");
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// The staff users with these ids, in one query (unknown ids are left out, order is not
/// kept): what a page of conversations loads for their owners at once.
pub async fn find_by_ids(
    c: &mut impl AsConn,
    ids: &[StaffUserId],
) -> DbResult<Vec<StaffUserRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Built from the column list and a count of placeholders only; values are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM staff_users WHERE id IN ({})",
        columns!(),
        placeholders(1, ids.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// Every staff user, by name.
pub async fn list(c: &mut impl AsConn) -> DbResult<Vec<StaffUserRecord>> {
    const SQL: &str = concat!("SELECT ", columns!(), " FROM staff_users ORDER BY name, id");
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_all(conn)
        .await)?)
}

pub async fn count(c: &mut impl AsConn) -> DbResult<i64> {
    Ok(on_conn!(c, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff_users"
    )
    .fetch_one(conn)
    .await)?)
}

/// Inserts a staff user; the email must already be lower-case (the database checks it).
pub async fn insert(c: &mut impl AsConn, user: &StaffUserRecord) -> DbResult<()> {
    const SQL: &str = "INSERT INTO staff_users (id, email, name, role, password_hash, active, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.role)
            .bind(&user.password_hash)
            .bind(user.active)
            .bind(user.created_at)
            .bind(user.updated_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Activates or deactivates a staff user; returns whether the user exists.
pub async fn set_active(
    c: &mut impl AsConn,
    id: StaffUserId,
    active: bool,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE staff_users SET active = $2, updated_at = $3 WHERE id = $1";
    let done = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(active)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Writes a staff user's name, role, password hash and active flag; returns whether the user
/// exists.
pub async fn update(c: &mut impl AsConn, user: &StaffUserRecord) -> DbResult<bool> {
    const SQL: &str = "UPDATE staff_users SET name = $2, role = $3, password_hash = $4, active = $5, \
                       updated_at = $6 WHERE id = $1";
    let done = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(user.id)
        .bind(&user.name)
        .bind(user.role)
        .bind(&user.password_hash)
        .bind(user.active)
        .bind(user.updated_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// How many active admins there are.
pub async fn active_admins(c: &mut impl AsConn) -> DbResult<i64> {
    Ok(on_conn!(c, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff_users WHERE role = 'admin' AND active = $1"
    )
    .bind(true)
    .fetch_one(conn)
    .await)?)
}
