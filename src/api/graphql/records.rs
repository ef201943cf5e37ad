//! The facility as types: customers, dogs and their vaccinations, services, bookings from
//! request to check-out, and the audit log. Reads batch through the request's DataLoaders;
//! every write goes through the facility services, which check it, guard it against lost
//! updates and record it in the audit log.

use async_graphql::{
    Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::connection::{self, Cursor, connection, fetch_limit, page_size};
use super::facility::{BookingStatus, ServiceKind, VaccineKind};
use super::loaders::{
    BookingDogsLoader, CustomerBookings, CustomerBookingsLoader, CustomerLoader, DogLoader,
    DogsOfCustomerLoader, StaffUserLoader, VaccinationsLoader,
};
use super::scalars::Date;
use super::staff::StaffUser;
use super::{actor, author, caller, data, gql_error, load_error, loader, parse_id};
use crate::api::error::ApiError;
use crate::db::bookings::{BookingFilter, BookingRecord, ServiceRow};
use crate::db::customers::{CustomerRecord, DogRecord, VaccinationRecord};
use crate::db::{self, Db};
use crate::domain::{self, BookingId, CustomerId, DogId};
use crate::facility::audit::AuditEntry;
use crate::facility::bookings::BookingRequest;
use crate::facility::customers::{
    CustomerInput as NewCustomer, CustomerPatch as CustomerChanges, DogInput as NewDog,
    DogPatch as DogChanges, VaccinationInput as NewVaccination,
};
use crate::facility::desk::{BookingParts, Move, RescheduleInput as NewDates};
use crate::facility::search::{vaccine_records, worst_state};
use crate::facility::{Facility, FacilityResult, clock};

const CUSTOMERS: &str = "customer";
const DOGS: &str = "dog";
const BOOKINGS: &str = "booking";
const CUSTOMER_BOOKINGS: &str = "customer-booking";
const AUDIT: &str = "audit";
const SEARCH: &str = "search";
/// The most search results a list pages through (the search's own cap).
const MAX_SEARCH_RESULTS: usize = crate::facility::search::MAX_LIMIT as usize;

fn facility<'c>(ctx: &Context<'c>) -> Result<&'c Facility> {
    data::<Facility>(ctx)
}

fn now() -> DateTime<Utc> {
    domain::now()
}

/// A search's results are paged by their rank: the cursor holds how many came before.
fn search_offset(after: Option<&str>, kind: &str) -> Result<usize> {
    Ok(Cursor::after(after, &format!("{SEARCH}-{kind}"))
        .map_err(gql_error)?
        .map_or(0, |(at, _)| at.timestamp_micros().max(0) as usize))
}

fn search_cursor(kind: &str, offset: usize) -> Cursor {
    let at = DateTime::from_timestamp_micros(offset as i64).unwrap_or_default();
    Cursor::new(&format!("{SEARCH}-{kind}"), at, uuid::Uuid::nil())
}

/// A page of ranked search results: `ranked` holds the results from `offset` on (one more
/// than the page, when there are more).
fn ranked_page<C: connection::Connection, T>(
    kind: &str,
    ranked: Vec<T>,
    offset: usize,
    size: usize,
    node: impl Fn(T) -> C::Node,
) -> C {
    let has_next_page = ranked.len() > size;
    let edges: Vec<(String, C::Node)> = ranked
        .into_iter()
        .take(size)
        .enumerate()
        .map(|(i, item)| {
            (
                async_graphql::connection::CursorType::encode_cursor(&search_cursor(
                    kind,
                    offset + i + 1,
                )),
                node(item),
            )
        })
        .collect();
    let page_info = async_graphql::connection::PageInfo {
        has_previous_page: false,
        has_next_page,
        start_cursor: edges.first().map(|(c, _)| c.clone()),
        end_cursor: edges.last().map(|(c, _)| c.clone()),
    };
    C::of(edges, page_info)
}

