//! The alert checks on the demo facility: what its snapshot raises, vaccinations expiring on
//! the day of a stay, and bookings counted per 24 hours back from now, on both backends.

use std::collections::HashSet;

use aim::aim::checks::{self, Finding, Thresholds};
use aim::facility::bookings::BookingRequest;
use chrono::{DateTime, Days, TimeDelta, Timelike};

use super::*;
use crate::both_backends;

async fn findings(c: &Chat, now: DateTime<Utc>) -> Vec<Finding> {
    let th = Thresholds::default();
    let snap = c.facility.alert_snapshot(now, &th).await.unwrap();
    checks::all(&snap, &th)
}

fn of_kind(found: &[Finding], kind: AlertType) -> Vec<&Finding> {
    found.iter().filter(|f| f.kind == kind).collect()
}

fn biscuit_bordetella(found: &[Finding]) -> &Finding {
    found
        .iter()
        .find(|f| {
            f.kind == AlertType::Compliance
                && f.data["dogName"] == "Biscuit"
                && f.data["vaccine"] == "bordetella"
        })
        .unwrap_or_else(|| panic!("Biscuit's bordetella: {found:#?}"))
}

both_backends! {
    async fn the_demo_facility_raises_its_staffing_gap_busy_day_and_expiring_bordetella(t: TestDb) {
        let c = Chat::new(t).await;
        let found = findings(&c, Utc::now()).await;

        let gaps = of_kind(&found, AlertType::StaffingGap);
        let one_pm = gaps
            .iter()
            .find(|f| f.key == format!("{}T13", today()))
            .unwrap_or_else(|| panic!("13:00 is over 8:1 in the demo: {gaps:#?}"));
        assert_eq!(one_pm.severity, AlertSeverity::Warning);
        assert_eq!(one_pm.data["hour"], "13:00");

        let busy = of_kind(&found, AlertType::CapacityWarning);
        let today_busy = busy
            .iter()
            .find(|f| f.key == today().to_string())
            .unwrap_or_else(|| panic!("today is over 80 % in the demo: {busy:#?}"));
        assert_eq!(today_busy.severity, AlertSeverity::Warning);
        assert_eq!(today_busy.data["capacity"], 40);

        let biscuit = biscuit_bordetella(&found);
        assert_eq!(biscuit.severity, AlertSeverity::Warning, "valid today, lapsing in 3 days");
        assert_eq!(biscuit.data["bookedOn"], today().to_string());
        assert_eq!(biscuit.key, format!("{}/bordetella", biscuit.data["dogId"].as_str().unwrap()));

        let mut keys = HashSet::new();
        for f in &found {
            assert!(keys.insert((f.kind, f.key.clone())), "{} {} found twice", f.kind, f.key);
            assert_eq!(f.data["key"], f.key.as_str());
            assert!(!f.title.is_empty() && !f.description.is_empty());
        }
    }

    async fn a_vaccination_is_judged_on_every_booked_day_of_the_week(t: TestDb) {
        let c = Chat::new(t).await;
        let set_bordetella = |date: NaiveDate| {
            format!(
                "UPDATE vaccinations SET expires_on = '{date}' WHERE kind = 'bordetella' \
                 AND dog_id IN (SELECT id FROM dogs WHERE name = 'Biscuit')"
            )
        };
        // Lapsing on the window's last day: it covers every booked day (a stay on its expiry
        // day included), so a warning.
        let week_end = today() + Days::new(7);
        assert!(c.t.raw(&set_bordetella(week_end)).await.unwrap() > 0);
        let biscuit = biscuit_bordetella(&findings(&c, Utc::now()).await).clone();
        assert_eq!(biscuit.severity, AlertSeverity::Warning, "{biscuit:#?}");
        assert_eq!(biscuit.data["validOnBookedDay"], true);
        assert_eq!(biscuit.data["bookedOn"], today().to_string());

        // Lapsing today: today's visit is covered, her visit later in the week is not.
        c.t.raw(&set_bordetella(today())).await.unwrap();
        let biscuit = biscuit_bordetella(&findings(&c, Utc::now()).await).clone();
        assert_eq!(biscuit.severity, AlertSeverity::Critical, "{biscuit:#?}");
        assert_eq!(biscuit.data["validOnBookedDay"], false);
        let at_risk: NaiveDate = biscuit.data["bookedOn"].as_str().unwrap().parse().unwrap();
        assert!(at_risk > today() && at_risk <= week_end, "{biscuit:#?}");
        assert!(biscuit.title.contains(&format!("will not be valid on {at_risk}")), "{}", biscuit.title);

        // Lapsed yesterday: today's visit is at risk.
        let yesterday = today() - Days::new(1);
        c.t.raw(&set_bordetella(yesterday)).await.unwrap();
        let biscuit = biscuit_bordetella(&findings(&c, Utc::now()).await).clone();
        assert_eq!(biscuit.severity, AlertSeverity::Critical, "{biscuit:#?}");
        assert_eq!(biscuit.data["status"], "expired");
        assert_eq!(biscuit.data["bookedOn"], today().to_string());
    }

    async fn bookings_are_counted_in_24_hour_windows_back_from_now(t: TestDb) {
        let c = Chat::new(t).await;
        let th = Thresholds::default();
        let base = Utc::now().with_nanosecond(0).unwrap();
        let day = TimeDelta::hours(24);
        let second = TimeDelta::seconds(1);
        let moments = [base, base + second, base + day, base + day + second];
        let mut before = Vec::new();
        for now in moments {
            let snap = c.facility.alert_snapshot(now, &th).await.unwrap();
            assert_eq!(snap.bookings_created_per_day_before.len(), 14);
            before.push(snap);
        }

        // Three days of daycare, well after the demo's week: three bookings made at `base`.
        let (customer_id, pepper) = c.customer_and_dog("Mark Huggins", "Pepper").await;
        let start = today() + Days::new(10);
        let req = BookingRequest {
            customer_id,
            dog_ids: vec![pepper],
            service: ServiceKind::Daycare,
            start_date: start,
            end_date: Some(start + Days::new(2)),
            notes: None,
        };
        let made = c.facility.create_booking(&aim::facility::Author::staff(c.staff, aim::domain::AuditChannel::Aim, None), &req, base).await.unwrap();
        assert_eq!(made.bookings.len(), 3);

        let mut added = Vec::new();
        for (now, old) in moments.into_iter().zip(&before) {
            let snap = c.facility.alert_snapshot(now, &th).await.unwrap();
            let diff = |new: &[u32], old: &[u32]| -> Vec<u32> {
                new.iter().zip(old).map(|(n, o)| n - o).collect()
            };
            added.push((
                snap.bookings_created_last_24h - old.bookings_created_last_24h,
                diff(&snap.bookings_created_per_day_before, &old.bookings_created_per_day_before)[..2].to_vec(),
            ));
        }
        assert_eq!(
            added,
            [
                (0, vec![0, 0]), // made at `now`: not yet in [now - 24 h, now)
                (3, vec![0, 0]),
                (3, vec![0, 0]), // exactly 24 h ago is still the last 24 h
                (0, vec![3, 0]), // then the day before
            ]
        );
    }
}
