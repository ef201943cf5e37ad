//! Staff accounts: added and deactivated by an admin (or the command line on the server),
//! passwords set by their owner or reset by an admin. Passwords are at least 12 characters and
//! stored as argon2id hashes; every change is in the audit log, hashes never are.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audit::{self, Author, Changes};
use super::customers::normalize_email;
use super::{Facility, FacilityError, FacilityResult};
use crate::auth;
use crate::db::staff::{StaffUser, StaffUserRecord};
use crate::db::{self, AsConn};
use crate::domain::*;

/// The shortest password accepted (NIST 800-63B asks for at least 8; we ask for 12).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest: hashing is deliberately slow, and slower on longer input.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A new staff account.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Refuses a password too short, too long, or with a NUL character.
pub fn check_password(field: &'static str, password: &str) -> FacilityResult<()> {
    let chars = password.chars().count();
    let message = if chars < MIN_PASSWORD_CHARS {
        format!("is {chars} characters long; use at least {MIN_PASSWORD_CHARS}")
    } else if chars > MAX_PASSWORD_CHARS {
        format!("is {chars} characters long; at most {MAX_PASSWORD_CHARS} are accepted")
    } else if password.contains('\0') {
        "contains a NUL character".to_owned()
    } else {
        return Ok(());
    };
    Err(FacilityError::InvalidInput { field, message })
}

async fn hash(password: &str) -> FacilityResult<String> {
    auth::hash_password(password.to_owned())
        .await
        .map_err(|err| FacilityError::Internal(err.to_string()))
}

async fn staff_by_email(c: &mut impl AsConn, email: &str) -> FacilityResult<StaffUserRecord> {
    db::staff::find_by_email(c, email)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "staff user",
            id: email.trim().to_lowercase(),
            field: Some("email"),
        })
}

async fn staff_by_id(c: &mut impl AsConn, id: StaffUserId) -> FacilityResult<StaffUserRecord> {
    db::staff::find_by_id(c, id)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "staff user",
            id: id.to_string(),
            field: None,
        })
}