/// A page of customers or dogs: with `search`, the ranked matches (paged by rank, at most the
/// search's 50); without, newest first.
#[allow(clippy::too_many_arguments)] // the list's arguments and its three ways to read records
async fn records_page<C: connection::Connection, R, Id>(
    kind: &str,
    search: Option<String>,
    first: Option<i32>,
    after: Option<String>,
    matches: impl AsyncFnOnce(String, u32) -> FacilityResult<Vec<Id>>,
    by_ids: impl AsyncFnOnce(Vec<Id>) -> FacilityResult<Vec<R>>,
    newest: impl AsyncFnOnce(Option<(DateTime<Utc>, uuid::Uuid)>, i64) -> FacilityResult<Vec<R>>,
    position: impl Fn(&R) -> (DateTime<Utc>, uuid::Uuid),
    node: impl Fn(R) -> C::Node,
) -> Result<C> {
    let size = page_size(first).map_err(gql_error)?;
    if let Some(query) = search {
        let offset = search_offset(after.as_deref(), kind)?;
        let wanted = (offset + size + 1).min(MAX_SEARCH_RESULTS);
        let ids = matches(query, wanted as u32)
            .await
            .map_err(|e| gql_error(search_error(e)))?;
        let found = by_ids(ids.into_iter().skip(offset).collect())
            .await
            .map_err(gql_error)?;
        return Ok(ranked_page(kind, found, offset, size, node));
    }
    let after = Cursor::after(after.as_deref(), kind).map_err(gql_error)?;
    let rows = newest(after, fetch_limit(size)).await.map_err(gql_error)?;
    Ok(connection::page(
        rows,
        size,
        |r| {
            let (at, id) = position(r);
            Cursor::new(kind, at, id)
        },
        node,
    ))
}

/// How a dog's required vaccinations stand today.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::facility::search::VaccineState")]
pub enum VaccinationState {
    /// Valid for more than a week.
    Current,
    /// Valid, but lapses within a week.
    ExpiringSoon,
    /// Lapsed.
    Expired,
    /// Never recorded.
    Missing,
}

/// Through which door a write came.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::AuditChannel")]
pub enum AuditChannel {
    /// The GraphQL API.
    Graphql,
    /// The REST API.
    Rest,
    /// AIM, for a staff user (a confirmed or automatic write tool).
    Aim,
    /// The command line on the server.
    Cli,
    /// The server itself.
    System,
}

/// A customer of the facility: the owner of dogs.
pub struct Customer(pub CustomerRecord);

connection!(
    /// A page of customers.
    CustomerConnection,
    CustomerEdge,
    Customer
);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// First and last name.
    async fn name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
    }
    /// Lower-case email address, if on record.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Phone number as entered, if on record.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Free text kept by staff.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed: pass it as `expectedUpdatedAt` to update it safely.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Their dogs, by name.
    async fn dogs(&self, ctx: &Context<'_>) -> Result<Vec<Dog>> {
        Ok(loader::<DogsOfCustomerLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Dog)
            .collect())
    }
    /// Their bookings, newest first.
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Bookings on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<BookingConnection> {
        let size = page_size(first).map_err(gql_error)?;
        let after = Cursor::after(after.as_deref(), CUSTOMER_BOOKINGS).map_err(gql_error)?;
        let rows = match after {
            None => loader::<CustomerBookingsLoader>(ctx)?
                .load_one(CustomerBookings {
                    customer_id: self.0.id,
                    limit: fetch_limit(size),
                })
                .await
                .map_err(load_error)?
                .unwrap_or_default(),
            Some((at, id)) => {
                let mut conn = data::<Db>(ctx)?.conn().await.map_err(gql_error)?;
                db::bookings::customer_bookings_page(
                    &mut conn,
                    self.0.id,
                    Some((at, BookingId(id))),
                    fetch_limit(size),
                )
                .await
                .map_err(gql_error)?
            }
        };
        Ok(connection::page(
            rows,
            size,
            |b| Cursor::new(CUSTOMER_BOOKINGS, b.start_at, b.id.0),
            Booking::of,
        ))
    }
}

/// A dog of a customer.
pub struct Dog(pub DogRecord);

connection!(
    /// A page of dogs.
    DogConnection,
    DogEdge,
    Dog
);

impl Dog {
    async fn records(&self, ctx: &Context<'_>) -> Result<Vec<VaccinationRecord>> {
        Ok(loader::<VaccinationsLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default())
    }
}

