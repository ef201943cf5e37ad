//! The facility services: bookings, the dashboard, search, staff schedules, compliance,
//! revenue and SMS. Each test runs on SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod bookings;
mod dashboard;
mod revenue;
mod search;
mod sms;

use aim::db::facility::*;
use aim::db::staff::StaffUserRecord;
use aim::domain::*;
use aim::facility::bookings::{BookingRequest, CreatedBookings};
use aim::facility::clock;
use aim::facility::demo::{self, DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use aim::facility::sms::{SmsLimits, SmsService};
use aim::facility::{Author, Facility, FacilityResult, FacilitySettings};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use common::TestDb;

pub const TZ: Tz = chrono_tz::America::New_York;

pub fn settings(capacity: u32) -> FacilitySettings {
    FacilitySettings {
        capacity,
        staff_ratio: 8,
        timezone: TZ,
    }
}

pub fn facility(t: &TestDb, settings: FacilitySettings) -> Facility {
    Facility::new(
        t.db.clone(),
        settings,
        SmsService::new(t.db.clone(), None, SmsLimits::default()),
    )
}

pub fn today() -> NaiveDate {
    clock::local_date(TZ, Utc::now())
}

pub fn day(offset: u64) -> NaiveDate {
    today() + Days::new(offset)
}

/// A local wall-clock time of the facility as an instant.
pub fn at(date: NaiveDate, hh_mm: &str) -> DateTime<Utc> {
    let time = NaiveTime::parse_from_str(hh_mm, "%H:%M").unwrap();
    clock::local_instant(TZ, date, time)
}

/// A small facility built row by row: two staff users, the four services, and customers and
/// dogs added by each test.
pub struct Fx {
    pub t: TestDb,
    pub facility: Facility,
    pub staff: Actor,
    pub manager: Actor,
    pub services: Vec<(ServiceKind, ServiceId)>,
}

impl Fx {
    pub async fn new(t: TestDb, capacity: u32) -> Fx {
        let now = now();
        let mut conn = t.db.conn().await.unwrap();
        let mut actors = Vec::new();
        for (email, role) in [
            ("sam@example.com", Role::Staff),
            ("morgan@example.com", Role::Manager),
        ] {
            let record = StaffUserRecord {
                id: StaffUserId::new(),
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                role,
                password_hash: "not-a-hash".into(),
                active: true,
                created_at: now,
                updated_at: now,
            };
            aim::db::staff::insert(&mut conn, &record).await.unwrap();
            actors.push(Actor {
                staff_user_id: record.id,
                role,
            });
        }
        let mut services = Vec::new();
        for (kind, price) in [
            (ServiceKind::Daycare, 4_500),
            (ServiceKind::Boarding, 6_500),
            (ServiceKind::Grooming, 5_500),
            (ServiceKind::Training, 8_500),
        ] {
            let service = NewService {
                id: ServiceId::new(),
                kind,
                name: kind.to_string(),
                price_cents: price,
            };
            let id = insert_service(&mut conn, &service, now).await.unwrap();
            services.push((kind, id));
        }
        drop(conn);
        let facility = facility(&t, settings(capacity));
        Fx {
            t,
            facility,
            staff: actors[0],
            manager: actors[1],
            services,
        }
    }

    pub fn service(&self, kind: ServiceKind) -> ServiceId {
        self.services.iter().find(|s| s.0 == kind).unwrap().1
    }

    pub async fn customer(&self, first: &str, last: &str, phone: &str) -> CustomerId {
        let customer = NewCustomer {
            id: CustomerId::new(),
            first_name: first.into(),
            last_name: last.into(),
            email: Some(format!(
                "{}.{}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            )),
            phone: Some(phone.into()),
            notes: None,
        };
        insert_customer(&mut self.t.db.conn().await.unwrap(), &customer, now())
            .await
            .unwrap();
        customer.id
    }

    /// A dog with every required vaccination valid for a year.
    pub async fn dog(&self, owner: CustomerId, name: &str) -> DogId {
        let dog = NewDog {
            id: DogId::new(),
            customer_id: owner,
            name: name.into(),
            breed: Some("Mixed".into()),
            birthdate: None,
            notes: None,
        };
        insert_dog(&mut self.t.db.conn().await.unwrap(), &dog, now())
            .await
            .unwrap();
        for kind in VaccineKind::REQUIRED {
            self.vaccinate(dog.id, *kind, day(365)).await;
        }
        dog.id
    }

    pub async fn vaccinate(&self, dog: DogId, kind: VaccineKind, expires_on: NaiveDate) {
        let record = NewVaccination {
            id: VaccinationId::new(),
            dog_id: dog,
            kind,
            administered_on: None,
            expires_on,
        };
        insert_vaccination(&mut self.t.db.conn().await.unwrap(), &record, now())
            .await
            .unwrap();
    }

    /// `n` customers with one dog each.
    pub async fn dogs(&self, n: usize) -> Vec<(CustomerId, DogId)> {
        let mut out = Vec::new();
        for i in 0..n {
            let c = self
                .customer("Owner", &format!("Number{i}"), &format!("555 000 {i:04}"))
                .await;
            out.push((c, self.dog(c, &format!("Dog{i}")).await));
        }
        out
    }

    pub fn request(
        &self,
        customer: CustomerId,
        dogs: &[DogId],
        service: ServiceKind,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> BookingRequest {
        BookingRequest {
            customer_id: customer,
            dog_ids: dogs.to_vec(),
            service,
            start_date: start,
            end_date: end,
            notes: None,
        }
    }

    pub async fn book(
        &self,
        customer: CustomerId,
        dogs: &[DogId],
        service: ServiceKind,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> FacilityResult<CreatedBookings> {
        let req = self.request(customer, dogs, service, start, end);
        self.facility
            .create_booking(
                &Author::staff(self.staff, AuditChannel::Graphql, None),
                &req,
                now(),
            )
            .await
    }

    pub async fn bookings_count(&self) -> i64 {
        count(&self.t, "bookings").await
    }
}

pub async fn count(t: &TestDb, table: &str) -> i64 {
    aim::db::facility::table_counts(&mut t.db.conn().await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|(name, _)| *name == table)
        .unwrap()
        .1
}

/// The demo facility loaded for today, and the actors of its two documented accounts.
pub async fn demo_facility(t: &TestDb) -> (Facility, Actor, Actor) {
    demo::seed(&t.db, today(), TZ).await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let mut actor = async |email| {
        let user = aim::db::staff::find_by_email(&mut conn, email)
            .await
            .unwrap()
            .unwrap();
        Actor {
            staff_user_id: user.id,
            role: user.role,
        }
    };
    let staff = actor(DEMO_STAFF_EMAIL).await;
    let manager = actor(DEMO_MANAGER_EMAIL).await;
    (facility(t, settings(40)), staff, manager)
}
