//! Creating bookings and reading the schedule: every rule of `create_booking`, atomicity and
//! the race for the last place.

use super::*;
use crate::both_backends;
use aim::facility::FacilityError;

both_backends! {
    async fn a_confirmed_booking_shows_in_the_schedule_with_its_count_against_capacity(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let owner = fx.customer("Mark", "Huggins", "(555) 014-2387").await;
        let biscuit = fx.dog(owner, "Biscuit").await;
        let pepper = fx.dog(owner, "Pepper").await;
        let created = fx
            .book(owner, &[biscuit, pepper], ServiceKind::Daycare, day(1), None)
            .await
            .unwrap();
        assert_eq!(created.bookings.len(), 1);
        assert_eq!(created.price_cents, 2 * 4_500);
        let booking = &created.bookings[0];
        assert_eq!(booking.status, BookingStatus::Confirmed);
        assert_eq!((booking.first_day, booking.last_day), (day(1), day(1)));
        assert_eq!(booking.start_at, at(day(1), "08:00"));
        assert_eq!(booking.end_at, at(day(1), "18:00"));

        let schedule = fx.facility.schedule(day(0), day(2), None).await.unwrap();
        let counts: Vec<u32> = schedule.days.iter().map(|d| d.dogs_booked).collect();
        assert_eq!(counts, vec![0, 2, 0]);
        let tomorrow = &schedule.days[1];
        assert_eq!((tomorrow.capacity, tomorrow.places_left), (40, 38));
        assert_eq!(tomorrow.occupancy_percent, 5.0);
        assert_eq!(tomorrow.bookings[0].customer.name, "Mark Huggins");
        let names: Vec<&str> = tomorrow.bookings[0].dogs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["Biscuit", "Pepper"]);
        // A service filter narrows the list, not the count.
        let grooming = fx.facility.schedule(day(1), day(1), Some(ServiceKind::Grooming)).await.unwrap();
        assert!(grooming.days[0].bookings.is_empty());
        assert_eq!(grooming.days[0].dogs_booked, 2);
        // Who booked it is recorded.
        assert_eq!(fx.bookings_count().await, 1);
    }

    async fn capacity_exactly_full_is_accepted_and_one_over_is_refused(t: TestDb) {
        let fx = Fx::new(t, 3).await;
        let dogs = fx.dogs(4).await;
        fx.book(dogs[0].0, &[dogs[0].1], ServiceKind::Daycare, day(2), None).await.unwrap();
        fx.book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(2), None).await.unwrap();
        // The third dog fills the last place exactly.
        fx.book(dogs[2].0, &[dogs[2].1], ServiceKind::Daycare, day(2), None).await.unwrap();
        let err = fx
            .book(dogs[3].0, &[dogs[3].1], ServiceKind::Daycare, day(2), None)
            .await
            .unwrap_err();
        match err {
            FacilityError::CapacityFull { date, booked, requested, capacity } => {
                assert_eq!((date, booked, requested, capacity), (day(2), 3, 1, 3));
            }
            other => panic!("expected capacity_full, got {other:?}"),
        }
        assert_eq!(fx.bookings_count().await, 3);
        // The next day is free.
        fx.book(dogs[3].0, &[dogs[3].1], ServiceKind::Daycare, day(3), None).await.unwrap();
    }

    async fn a_full_day_inside_a_stay_refuses_the_whole_stay_and_writes_nothing(t: TestDb) {
        let fx = Fx::new(t, 1).await;
        let dogs = fx.dogs(2).await;
        fx.book(dogs[0].0, &[dogs[0].1], ServiceKind::Daycare, day(3), None).await.unwrap();
        let err = fx
            .book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(1), Some(day(4)))
            .await
            .unwrap_err();
        assert!(matches!(err, FacilityError::CapacityFull { date, .. } if date == day(3)), "{err:?}");
        assert_eq!(err.code(), "capacity_full");
        assert_eq!(fx.bookings_count().await, 1, "no day of the refused stay was written");
        // Daycare over several days is one booking per day; boarding is one stay priced by night.
        let created = fx
            .book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(1), Some(day(2)))
            .await
            .unwrap();
        assert_eq!(created.bookings.len(), 2);
        assert_eq!(created.price_cents, 2 * 4_500);
        let created = fx
            .book(dogs[0].0, &[dogs[0].1], ServiceKind::Boarding, day(5), Some(day(8)))
            .await
            .unwrap();
        assert_eq!(created.bookings.len(), 1);
        assert_eq!(created.price_cents, 3 * 6_500);
        assert_eq!(created.bookings[0].last_day, day(8));
    }

    async fn unknown_ids_and_a_dog_of_another_customer_are_refused(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let mark = fx.customer("Mark", "Huggins", "555 014 2387").await;
        let biscuit = fx.dog(mark, "Biscuit").await;
        let priya = fx.customer("Priya", "Natarajan", "555 201 7788").await;
        let luna = fx.dog(priya, "Luna").await;

        let ghost = CustomerId::new();
        let err = fx.book(ghost, &[biscuit], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert!(matches!(err, FacilityError::UnknownCustomer(id) if id == ghost), "{err:?}");
        assert_eq!(err.field(), Some("customer_id"));

        let stray = DogId::new();
        let err = fx.book(mark, &[biscuit, stray], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert!(matches!(err, FacilityError::UnknownDog(id) if id == stray), "{err:?}");
        assert_eq!(err.field(), Some("dog_ids"));

        let err = fx.book(mark, &[biscuit, luna], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        match &err {
            FacilityError::DogNotOwned { dog_name, customer_name, .. } => {
                assert_eq!((dog_name.as_str(), customer_name.as_str()), ("Luna", "Mark Huggins"));
            }
            other => panic!("expected dog_not_owned, got {other:?}"),
        }
        let err = fx.book(mark, &[], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_input", Some("dog_ids")));
        let err = fx.book(mark, &[biscuit, biscuit], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert_eq!(err.field(), Some("dog_ids"));
        assert_eq!(fx.bookings_count().await, 0);
    }

    async fn dates_in_the_past_reversed_or_too_long_are_refused(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let (owner, dog) = fx.dogs(1).await[0];
        let yesterday = today() - Days::new(1);
        let err = fx.book(owner, &[dog], ServiceKind::Daycare, yesterday, None).await.unwrap_err();
        assert!(matches!(err, FacilityError::StartInPast { start, .. } if start == yesterday), "{err:?}");
        assert_eq!(err.field(), Some("start_date"));

        let err = fx.book(owner, &[dog], ServiceKind::Daycare, day(3), Some(day(2))).await.unwrap_err();
        assert!(matches!(err, FacilityError::EndBeforeStart { field: "end_date", .. }), "{err:?}");

        let err = fx.book(owner, &[dog], ServiceKind::Boarding, day(3), Some(day(3))).await.unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_input", Some("end_date")));

        let err = fx.book(owner, &[dog], ServiceKind::Boarding, day(1), Some(day(90))).await.unwrap_err();
        assert_eq!(err.code(), "range_too_long");

        // Today is not the past.
        fx.book(owner, &[dog], ServiceKind::Grooming, today(), None).await.unwrap();
    }

    async fn the_same_dog_cannot_stay_twice_on_an_overlapping_day(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let (owner, dog) = fx.dogs(1).await[0];
        let first = fx.book(owner, &[dog], ServiceKind::Boarding, day(2), Some(day(4))).await.unwrap();
        // Daycare on the check-out day overlaps the boarding stay.
        let err = fx.book(owner, &[dog], ServiceKind::Daycare, day(4), None).await.unwrap_err();
        match err {
            FacilityError::DogAlreadyBooked { date, booking_id, .. } => {
                assert_eq!((date, booking_id), (day(4), first.bookings[0].id));
            }
            other => panic!("expected dog_already_booked, got {other:?}"),
        }
        let err = fx.book(owner, &[dog], ServiceKind::Boarding, day(1), Some(day(2))).await.unwrap_err();
        assert_eq!(err.code(), "dog_already_booked");
        // Grooming during a stay is fine and takes no extra place; a second grooming is not.
        fx.book(owner, &[dog], ServiceKind::Grooming, day(3), None).await.unwrap();
        let err = fx.book(owner, &[dog], ServiceKind::Grooming, day(3), None).await.unwrap_err();
        assert_eq!(err.code(), "dog_already_booked");
        let schedule = fx.facility.schedule(day(3), day(3), None).await.unwrap();
        assert_eq!(schedule.days[0].dogs_booked, 1);
        assert_eq!(schedule.days[0].bookings.len(), 2);
        // The day after check-out is free.
        fx.book(owner, &[dog], ServiceKind::Daycare, day(5), None).await.unwrap();
    }

    async fn a_required_vaccination_must_last_until_the_stay_ends(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let owner = fx.customer("Owen", "Price", "555 769 4405").await;
        let remy = NewDog {
            id: DogId::new(),
            customer_id: owner,
            name: "Remy".into(),
            breed: None,
            birthdate: None,
            notes: None,
        };
        insert_dog(&mut fx.t.db.conn().await.unwrap(), &remy, now()).await.unwrap();
        fx.vaccinate(remy.id, VaccineKind::Rabies, day(5)).await;
        fx.vaccinate(remy.id, VaccineKind::Dhpp, day(300)).await;

        // No bordetella on record at all.
        let err = fx.book(owner, &[remy.id], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert!(matches!(err, FacilityError::VaccinationMissing { vaccine: VaccineKind::Bordetella, .. }), "{err:?}");
        fx.vaccinate(remy.id, VaccineKind::Bordetella, day(300)).await;

        // Rabies runs out on day 5: a stay to day 6 is refused, one ending on day 5 is fine.
        let err = fx.book(owner, &[remy.id], ServiceKind::Boarding, day(3), Some(day(6))).await.unwrap_err();
        match &err {
            FacilityError::VaccinationExpired { dog_name, vaccine, expires_on, last_day, .. } => {
                assert_eq!((dog_name.as_str(), *vaccine), ("Remy", VaccineKind::Rabies));
                assert_eq!((*expires_on, *last_day), (day(5), day(6)));
            }
            other => panic!("expected vaccination_expired, got {other:?}"),
        }
        assert!(err.to_string().contains("rabies"), "{err}");
        fx.book(owner, &[remy.id], ServiceKind::Boarding, day(3), Some(day(5))).await.unwrap();
        assert_eq!(fx.bookings_count().await, 1);
    }

    async fn two_bookings_racing_for_the_last_place_cannot_both_succeed(t: TestDb) {
        let fx = Fx::new(t, 3).await;
        let dogs = fx.dogs(10).await;
        fx.book(dogs[0].0, &[dogs[0].1], ServiceKind::Daycare, day(1), None).await.unwrap();
        fx.book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(1), None).await.unwrap();
        let mut tasks = Vec::new();
        for &(owner, dog) in &dogs[2..] {
            let facility = fx.facility.clone();
            let req = fx.request(owner, &[dog], ServiceKind::Daycare, day(1), None);
            let staff = fx.staff;
            tasks.push(tokio::spawn(async move {
                facility.create_booking(&Author::staff(staff, AuditChannel::Graphql, None), &req, now()).await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(FacilityError::CapacityFull { .. }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(won, 1, "exactly one request gets the last place");
        let schedule = fx.facility.schedule(day(1), day(1), None).await.unwrap();
        assert_eq!(schedule.days[0].dogs_booked, 3);
    }

    async fn a_stay_ending_at_local_midnight_does_not_occupy_the_next_day(t: TestDb) {
        let fx = Fx::new(t, 1).await;
        let dogs = fx.dogs(2).await;
        let booking = NewBooking {
            id: BookingId::new(),
            customer_id: dogs[0].0,
            service_id: fx.service(ServiceKind::Boarding),
            dog_ids: vec![dogs[0].1],
            start_at: at(day(1), "08:00"),
            end_at: clock::day_bounds(TZ, day(2)).0,
            status: BookingStatus::Confirmed,
            notes: None,
            created_by: None,
            created_at: now(),
        };
        let mut tx = fx.t.db.begin().await.unwrap();
        insert_booking(&mut tx, &booking).await.unwrap();
        tx.commit().await.unwrap();

        let schedule = fx.facility.schedule(day(1), day(2), None).await.unwrap();
        assert_eq!(schedule.days[0].dogs_booked, 1);
        assert_eq!(schedule.days[1].dogs_booked, 0, "ends at midnight: the next day is free");
        assert_eq!(schedule.days[0].bookings[0].last_day, day(1));
        // With one place, the next day can be booked; the day itself cannot.
        fx.book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(2), None).await.unwrap();
        let err = fx.book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(1), None).await.unwrap_err();
        assert_eq!(err.code(), "capacity_full");
    }

    async fn cancelled_bookings_free_their_places(t: TestDb) {
        let fx = Fx::new(t, 1).await;
        let dogs = fx.dogs(2).await;
        let created = fx.book(dogs[0].0, &[dogs[0].1], ServiceKind::Daycare, day(1), None).await.unwrap();
        let id = created.bookings[0].id;
        let author = Author::staff(fx.staff, AuditChannel::Graphql, None);
        fx.facility
            .move_booking(&author, id, aim::facility::desk::Move::Cancel, Some("family trip"), now())
            .await
            .unwrap();
        fx.book(dogs[1].0, &[dogs[1].1], ServiceKind::Daycare, day(1), None).await.unwrap();
        let schedule = fx.facility.schedule(day(1), day(1), None).await.unwrap();
        assert_eq!(schedule.days[0].dogs_booked, 1);
    }

    async fn schedule_ranges_are_checked(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let err = fx.facility.schedule(day(3), day(1), None).await.unwrap_err();
        assert_eq!(err.code(), "end_before_start");
        let err = fx.facility.schedule(day(0), day(400), None).await.unwrap_err();
        assert_eq!(err.code(), "range_too_long");
    }
}