#[Object]
impl Dog {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn breed(&self) -> Option<&str> {
        self.0.breed.as_deref()
    }
    async fn birthdate(&self) -> Option<Date> {
        self.0.birthdate.map(Date)
    }
    /// Free text kept by staff.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed: pass it as `expectedUpdatedAt` to update it safely.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The customer who owns the dog.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Customer> {
        loader::<CustomerLoader>(ctx)?
            .load_one(self.0.customer_id)
            .await
            .map_err(load_error)?
            .map(Customer)
            .ok_or_else(|| gql_error(ApiError::Internal("a dog's owner is missing".into())))
    }
    /// Every vaccination on record, newest expiry first.
    async fn vaccinations(&self, ctx: &Context<'_>) -> Result<Vec<Vaccination>> {
        Ok(self
            .records(ctx)
            .await?
            .into_iter()
            .map(Vaccination)
            .collect())
    }
    /// Each required vaccination (rabies, DHPP, bordetella) as it stands today.
    async fn required_vaccinations(&self, ctx: &Context<'_>) -> Result<Vec<RequiredVaccination>> {
        let records = self.records(ctx).await?;
        let today = facility(ctx)?.today(now());
        Ok(required(&records, today)
            .into_iter()
            .map(|r| RequiredVaccination {
                kind: r.vaccine.into(),
                expires_on: r.expires_on.map(Date),
                status: r.status.into(),
            })
            .collect())
    }
    /// The worst state among the required vaccinations today.
    async fn vaccination_status(&self, ctx: &Context<'_>) -> Result<VaccinationState> {
        let records = self.records(ctx).await?;
        let today = facility(ctx)?.today(now());
        Ok(worst_state(&required(&records, today)).into())
    }
}

fn required(
    records: &[VaccinationRecord],
    today: chrono::NaiveDate,
) -> Vec<crate::facility::search::VaccineRecord> {
    vaccine_records(
        |kind| {
            records
                .iter()
                .filter(|v| v.kind == kind)
                .map(|v| v.expires_on)
                .max()
        },
        today,
    )
}

/// A required vaccination of a dog as it stands today.
#[derive(SimpleObject)]
pub struct RequiredVaccination {
    pub kind: VaccineKind,
    /// The latest expiry on record; null when never recorded.
    pub expires_on: Option<Date>,
    pub status: VaccinationState,
}

/// A vaccination seen on a certificate.
pub struct Vaccination(pub VaccinationRecord);

