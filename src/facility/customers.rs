//! Customers, their dogs and the dogs' vaccinations: created and edited by staff, each write
//! checked field by field, guarded against lost updates (`expected_updated_at`) and recorded
//! in the audit log in the same transaction.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::audit::{self, Author, Changes};
use super::search::{VaccineRecord, vaccine_records};
use super::{Facility, FacilityError, FacilityResult};
use crate::db::customers::{CustomerRecord, DogRecord, VaccinationRecord};
use crate::db::facility::{NewCustomer, NewDog, NewVaccination};
use crate::db::{self, AsConn};
use crate::domain::*;

const MAX_NAME_CHARS: usize = 100;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_NOTES_CHARS: usize = 2_000;
const MIN_PHONE_DIGITS: usize = 7;
const MAX_PHONE_DIGITS: usize = 15;

/// A new customer.
#[derive(Clone, Debug, Default)]
pub struct CustomerInput {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

/// Changes to a customer: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct CustomerPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub notes: Option<Option<String>>,
}

/// A new dog of an existing customer.
#[derive(Clone, Debug)]
pub struct DogInput {
    pub owner_id: CustomerId,
    pub name: String,
    pub breed: Option<String>,
    pub birthdate: Option<NaiveDate>,
    pub notes: Option<String>,
}

/// Changes to a dog: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct DogPatch {
    pub owner_id: Option<CustomerId>,
    pub name: Option<String>,
    pub breed: Option<Option<String>>,
    pub birthdate: Option<Option<NaiveDate>>,
    pub notes: Option<Option<String>>,
}

/// A vaccination seen on a certificate.
#[derive(Clone, Debug)]
pub struct VaccinationInput {
    pub dog_id: DogId,
    pub kind: VaccineKind,
    pub administered_on: Option<NaiveDate>,
    pub expires_on: NaiveDate,
}

fn invalid(field: &'static str, message: impl Into<String>) -> FacilityError {
    FacilityError::InvalidInput {
        field,
        message: message.into(),
    }
}

/// Text that may hold anything a person types but a NUL (which PostgreSQL cannot store).
fn checked_text(field: &'static str, text: &str, max: usize) -> FacilityResult<()> {
    if text.contains('\0') {
        return Err(invalid(field, "contains a NUL character"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(invalid(
            field,
            format!("is {chars} characters long; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// A required one-line value (a name): trimmed, not empty, no control characters.
fn required_line(field: &'static str, text: &str, max: usize) -> FacilityResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be one line without control characters",
        ));
    }
    checked_text(field, text, max)?;
    Ok(text.to_owned())
}

/// An optional one-line value: blank is none.
fn optional_line(
    field: &'static str,
    text: Option<&str>,
    max: usize,
) -> FacilityResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required_line(field, text, max).map(Some),
    }
}

/// Optional free text (notes): blank is none; newlines allowed.
fn optional_notes(text: Option<&str>) -> FacilityResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            checked_text("notes", text, MAX_NOTES_CHARS)?;
            Ok(Some(text.to_owned()))
        }
    }
}

/// An email address, lower-cased: one `@` between a local part and a domain with a dot.
pub fn normalize_email(text: Option<&str>) -> FacilityResult<Option<String>> {
    let Some(email) = optional_line("email", text, MAX_EMAIL_CHARS)? else {
        return Ok(None);
    };
    let email = email.to_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        }
        None => false,
    };
    if !valid {
        return Err(invalid(
            "email",
            format!("`{email}` is not an email address (name@example.com)"),
        ));
    }
    Ok(Some(email))
}

/// A phone number as typed, if it is one: digits with spaces, `+ - ( ) . /` between them, 7 to
/// 15 digits. Two numbers with the same digits are the same number (the database keeps each
/// one to a single customer).
pub fn normalize_phone(text: Option<&str>) -> FacilityResult<Option<String>> {
    let Some(phone) = optional_line("phone", text, 40)? else {
        return Ok(None);
    };
    if let Some(bad) = phone
        .chars()
        .find(|c| !(c.is_ascii_digit() || " +-().//".contains(*c)))
    {
        return Err(invalid(
            "phone",
            format!(
                "`{phone}` is not a phone number: `{bad}` is not a digit or one of + - ( ) . /"
            ),
        ));
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits) {
        return Err(invalid(
            "phone",
            format!(
                "`{phone}` has {digits} digits; a phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS}"
            ),
        ));
    }
    Ok(Some(phone))
}