/// Stores a new password hash for `user` in `tx`, records that it changed (not the hash) and
/// commits.
async fn write_password(
    mut tx: db::Tx,
    author: &Author,
    mut user: StaffUserRecord,
    hash: String,
    now: DateTime<Utc>,
) -> FacilityResult<StaffUser> {
    user.password_hash = hash;
    user.updated_at = now;
    db::staff::update(&mut tx, &user).await?;
    let changes = Changes::default().with("password", "***", "(changed)");
    audit::record(
        &mut tx,
        author,
        "staff.password",
        "staff_user",
        user.id.0,
        changes,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(user.into())
}

/// What a staff user looks like in the audit log: never the hash.
fn audited(user: &StaffUserRecord) -> serde_json::Value {
    json!({ "email": user.email, "name": user.name, "role": user.role, "active": user.active })
}

impl Facility {
    /// Every staff user, by name (managers and admins, or the command line).
    pub async fn staff_users(&self, author: &Author) -> FacilityResult<Vec<StaffUser>> {
        author.require_manager("the staff list")?;
        let rows = db::staff::list(&mut self.db().conn().await?).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Whether any admin can sign in.
    pub async fn has_active_admin(&self) -> FacilityResult<bool> {
        Ok(db::staff::active_admins(&mut self.db().conn().await?).await? > 0)
    }

    /// Adds a staff account (admins, or the command line).
    pub async fn add_staff(
        &self,
        author: &Author,
        new: &NewStaff,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffUser> {
        author.require_admin("adding staff")?;
        let email = normalize_email(Some(&new.email))?.ok_or(FacilityError::InvalidInput {
            field: "email",
            message: "must not be empty".into(),
        })?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 100 {
            return Err(FacilityError::InvalidInput {
                field: "name",
                message: "one line of 1 to 100 characters".into(),
            });
        }
        check_password("password", &new.password)?;
        let record = StaffUserRecord {
            id: StaffUserId::new(),
            email,
            name: name.to_owned(),
            role: new.role,
            password_hash: hash(&new.password).await?,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db().begin().await?;
        db::staff::insert(&mut tx, &record).await?;
        audit::record(
            &mut tx,
            author,
            "staff.create",
            "staff_user",
            record.id.0,
            Changes::created(&audited(&record)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record.into())
    }

    /// Sets a staff user's password (an admin resetting it, or the command line).
    pub async fn set_staff_password(
        &self,
        author: &Author,
        email: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffUser> {
        author.require_admin("setting another staff user's password")?;
        check_password("password", password)?;
        let hash = hash(password).await?;
        let mut tx = self.db().begin().await?;
        let user = staff_by_email(&mut tx, email).await?;
        write_password(tx, author, user, hash, now).await
    }

    /// A staff user changes their own password, proving the current one.
    pub async fn change_own_password(
        &self,
        author: &Author,
        current: &str,
        new: &str,
        now: DateTime<Utc>,
    ) -> FacilityResult<()> {
        let Some(actor) = author.actor else {
            return Err(FacilityError::InvalidInput {
                field: "current",
                message: "only a signed-in staff user changes their own password".into(),
            });
        };
        check_password("new", new)?;
        let user = staff_by_id(&mut self.db().conn().await?, actor.staff_user_id).await?;
        let matches = auth::verify_password(current.to_owned(), Some(user.password_hash.clone()))
            .await
            .map_err(|err| FacilityError::Internal(err.to_string()))?;
        if !matches {
            return Err(FacilityError::InvalidInput {
                field: "current",
                message: "is not your current password".into(),
            });
        }
        if current == new {
            return Err(FacilityError::InvalidInput {
                field: "new",
                message: "is the same as the current password".into(),
            });
        }
        let hash = hash(new).await?;
        let mut tx = self.db().begin().await?;
        let user = staff_by_id(&mut tx, actor.staff_user_id).await?;
        write_password(tx, author, user, hash, now).await?;
        Ok(())
    }

    /// Changes a staff user's role or whether they can sign in (admins). The last active admin
    /// cannot be demoted or deactivated: someone must be able to manage the staff.
    pub async fn update_staff(
        &self,
        author: &Author,
        id: StaffUserId,
        role: Option<Role>,
        active: Option<bool>,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffUser> {
        author.require_admin("changing staff accounts")?;
        let mut tx = self.db().begin().await?;
        let before = staff_by_id(&mut tx, id).await?;
        self.write_staff(tx, author, before, role, active, now)
            .await
    }

    /// Deactivates the staff user with `email` (admins, or the command line): they can no
    /// longer sign in, and their tokens stop working.
    pub async fn deactivate_staff(
        &self,
        author: &Author,
        email: &str,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffUser> {
        author.require_admin("deactivating staff")?;
        let mut tx = self.db().begin().await?;
        let before = staff_by_email(&mut tx, email).await?;
        self.write_staff(tx, author, before, None, Some(false), now)
            .await
    }

    /// Writes the change in `tx` and commits it.
    async fn write_staff(
        &self,
        mut tx: db::Tx,
        author: &Author,
        before: StaffUserRecord,
        role: Option<Role>,
        active: Option<bool>,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffUser> {
        let mut after = before.clone();
        after.role = role.unwrap_or(before.role);
        after.active = active.unwrap_or(before.active);
        let was_admin = before.role == Role::Admin && before.active;
        let is_admin = after.role == Role::Admin && after.active;
        if was_admin && !is_admin && db::staff::active_admins(&mut tx).await? <= 1 {
            return Err(FacilityError::InvalidInput {
                field: if after.active { "role" } else { "active" },
                message: format!(
                    "{} is the only active admin; make another admin first",
                    before.email
                ),
            });
        }
        let changes = Changes::diff(&audited(&before), &audited(&after));
        if changes.is_empty() {
            return Ok(before.into());
        }
        after.updated_at = now;
        db::staff::update(&mut tx, &after).await?;
        let action = if before.active && !after.active {
            "staff.deactivate"
        } else {
            "staff.update"
        };
        audit::record(
            &mut tx,
            author,
            action,
            "staff_user",
            after.id.0,
            changes,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after.into())
    }
}