#[Object]
impl Vaccination {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn dog_id(&self) -> ID {
        ID(self.0.dog_id.to_string())
    }
    async fn kind(&self) -> VaccineKind {
        self.0.kind.into()
    }
    async fn administered_on(&self) -> Option<Date> {
        self.0.administered_on.map(Date)
    }
    async fn expires_on(&self) -> Date {
        Date(self.0.expires_on)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A service the facility sells, at its list price.
#[derive(SimpleObject)]
pub struct Service {
    pub kind: ServiceKind,
    pub name: String,
    /// Per dog per day (boarding: per night), in cents.
    pub price_cents: i64,
    /// Whether it can be booked.
    pub active: bool,
}

impl From<ServiceRow> for Service {
    fn from(s: ServiceRow) -> Self {
        Service {
            kind: s.kind.into(),
            name: s.name,
            price_cents: s.price_cents,
            active: s.active,
        }
    }
}

/// A booking: dogs of one customer for one service over a span of days. A page of bookings
/// reads the customers and dogs it shows with the bookings themselves; a booking read alone
/// loads them when asked.
pub struct Booking {
    record: BookingRecord,
    customer: Option<CustomerRecord>,
    dogs: Option<Vec<DogRecord>>,
}

impl Booking {
    pub fn of(record: BookingRecord) -> Booking {
        Booking {
            record,
            customer: None,
            dogs: None,
        }
    }
}

connection!(
    /// A page of bookings.
    BookingConnection,
    BookingEdge,
    Booking
);

#[Object]
impl Booking {
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        if let Some(customer) = &self.customer {
            return Ok(Customer(customer.clone()));
        }
        loader::<CustomerLoader>(ctx)?
            .load_one(self.record.customer_id)
            .await
            .map_err(load_error)?
            .map(Customer)
            .ok_or_else(|| gql_error(ApiError::Internal("a booking's customer is missing".into())))
    }
    /// The dogs booked, by name.
    async fn dogs(&self, ctx: &Context<'_>) -> Result<Vec<Dog>> {
        let dogs = match &self.dogs {
            Some(dogs) => dogs.clone(),
            None => loader::<BookingDogsLoader>(ctx)?
                .load_one(self.record.id)
                .await
                .map_err(load_error)?
                .unwrap_or_default(),
        };
        Ok(dogs.into_iter().map(Dog).collect())
    }
    async fn service(&self) -> ServiceKind {
        self.record.service.into()
    }
    /// Drop-off.
    async fn start_at(&self) -> DateTime<Utc> {
        self.record.start_at
    }
    /// Pick-up.
    async fn end_at(&self) -> DateTime<Utc> {
        self.record.end_at
    }
    /// The first facility day the booking occupies.
    async fn start_date(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(Date(clock::local_date(
            facility(ctx)?.timezone(),
            self.record.start_at,
        )))
    }
    /// The last facility day the booking occupies.
    async fn end_date(&self, ctx: &Context<'_>) -> Result<Date> {
        let tz = facility(ctx)?.timezone();
        Ok(Date(
            clock::span_days(tz, self.record.start_at, self.record.end_at).1,
        ))
    }
    async fn status(&self) -> BookingStatus {
        self.record.status.into()
    }
    /// Not checked in an hour after its start.
    async fn late(&self) -> bool {
        let b = &self.record;
        crate::facility::bookings::is_late(b.status, b.start_at, b.end_at, now())
    }
    async fn notes(&self) -> Option<&str> {
        self.record.notes.as_deref()
    }
    async fn checked_in_at(&self) -> Option<DateTime<Utc>> {
        self.record.checked_in_at
    }
    async fn checked_out_at(&self) -> Option<DateTime<Utc>> {
        self.record.checked_out_at
    }
    /// When it was cancelled or marked a no-show.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.record.cancelled_at
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.record.cancel_reason.as_deref()
    }
    /// The staff user who booked it, if known.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<StaffUser>> {
        let Some(id) = self.record.created_by else {
            return Ok(None);
        };
        Ok(loader::<StaffUserLoader>(ctx)?
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Into::into))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }
    /// When it last changed: pass it as `expectedUpdatedAt` to reschedule it safely.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }
}

/// One write, as the audit log keeps it.
pub struct AuditLogEntry(pub AuditEntry);

connection!(
    /// A page of the audit log.
    AuditLogConnection,
    AuditLogEdge,
    AuditLogEntry
);

#[Object]
impl AuditLogEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The staff user who acted; null for the command line on the server.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<StaffUser>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loader::<StaffUserLoader>(ctx)?
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Into::into))
    }
    async fn channel(&self) -> AuditChannel {
        self.0.channel.into()
    }
    /// What was done, e.g. `customer.create`, `booking.check_in`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// What kind of record, e.g. `customer`, `booking`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    async fn entity_id(&self) -> ID {
        ID(self.0.entity_id.to_string())
    }
    /// The fields changed: `{"field": {"before": …, "after": …}}`.
    async fn changes(&self) -> Json<Value> {
        Json(self.0.changes.0.clone())
    }
    /// The API request that made it (also in the server's logs), if any.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