/// The time a row updated now gets: `now`, or just after the time it had, so that every
/// update changes it and an `expected_updated_at` taken before the update never matches after.
fn next_updated_at(previous: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    now.max(previous + chrono::Duration::microseconds(1))
}

/// The refusal of a conditional write that found the row changed since `expected`.
pub(crate) fn changed_since(
    entity: &'static str,
    expected: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> FacilityError {
    FacilityError::StaleUpdate {
        entity,
        expected,
        updated_at,
    }
}

/// The row's current `updated_at` must be the one the caller read, when it says which.
pub(crate) fn check_fresh(
    entity: &'static str,
    expected: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
) -> FacilityResult<()> {
    match expected {
        Some(expected) if expected != updated_at => {
            Err(changed_since(entity, expected, updated_at))
        }
        _ => Ok(()),
    }
}

fn birthdate(date: Option<NaiveDate>, today: NaiveDate) -> FacilityResult<Option<NaiveDate>> {
    match date {
        Some(d) if d > today => Err(invalid(
            "birthdate",
            format!("{d} is in the future (today is {today})"),
        )),
        Some(d) if d < today - Days::new(40 * 366) => Err(invalid(
            "birthdate",
            format!("{d} is more than 40 years ago"),
        )),
        other => Ok(other),
    }
}

/// The customer `id`, or `not_found` naming `field` (the input that named it, if any).
pub(crate) async fn existing_customer(
    c: &mut impl AsConn,
    id: CustomerId,
    field: Option<&'static str>,
) -> FacilityResult<CustomerRecord> {
    db::customers::customer(c, id)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "customer",
            id: id.to_string(),
            field,
        })
}

async fn dog_for_update(
    c: &mut impl AsConn,
    id: DogId,
    field: Option<&'static str>,
) -> FacilityResult<DogRecord> {
    db::customers::dog(c, id)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "dog",
            id: id.to_string(),
            field,
        })
}

/// A dog's vaccinations as the front desk reads them: every record, and the state of each
/// required one on a day.
#[derive(Clone, Debug, PartialEq)]
pub struct DogVaccinations {
    pub records: Vec<VaccinationRecord>,
    pub required: Vec<VaccineRecord>,
}

impl Facility {
    pub async fn customer(&self, id: CustomerId) -> FacilityResult<Option<CustomerRecord>> {
        Ok(db::customers::customer(&mut self.db().conn().await?, id).await?)
    }

    pub async fn dog(&self, id: DogId) -> FacilityResult<Option<DogRecord>> {
        Ok(db::customers::dog(&mut self.db().conn().await?, id).await?)
    }

    /// A page of customers, newest first.
    pub async fn customers_page(
        &self,
        after: Option<(DateTime<Utc>, CustomerId)>,
        limit: i64,
    ) -> FacilityResult<Vec<CustomerRecord>> {
        let mut conn = self.db().conn().await?;
        Ok(db::customers::customers_page(&mut conn, after, limit).await?)
    }

    /// A page of dogs, newest first.
    pub async fn dogs_page(
        &self,
        after: Option<(DateTime<Utc>, DogId)>,
        limit: i64,
    ) -> FacilityResult<Vec<DogRecord>> {
        let mut conn = self.db().conn().await?;
        Ok(db::customers::dogs_page(&mut conn, after, limit).await?)
    }

    /// Customers by id, in the order asked (unknown ids left out).
    pub async fn customers_by_ids(
        &self,
        ids: &[CustomerId],
    ) -> FacilityResult<Vec<CustomerRecord>> {
        let mut conn = self.db().conn().await?;
        let mut found = db::customers::customers_by_ids(&mut conn, ids).await?;
        found.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        Ok(found)
    }

