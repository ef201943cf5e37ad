//! The dashboard, today's summary, staff schedules with ratios, and compliance — on the demo
//! facility, whose shape is known: 35 dogs today of 40 places, six staff with two lunches at
//! 13:00, Biscuit's bordetella lapsing in three days, Juno's rabies expired.

use super::*;
use crate::both_backends;
use aim::facility::clock::ClockTime;
use aim::facility::compliance::VaccinationStatus;

fn hh(s: &str) -> ClockTime {
    s.parse().unwrap()
}

async fn insert_alert(t: &TestDb, severity: &str, title: &str, resolved: bool) {
    let resolved_at = if resolved {
        "'2026-01-01T00:00:00+00:00'"
    } else {
        "NULL"
    };
    let created = match t.backend {
        aim::db::Backend::Sqlite => "'2026-01-01T00:00:00+00:00'",
        aim::db::Backend::Postgres => "now()",
    };
    let sql = format!(
        "INSERT INTO aim_alerts (id, type, severity, title, description, resolved_at, created_at) \
         VALUES ({}, 'capacity_warning', '{severity}', '{title}', 'x', {resolved_at}, {created})",
        t.new_id_sql()
    );
    t.raw(&sql).await.unwrap();
}

both_backends! {
    async fn facility_status_counts_dogs_staff_and_movements_at_a_moment(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        let status = facility.facility_status(at(today(), "13:30")).await.unwrap();
        assert_eq!(status.date, today());
        assert_eq!(status.local_time, hh("13:30"));
        assert_eq!((status.dogs_booked, status.dogs_on_site, status.capacity), (35, 35, 40));
        assert_eq!(status.places_left, 5);
        assert_eq!(status.occupancy_percent, 87.5);
        assert_eq!(status.staff_on_duty.len(), 6);
        let on_break: Vec<&str> = status
            .staff_on_duty
            .iter()
            .filter(|s| s.on_break)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(on_break.len(), 2, "two lunches at 13:00: {on_break:?}");
        // Every daycare visit arrives and leaves today; Luna's boarding does neither.
        let dogs_arriving: usize = status.arrivals.iter().map(|m| m.dogs.len()).sum();
        assert_eq!(dogs_arriving, 34);
        assert!(status.arrivals.iter().all(|m| m.time == hh("08:00")));
        assert!(status.departures.iter().all(|m| m.time == hh("18:00")));
        assert!(status.arrivals.iter().flat_map(|m| &m.dogs).all(|d| d.name != "Luna"));
        // Biscuit is here today with bordetella lapsing within the week.
        let biscuit: Vec<_> = status.compliance_flags.iter().filter(|f| f.dog_name == "Biscuit").collect();
        assert_eq!(biscuit.len(), 1);
        assert_eq!(biscuit[0].vaccine, VaccineKind::Bordetella);
        assert_eq!(biscuit[0].status, VaccinationStatus::ExpiringSoon);
        assert!(status.compliance_flags.iter().all(|f| f.next_booking == Some(today())));
        // Exactly one hour is over the ratio.
        let gaps: Vec<ClockTime> = status.staffing_gaps.iter().map(|h| h.hour).collect();
        assert_eq!(gaps, vec![hh("13:00")]);

        // On site means checked in: before the 08:00 drop-off only Luna (boarding since
        // yesterday) is here; at night the daycare dogs nobody checked out still are.
        let early = facility.facility_status(at(today(), "07:00")).await.unwrap();
        assert_eq!((early.dogs_on_site, early.dogs_expected), (1, 0));
        let night = facility.facility_status(at(today(), "22:00")).await.unwrap();
        assert_eq!((night.dogs_on_site, night.dogs_booked), (35, 35));
        assert!(night.staff_on_duty.is_empty());
    }

    async fn the_staff_schedule_shows_breaks_and_the_ratio_hour_by_hour(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        let day = facility.staff_schedule(today(), now()).await.unwrap();
        assert_eq!(day.staff_ratio, 8);
        assert_eq!(day.shifts.len(), 6);
        assert!(day.shifts.iter().all(|s| s.breaks.len() == 1));
        let hour = |h: &str| day.hours.iter().find(|x| x.hour == hh(h)).unwrap().clone();
        let one = hour("13:00");
        assert_eq!((one.dogs, one.staff_on_duty), (35, 4));
        assert_eq!(one.dogs_per_staff, Some(8.75));
        assert!(one.over_ratio && !one.no_staff);
        let noon = hour("12:00");
        assert_eq!((noon.dogs, noon.staff_on_duty), (35, 5));
        assert!(!noon.over_ratio);
        // Before drop-off only Luna and the groomer are in.
        let seven = hour("07:00");
        assert_eq!((seven.dogs, seven.staff_on_duty), (1, 1));
        assert_eq!(day.hours.first().unwrap().hour, hh("07:00"));
        assert_eq!(day.hours.last().unwrap().hour, hh("17:00"));
        // A day with nothing booked and nobody scheduled flags no hour.
        let empty = facility.staff_schedule(today() + Days::new(30), now()).await.unwrap();
        assert!(empty.shifts.is_empty());
        assert!(empty.hours.iter().all(|h| h.dogs == 0 && !h.no_staff));
    }

    async fn compliance_lists_booked_dogs_first_and_checks_its_window(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        let report = facility.compliance(today(), 30).await.unwrap();
        let first = &report.flags[0];
        assert_eq!((first.dog_name.as_str(), first.vaccine), ("Biscuit", VaccineKind::Bordetella));
        assert_eq!(first.next_booking, Some(today()));
        assert!(!first.invalid_on_next_booking);
        assert_eq!(first.owner.name, "Mark Huggins");
        let juno = report.flags.iter().find(|f| f.dog_name == "Juno").unwrap();
        assert_eq!((juno.vaccine, juno.status), (VaccineKind::Rabies, VaccinationStatus::Expired));
        assert_eq!(juno.next_booking, None);
        let booked = report.booked().count();
        let position_of_juno = report.flags.iter().position(|f| f.dog_name == "Juno").unwrap();
        assert!(position_of_juno >= booked, "unbooked dogs come after booked ones");
        // Three days ahead Biscuit's bordetella (expiring on day 3) is still within the window.
        let short = facility.compliance(today(), 3).await.unwrap();
        assert!(short.flags.iter().any(|f| f.dog_name == "Biscuit"));
        let shorter = facility.compliance(today(), 2).await.unwrap();
        assert!(shorter.flags.iter().all(|f| f.dog_name != "Biscuit"));
        let err = facility.compliance(today(), 1000).await.unwrap_err();
        assert_eq!(err.field(), Some("days_ahead"));
    }

    async fn compliance_names_the_first_booked_day_a_lapsing_vaccination_no_longer_covers(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let owner = fx.customer("Mark", "Huggins", "555 010 0001").await;
        let dog = fx.dog(owner, "Biscuit").await;
        fx.book(owner, &[dog], ServiceKind::Boarding, day(1), Some(day(4))).await.unwrap();
        fx.book(owner, &[dog], ServiceKind::Daycare, day(9), None).await.unwrap();
        // The rabies shot, valid when the stay was booked, now lapses after its second day.
        fx.t.raw(&format!(
            "UPDATE vaccinations SET expires_on = '{}' WHERE kind = 'rabies'",
            day(2)
        ))
        .await
        .unwrap();
        let report = fx.facility.compliance(today(), 30).await.unwrap();
        let rabies = report.flags.iter().find(|f| f.vaccine == VaccineKind::Rabies).unwrap();
        assert_eq!(rabies.next_booking, Some(day(1)));
        assert!(!rabies.invalid_on_next_booking, "it still covers the first day");
        assert_eq!(rabies.first_invalid_booking, Some(day(3)), "the stay's third day is at risk");
        // Lapsing on the stay's last day still covers it; the later daycare day is at risk.
        fx.t.raw(&format!(
            "UPDATE vaccinations SET expires_on = '{}' WHERE kind = 'rabies'",
            day(4)
        ))
        .await
        .unwrap();
        let report = fx.facility.compliance(today(), 30).await.unwrap();
        let rabies = report.flags.iter().find(|f| f.vaccine == VaccineKind::Rabies).unwrap();
        assert_eq!(rabies.first_invalid_booking, Some(day(9)));
        // Within a window that ends before the daycare day, nothing booked is at risk.
        let short = fx.facility.compliance(today(), 5).await.unwrap();
        let rabies = short.flags.iter().find(|f| f.vaccine == VaccineKind::Rabies).unwrap();
        assert_eq!(rabies.first_invalid_booking, None);
    }

    async fn today_summary_counts_open_alerts_and_shows_revenue_to_managers_only(t: TestDb) {
        let (facility, staff, manager) = demo_facility(&t).await;
        insert_alert(&t, "critical", "Over capacity soon", false).await;
        insert_alert(&t, "warning", "Ratio at 13:00", false).await;
        insert_alert(&t, "info", "Old news", true).await;
        let now = at(today(), "10:00");
        let summary = facility.today_summary(&staff, now).await.unwrap();
        assert_eq!(summary.revenue_today_cents, None, "staff do not see revenue");
        assert_eq!((summary.open_alerts.total, summary.open_alerts.critical, summary.open_alerts.warning), (2, 1, 1));
        assert_eq!(summary.open_alerts.latest[0].title, "Over capacity soon");
        assert_eq!(summary.status.dogs_booked, 35);

        let summary = facility.today_summary(&manager, now).await.unwrap();
        let revenue = facility.revenue(&manager, today(), today()).await.unwrap();
        assert!(revenue.total.amount_cents > 0, "a third of today's visits were prepaid");
        assert_eq!(summary.revenue_today_cents, Some(revenue.total.amount_cents));
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["dogsBooked"], 35);
        assert_eq!(json["openAlerts"]["total"], 2);
    }
}