/// Queries of the facility's records.
#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    /// Customers: newest first, or with `search` the best matches of a name, phone number or
    /// email first (the same ranked search AIM uses; at most 50 results).
    async fn customers(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(desc = "Customers on the page: 20 unless given, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<CustomerConnection> {
        actor(ctx)?;
        let facility = facility(ctx)?;
        records_page(
            CUSTOMERS,
            search,
            first,
            after,
            async |query, wanted| {
                let found = facility.search_customers(&query, Some(wanted)).await?;
                Ok(found.into_iter().map(|m| m.id).collect())
            },
            async |ids: Vec<CustomerId>| facility.customers_by_ids(&ids).await,
            async |after, limit| {
                let after = after.map(|(at, id)| (at, CustomerId(id)));
                facility.customers_page(after, limit).await
            },
            |c| (c.created_at, c.id.0),
            Customer,
        )
        .await
    }

    /// One customer; null when there is none with this id.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        actor(ctx)?;
        let id: CustomerId = parse_id("id", &id).map_err(gql_error)?;
        Ok(loader::<CustomerLoader>(ctx)?
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Customer))
    }

    /// Dogs: newest first, or with `search` the best matches of a name or breed first (at
    /// most 50 results).
    async fn dogs(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(desc = "Dogs on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<DogConnection> {
        actor(ctx)?;
        let facility = facility(ctx)?;
        records_page(
            DOGS,
            search,
            first,
            after,
            async |query, wanted| {
                let today = facility.today(now());
                let found = facility.search_dogs(&query, Some(wanted), today).await?;
                Ok(found.into_iter().map(|m| m.id).collect())
            },
            async |ids: Vec<DogId>| facility.dogs_by_ids(&ids).await,
            async |after, limit| {
                let after = after.map(|(at, id)| (at, DogId(id)));
                facility.dogs_page(after, limit).await
            },
            |d| (d.created_at, d.id.0),
            Dog,
        )
        .await
    }

    /// One dog; null when there is none with this id.
    async fn dog(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Dog>> {
        actor(ctx)?;
        let id: DogId = parse_id("id", &id).map_err(gql_error)?;
        Ok(loader::<DogLoader>(ctx)?
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Dog))
    }

    /// Bookings on the days `from` to `to` (facility dates, inclusive, at most 366 days), in
    /// start order; cancelled ones and no-shows included unless `status` leaves them out.
    #[allow(clippy::too_many_arguments)] // the GraphQL field's arguments
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        status: Option<Vec<BookingStatus>>,
        customer_id: Option<ID>,
        #[graphql(desc = "Bookings on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<BookingConnection> {
        actor(ctx)?;
        let size = page_size(first).map_err(gql_error)?;
        let facility = facility(ctx)?;
        let filter = BookingFilter {
            statuses: status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            customer_id: customer_id
                .map(|id| parse_id("customerId", &id))
                .transpose()
                .map_err(gql_error)?,
        };
        let after = Cursor::after(after.as_deref(), BOOKINGS)
            .map_err(gql_error)?
            .map(|(at, id)| (at, BookingId(id)));
        // What the page shows of each booking is read with the bookings: their customers in
        // the same statement, their dogs in one more.
        let node = ctx.look_ahead().field("edges").field("node");
        let with = BookingParts {
            customer: node.field("customer").exists(),
            dogs: node.field("dogs").exists(),
        };
        let rows = facility
            .bookings_between(from.0, to.0, &filter, after, fetch_limit(size), with)
            .await
            .map_err(gql_error)?;
        // A dog's owner is the booking's customer: when the page asks for it, it finds the
        // customers already read.
        if node.field("dogs").field("owner").exists() {
            let customers = loader::<CustomerLoader>(ctx)?;
            customers
                .feed_many(
                    rows.iter()
                        .filter_map(|row| row.customer.as_ref().map(|c| (c.id, c.clone()))),
                )
                .await;
        }
        Ok(connection::page(
            rows,
            size,
            |b| Cursor::new(BOOKINGS, b.booking.start_at, b.booking.id.0),
            |b| Booking {
                record: b.booking,
                customer: b.customer,
                dogs: b.dogs,
            },
        ))
    }

    /// One booking; null when there is none with this id.
    async fn booking(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Booking>> {
        actor(ctx)?;
        let id: BookingId = parse_id("id", &id).map_err(gql_error)?;
        Ok(facility(ctx)?
            .booking(id)
            .await
            .map_err(gql_error)?
            .map(Booking::of))
    }

    /// The services the facility sells.
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>> {
        actor(ctx)?;
        Ok(facility(ctx)?
            .services()
            .await
            .map_err(gql_error)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every write, newest first, or those of one record (managers and admins).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A customer, dog, booking, … id: only its entries.")] entity_id: Option<
            ID,
        >,
        #[graphql(desc = "Entries on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<AuditLogConnection> {
        let viewer = actor(ctx)?;
        let size = page_size(first).map_err(gql_error)?;
        let entity_id = entity_id
            .map(|id| parse_id::<uuid::Uuid>("entityId", &id))
            .transpose()
            .map_err(gql_error)?;
        let after = Cursor::after(after.as_deref(), AUDIT).map_err(gql_error)?;
        let rows = facility(ctx)?
            .audit_log(&viewer, entity_id, after, fetch_limit(size))
            .await
            .map_err(gql_error)?;
        Ok(connection::page(
            rows,
            size,
            |e| Cursor::new(AUDIT, e.at, e.id.0),
            AuditLogEntry,
        ))
    }
}

/// The search's `query`/`limit` fields are this API's `search`/`first`.
fn search_error(err: crate::facility::FacilityError) -> ApiError {
    let renamed = match &err {
        crate::facility::FacilityError::InvalidInput { field, message } => Some(match *field {
            "query" => ApiError::invalid("search", message.clone()),
            _ => ApiError::invalid("first", message.clone()),
        }),
        _ => None,
    };
    renamed.unwrap_or_else(|| err.into())
}

/// A new customer.
#[derive(InputObject)]
pub struct CustomerInput {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

/// Changes to a customer: a field left out stays as it is; `null` clears it.
#[derive(InputObject)]
pub struct CustomerPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub notes: MaybeUndefined<String>,
}

/// A new dog of an existing customer.
#[derive(InputObject)]
pub struct DogInput {
    pub owner_id: ID,
    pub name: String,
    pub breed: Option<String>,
    pub birthdate: Option<Date>,
    pub notes: Option<String>,
}

/// Changes to a dog: a field left out stays as it is; `null` clears it.
#[derive(InputObject)]
pub struct DogPatch {
    /// Another customer who now owns the dog.
    pub owner_id: Option<ID>,
    pub name: Option<String>,
    pub breed: MaybeUndefined<String>,
    pub birthdate: MaybeUndefined<Date>,
    pub notes: MaybeUndefined<String>,
}

/// A vaccination seen on a certificate.
#[derive(InputObject)]
pub struct VaccinationInput {
    pub dog_id: ID,
    pub kind: VaccineKind,
    pub administered_on: Option<Date>,
    pub expires_on: Date,
}

/// A booking request: the same checks as AIM's `create_booking` (ownership, dates,
/// vaccinations, double bookings, capacity).
#[derive(InputObject)]
pub struct BookingInput {
    pub customer_id: ID,
    pub dog_ids: Vec<ID>,
    pub service: ServiceKind,
    pub start_date: Date,
    /// Last day (daycare, grooming, training: default `startDate`; one booking per day) or
    /// check-out day (boarding: default the day after `startDate`).
    pub end_date: Option<Date>,
    pub notes: Option<String>,
}

/// New dates for a booking not yet arrived.
#[derive(InputObject)]
pub struct RescheduleInput {
    pub start_date: Date,
    /// Boarding: the check-out day (default the day after); other services: `startDate`.
    pub end_date: Option<Date>,
}

fn patch<T, U>(value: MaybeUndefined<T>, map: impl Fn(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(map(v))),
    }
}

