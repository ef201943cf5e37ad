//! Revenue: totals by service and method, refunds and points over facility days, and the
//! manager-only rule.

use super::*;
use crate::both_backends;

impl Fx {
    /// A past booking of `kind` on `date` and a payment for it.
    async fn paid(
        &self,
        (customer, dog): (CustomerId, DogId),
        kind: ServiceKind,
        paid_at: DateTime<Utc>,
        amount: i64,
        method: PaymentMethod,
        status: PaymentStatus,
    ) {
        let booking = NewBooking {
            id: BookingId::new(),
            customer_id: customer,
            service_id: self.service(kind),
            dog_ids: vec![dog],
            start_at: paid_at - chrono::TimeDelta::hours(1),
            end_at: paid_at,
            status: BookingStatus::CheckedOut,
            notes: None,
            created_by: None,
            created_at: paid_at,
        };
        let mut tx = self.t.db.begin().await.unwrap();
        insert_booking(&mut tx, &booking).await.unwrap();
        let payment = NewPayment {
            id: PaymentId::new(),
            booking_id: Some(booking.id),
            customer_id: customer,
            amount_cents: amount,
            method,
            status,
            paid_at: Some(paid_at),
        };
        insert_payment(&mut tx, &payment, now()).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn points(&self, customer: CustomerId, points: i32, created_at: DateTime<Utc>) {
        let record = NewPoints {
            id: PointsTransactionId::new(),
            customer_id: customer,
            points,
            reason: "test".into(),
            booking_id: None,
            created_at,
        };
        insert_points(&mut self.t.db.conn().await.unwrap(), &record)
            .await
            .unwrap();
    }
}

both_backends! {
    async fn revenue_totals_by_service_and_method_with_refunds_and_points(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let (owner, dog) = fx.dogs(1).await[0];
        let past = today() - Days::new(10);
        let next = past + Days::new(1);
        use PaymentMethod::*;
        use PaymentStatus::*;
        use ServiceKind::*;
        fx.paid((owner, dog), Daycare, at(past, "09:00"), 4_500, Card, Succeeded).await;
        fx.paid((owner, dog), Daycare, at(past, "17:00"), 4_500, Cash, Succeeded).await;
        fx.paid((owner, dog), Grooming, at(next, "12:00"), 5_500, Card, Succeeded).await;
        fx.paid((owner, dog), Boarding, at(next, "12:30"), 13_000, Card, Refunded).await;
        fx.paid((owner, dog), Training, at(next, "13:00"), 8_500, Card, Pending).await;
        fx.paid((owner, dog), Training, at(next, "14:00"), 8_500, Card, Failed).await;
        // Just outside the range on both sides (local midnight bounds).
        fx.paid((owner, dog), Daycare, clock::day_bounds(TZ, past).0 - chrono::TimeDelta::seconds(1), 999, Card, Succeeded).await;
        fx.paid((owner, dog), Daycare, clock::day_bounds(TZ, next).1, 999, Card, Succeeded).await;
        fx.points(owner, 45, at(past, "09:00")).await;
        fx.points(owner, 55, at(next, "12:00")).await;
        fx.points(owner, -20, at(next, "13:00")).await;
        fx.points(owner, 1_000, at(next + Days::new(1), "13:00")).await;

        let r = fx.facility.revenue(&fx.manager, past, next).await.unwrap();
        assert_eq!((r.total.count, r.total.amount_cents), (3, 14_500));
        let by_service: Vec<(Option<ServiceKind>, i64, i64)> = r
            .by_service
            .iter()
            .map(|s| (s.service, s.tally.count, s.tally.amount_cents))
            .collect();
        assert_eq!(by_service, vec![(Some(Daycare), 2, 9_000), (Some(Grooming), 1, 5_500)]);
        let by_method: Vec<(PaymentMethod, i64)> =
            r.by_method.iter().map(|m| (m.method, m.tally.amount_cents)).collect();
        assert_eq!(by_method, vec![(Card, 10_000), (Cash, 4_500)]);
        assert_eq!((r.refunds.count, r.refunds.amount_cents), (1, 13_000));
        assert_eq!((r.pending.count, r.failed.count), (1, 1));
        assert_eq!((r.points.issued, r.points.redeemed, r.points.transactions), (100, 20, 3));

        // One day only.
        let r = fx.facility.revenue(&fx.manager, past, past).await.unwrap();
        assert_eq!(r.total.amount_cents, 9_000);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["byService"][0]["amountCents"], 9_000);
        assert_eq!(json["byService"][0]["service"], "daycare");
    }

    async fn revenue_is_for_managers_and_admins_only(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let err = fx.facility.revenue(&fx.staff, today(), today()).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        assert_eq!(
            err.to_string(),
            "revenue is visible to managers and admins only; you are signed in as staff"
        );
        let admin = Actor { role: Role::Admin, ..fx.staff };
        fx.facility.revenue(&admin, today(), today()).await.unwrap();
        let err = fx.facility.revenue(&fx.manager, today(), today() - Days::new(1)).await.unwrap_err();
        assert_eq!(err.code(), "end_before_start");
    }
}