    /// Dogs by id, in the order asked (unknown ids left out).
    pub async fn dogs_by_ids(&self, ids: &[DogId]) -> FacilityResult<Vec<DogRecord>> {
        let mut conn = self.db().conn().await?;
        let mut found = db::customers::dogs_by_ids(&mut conn, ids).await?;
        found.sort_by_key(|d| ids.iter().position(|id| *id == d.id));
        Ok(found)
    }

    pub async fn create_customer(
        &self,
        author: &Author,
        input: &CustomerInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<CustomerRecord> {
        let record = CustomerRecord {
            id: CustomerId::new(),
            first_name: required_line("first_name", &input.first_name, MAX_NAME_CHARS)?,
            last_name: required_line("last_name", &input.last_name, MAX_NAME_CHARS)?,
            email: normalize_email(input.email.as_deref())?,
            phone: normalize_phone(input.phone.as_deref())?,
            notes: optional_notes(input.notes.as_deref())?,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db().begin().await?;
        db::facility::insert_customer(
            &mut tx,
            &NewCustomer {
                id: record.id,
                first_name: record.first_name.clone(),
                last_name: record.last_name.clone(),
                email: record.email.clone(),
                phone: record.phone.clone(),
                notes: record.notes.clone(),
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            author,
            "customer.create",
            "customer",
            record.id.0,
            Changes::created(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn update_customer(
        &self,
        author: &Author,
        id: CustomerId,
        patch: &CustomerPatch,
        expected_updated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> FacilityResult<CustomerRecord> {
        let mut tx = self.db().begin().await?;
        let before = existing_customer(&mut tx, id, None).await?;
        check_fresh("customer", expected_updated_at, before.updated_at)?;
        let mut after = before.clone();
        if let Some(name) = &patch.first_name {
            after.first_name = required_line("first_name", name, MAX_NAME_CHARS)?;
        }
        if let Some(name) = &patch.last_name {
            after.last_name = required_line("last_name", name, MAX_NAME_CHARS)?;
        }
        if let Some(email) = &patch.email {
            after.email = normalize_email(email.as_deref())?;
        }
        if let Some(phone) = &patch.phone {
            after.phone = normalize_phone(phone.as_deref())?;
        }
        if let Some(notes) = &patch.notes {
            after.notes = optional_notes(notes.as_deref())?;
        }
        let changes = Changes::diff(&before, &after);
        if changes.is_empty() {
            return Ok(before);
        }
        after.updated_at = next_updated_at(before.updated_at, now);
        if !db::customers::update_customer(&mut tx, &after, before.updated_at).await? {
            // Changed between the read and the write (another replica): say so.
            let current = existing_customer(&mut tx, id, None).await?;
            return Err(changed_since(
                "customer",
                before.updated_at,
                current.updated_at,
            ));
        }
        audit::record(
            &mut tx,
            author,
            "customer.update",
            "customer",
            id.0,
            changes,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn create_dog(
        &self,
        author: &Author,
        input: &DogInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<DogRecord> {
        let record = DogRecord {
            id: DogId::new(),
            customer_id: input.owner_id,
            name: required_line("name", &input.name, MAX_NAME_CHARS)?,
            breed: optional_line("breed", input.breed.as_deref(), MAX_NAME_CHARS)?,
            birthdate: birthdate(input.birthdate, self.today(now))?,
            notes: optional_notes(input.notes.as_deref())?,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db().begin().await?;
        if db::customers::customer(&mut tx, input.owner_id)
            .await?
            .is_none()
        {
            return Err(FacilityError::NotFound {
                entity: "customer",
                id: input.owner_id.to_string(),
                field: Some("owner_id"),
            });
        }
        db::facility::insert_dog(
            &mut tx,
            &NewDog {
                id: record.id,
                customer_id: record.customer_id,
                name: record.name.clone(),
                breed: record.breed.clone(),
                birthdate: record.birthdate,
                notes: record.notes.clone(),
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            author,
            "dog.create",
            "dog",
            record.id.0,
            Changes::created(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn update_dog(
        &self,
        author: &Author,
        id: DogId,
        patch: &DogPatch,
        expected_updated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> FacilityResult<DogRecord> {
        let mut tx = self.db().begin().await?;
        let before = dog_for_update(&mut tx, id, None).await?;
        check_fresh("dog", expected_updated_at, before.updated_at)?;
        let mut after = before.clone();
        if let Some(owner) = patch.owner_id
            && owner != before.customer_id
        {
            existing_customer(&mut tx, owner, Some("owner_id")).await?;
            after.customer_id = owner;
        }
        if let Some(name) = &patch.name {
            after.name = required_line("name", name, MAX_NAME_CHARS)?;
        }
        if let Some(breed) = &patch.breed {
            after.breed = optional_line("breed", breed.as_deref(), MAX_NAME_CHARS)?;
        }
        if let Some(date) = patch.birthdate {
            after.birthdate = birthdate(date, self.today(now))?;
        }
        if let Some(notes) = &patch.notes {
            after.notes = optional_notes(notes.as_deref())?;
        }
        let changes = Changes::diff(&before, &after);
        if changes.is_empty() {
            return Ok(before);
        }
        after.updated_at = next_updated_at(before.updated_at, now);
        if !db::customers::update_dog(&mut tx, &after, before.updated_at).await? {
            let current = dog_for_update(&mut tx, id, None).await?;
            return Err(changed_since("dog", before.updated_at, current.updated_at));
        }
        audit::record(&mut tx, author, "dog.update", "dog", id.0, changes, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Records a vaccination from a certificate; the latest expiry of each kind is what counts.
    pub async fn record_vaccination(
        &self,
        author: &Author,
        input: &VaccinationInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<VaccinationRecord> {
        let today = self.today(now);
        if let Some(given) = input.administered_on {
            if given > today {
                return Err(invalid(
                    "administered_on",
                    format!("{given} is in the future (today is {today})"),
                ));
            }
            if given > input.expires_on {
                return Err(invalid(
                    "expires_on",
                    format!(
                        "{} is before the day it was given ({given})",
                        input.expires_on
                    ),
                ));
            }
        }
        if input.expires_on > today + Days::new(5 * 366) {
            return Err(invalid(
                "expires_on",
                format!("{} is more than five years ahead", input.expires_on),
            ));
        }
        let record = VaccinationRecord {
            id: VaccinationId::new(),
            dog_id: input.dog_id,
            kind: input.kind,
            administered_on: input.administered_on,
            expires_on: input.expires_on,
            created_at: now,
        };
        let mut tx = self.db().begin().await?;
        dog_for_update(&mut tx, input.dog_id, Some("dog_id")).await?;
        db::facility::insert_vaccination(
            &mut tx,
            &NewVaccination {
                id: record.id,
                dog_id: record.dog_id,
                kind: record.kind,
                administered_on: record.administered_on,
                expires_on: record.expires_on,
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            author,
            "vaccination.record",
            "dog",
            record.dog_id.0,
            Changes::created(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(record)
    }

    /// The vaccinations of each of `dogs` and the state of the required ones on `today`.
    pub async fn vaccinations_of(
        &self,
        dogs: &[DogId],
        today: NaiveDate,
    ) -> FacilityResult<Vec<(DogId, DogVaccinations)>> {
        let mut conn = self.db().conn().await?;
        let all = db::customers::vaccinations_of_dogs(&mut conn, dogs).await?;
        Ok(dogs
            .iter()
            .map(|&dog| {
                let records: Vec<VaccinationRecord> =
                    all.iter().filter(|v| v.dog_id == dog).cloned().collect();
                let required = vaccine_records(
                    |kind| {
                        records
                            .iter()
                            .filter(|v| v.kind == kind)
                            .map(|v| v.expires_on)
                            .max()
                    },
                    today,
                );
                (dog, DogVaccinations { records, required })
            })
            .collect())
    }
}