/// Writes to the facility's records.
#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    async fn create_customer(&self, ctx: &Context<'_>, input: CustomerInput) -> Result<Customer> {
        let input = NewCustomer {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            notes: input.notes,
        };
        let created = facility(ctx)?
            .create_customer(&author(ctx)?, &input, now())
            .await
            .map_err(gql_error)?;
        Ok(Customer(created))
    }

    /// Changes a customer. With `expectedUpdatedAt` (its `updatedAt` as read), nothing is
    /// written when it changed since (`stale_update`).
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CustomerPatch,
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Customer> {
        let id: CustomerId = parse_id("id", &id).map_err(gql_error)?;
        let changes = CustomerChanges {
            first_name: input.first_name,
            last_name: input.last_name,
            email: patch(input.email, |v| v),
            phone: patch(input.phone, |v| v),
            notes: patch(input.notes, |v| v),
        };
        let updated = facility(ctx)?
            .update_customer(&author(ctx)?, id, &changes, expected_updated_at, now())
            .await
            .map_err(gql_error)?;
        Ok(Customer(updated))
    }

    async fn create_dog(&self, ctx: &Context<'_>, input: DogInput) -> Result<Dog> {
        let input = NewDog {
            owner_id: parse_id("ownerId", &input.owner_id).map_err(gql_error)?,
            name: input.name,
            breed: input.breed,
            birthdate: input.birthdate.map(|d| d.0),
            notes: input.notes,
        };
        let created = facility(ctx)?
            .create_dog(&author(ctx)?, &input, now())
            .await
            .map_err(gql_error)?;
        Ok(Dog(created))
    }

    /// Changes a dog. With `expectedUpdatedAt` (its `updatedAt` as read), nothing is written
    /// when it changed since (`stale_update`).
    async fn update_dog(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DogPatch,
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Dog> {
        let id: DogId = parse_id("id", &id).map_err(gql_error)?;
        let changes = DogChanges {
            owner_id: input
                .owner_id
                .map(|id| parse_id("ownerId", &id))
                .transpose()
                .map_err(gql_error)?,
            name: input.name,
            breed: patch(input.breed, |v| v),
            birthdate: patch(input.birthdate, |d| d.0),
            notes: patch(input.notes, |v| v),
        };
        let updated = facility(ctx)?
            .update_dog(&author(ctx)?, id, &changes, expected_updated_at, now())
            .await
            .map_err(gql_error)?;
        Ok(Dog(updated))
    }

    /// Records a vaccination; the latest expiry of each kind is the one that counts.
    async fn record_vaccination(
        &self,
        ctx: &Context<'_>,
        input: VaccinationInput,
    ) -> Result<Vaccination> {
        let input = NewVaccination {
            dog_id: parse_id("dogId", &input.dog_id).map_err(gql_error)?,
            kind: input.kind.into(),
            administered_on: input.administered_on.map(|d| d.0),
            expires_on: input.expires_on.0,
        };
        let recorded = facility(ctx)?
            .record_vaccination(&author(ctx)?, &input, now())
            .await
            .map_err(gql_error)?;
        Ok(Vaccination(recorded))
    }

    /// Books, confirmed at once: one booking per day for daycare, grooming and training, one
    /// for a whole boarding stay.
    async fn create_booking(&self, ctx: &Context<'_>, input: BookingInput) -> Result<Vec<Booking>> {
        let req = BookingRequest {
            customer_id: parse_id("customerId", &input.customer_id).map_err(gql_error)?,
            dog_ids: input
                .dog_ids
                .iter()
                .map(|id| parse_id("dogIds", id))
                .collect::<Result<_, _>>()
                .map_err(gql_error)?,
            service: input.service.into(),
            start_date: input.start_date.0,
            end_date: input.end_date.map(|d| d.0),
            notes: input.notes,
        };
        let facility = facility(ctx)?;
        let created = facility
            .create_booking(&author(ctx)?, &req, now())
            .await
            .map_err(gql_error)?;
        let mut bookings = Vec::with_capacity(created.bookings.len());
        for view in created.bookings {
            if let Some(record) = facility.booking(view.id).await.map_err(gql_error)? {
                bookings.push(Booking::of(record));
            }
        }
        Ok(bookings)
    }

    /// Confirms a pending booking.
    async fn confirm_booking(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        move_booking(ctx, &id, Move::Confirm, None).await
    }

    /// Cancels a booking not yet arrived.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<Booking> {
        move_booking(ctx, &id, Move::Cancel, reason.as_deref()).await
    }

    /// Moves a booking not yet arrived to other days, checking capacity, double bookings and
    /// vaccinations again.
    async fn reschedule_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RescheduleInput,
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Booking> {
        let id: BookingId = parse_id("id", &id).map_err(gql_error)?;
        let dates = NewDates {
            start_date: input.start_date.0,
            end_date: input.end_date.map(|d| d.0),
        };
        let moved = facility(ctx)?
            .reschedule_booking(&author(ctx)?, id, &dates, expected_updated_at, now())
            .await
            .map_err(gql_error)?;
        Ok(Booking::of(moved))
    }

    /// The dogs arrived: refused when a required vaccination has lapsed since booking.
    async fn check_in_booking(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        move_booking(ctx, &id, Move::CheckIn, None).await
    }

    /// The dogs went home.
    async fn check_out_booking(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        move_booking(ctx, &id, Move::CheckOut, None).await
    }

    /// The dogs never came (after the booking's start).
    async fn mark_no_show(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        move_booking(ctx, &id, Move::NoShow, None).await
    }
}

async fn move_booking(
    ctx: &Context<'_>,
    id: &ID,
    step: Move,
    reason: Option<&str>,
) -> Result<Booking> {
    caller(ctx)?;
    let id: BookingId = parse_id("id", id).map_err(gql_error)?;
    let moved = facility(ctx)?
        .move_booking(&author(ctx)?, id, step, reason, now())
        .await
        .map_err(gql_error)?;
    Ok(Booking::of(moved))
}
