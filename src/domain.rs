//! Domain vocabulary shared by every layer: typed ids and the enumerations the database checks.
//!
//! Enumerations are stored as text (`snake_case`) and each table restricts them with a `CHECK`
//! constraint, so the database refuses a value Rust would never produce.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The current time, truncated to microseconds: PostgreSQL stores microseconds, so a value
/// written and read back compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type, schemars::JsonSchema)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(/// A staff user's id.
    StaffUserId);
id_type!(/// A customer's id.
    CustomerId);
id_type!(/// A dog's id.
    DogId);
id_type!(/// A vaccination record's id.
    VaccinationId);
id_type!(/// A service's id.
    ServiceId);
id_type!(/// A booking's id.
    BookingId);
id_type!(/// A staff schedule (shift) id.
    StaffScheduleId);
id_type!(/// A staff break's id.
    StaffBreakId);
id_type!(/// A payment's id.
    PaymentId);
id_type!(/// A points transaction's id.
    PointsTransactionId);
id_type!(/// An outbound SMS message's id.
    SmsMessageId);
id_type!(/// An AIM conversation's id.
    ConversationId);
id_type!(/// An AIM message's id.
    MessageId);
id_type!(/// An AIM alert's id.
    AlertId);
id_type!(/// An audit log entry's id.
    AuditEntryId);
id_type!(/// A pending action's id: a write AIM proposed for staff to confirm.
    ActionId);

/// Who is acting: the signed-in staff user on whose behalf a service runs. Services that
/// depend on the role (revenue) or record the author (bookings, SMS) take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub staff_user_id: StaffUserId,
    pub role: Role,
}

/// Error for text that is not one of an enumeration's values.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident as $kind:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and used on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(text.parse()?)
            }
        }
    };
}

text_enum!(/// What a staff user may do: managers and admins see revenue and manage staff.
    Role as "role" { Staff = "staff", Manager = "manager", Admin = "admin" });

impl Role {
    /// Managers and admins: revenue, staff administration.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }
}

text_enum!(/// The kinds of service the facility sells.
    ServiceKind as "service" { Daycare = "daycare", Boarding = "boarding", Grooming = "grooming", Training = "training" });

impl ServiceKind {
    /// Daycare and boarding are stays: a dog has at most one stay on a day. Grooming and
    /// training are appointments a dog can have during a stay.
    pub fn is_stay(self) -> bool {
        matches!(self, ServiceKind::Daycare | ServiceKind::Boarding)
    }

    /// Whether two bookings of these services for the same dog on the same day clash.
    pub fn clashes_with(self, other: ServiceKind) -> bool {
        self == other || (self.is_stay() && other.is_stay())
    }
}

text_enum!(/// A booking's lifecycle: pending → confirmed → checked_in → checked_out, or cancelled /
/// no_show before check-in.
BookingStatus as "booking status" {
    Pending = "pending",
    Confirmed = "confirmed",
    CheckedIn = "checked_in",
    CheckedOut = "checked_out",
    Cancelled = "cancelled",
    NoShow = "no_show",
});

impl BookingStatus {
    /// Whether the booking still holds its places: not cancelled and not a no-show.
    pub fn holds_places(self) -> bool {
        !matches!(self, BookingStatus::Cancelled | BookingStatus::NoShow)
    }

    /// Booked and not yet arrived.
    pub fn is_expected(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }
}

text_enum!(/// Through which door a write came: the GraphQL API, the REST shims, AIM (a confirmed or
/// automatic write tool), the command line on the server, or the server itself.
AuditChannel as "audit channel" {
    Graphql = "graphql",
    Rest = "rest",
    Aim = "aim",
    Cli = "cli",
    System = "system",
});

text_enum!(/// Vaccinations the facility tracks; rabies, DHPP and bordetella are required.
VaccineKind as "vaccine" {
    Rabies = "rabies",
    Dhpp = "dhpp",
    Bordetella = "bordetella",
    Leptospirosis = "leptospirosis",
    CanineInfluenza = "canine_influenza",
    Lyme = "lyme",
});

impl VaccineKind {
    /// The vaccinations every dog on site must have current.
    pub const REQUIRED: &'static [VaccineKind] = &[
        VaccineKind::Rabies,
        VaccineKind::Dhpp,
        VaccineKind::Bordetella,
    ];
}

text_enum!(/// What a staff member does during a shift.
ShiftRole as "shift role" {
    Handler = "handler",
    FrontDesk = "front_desk",
    Groomer = "groomer",
    Trainer = "trainer",
    Manager = "manager",
});

text_enum!(/// Kinds of staff break (from the original design).
    BreakType as "break type" { Lunch = "lunch", Short = "short", Personal = "personal" });

text_enum!(/// How a payment was made.
    PaymentMethod as "payment method" { Card = "card", Cash = "cash", Check = "check", Points = "points", Other = "other" });

text_enum!(/// A payment's state; a refunded payment counts as a refund in revenue.
    PaymentStatus as "payment status" { Pending = "pending", Succeeded = "succeeded", Failed = "failed", Refunded = "refunded" });

text_enum!(/// The state of an outbound SMS in the outbox.
SmsStatus as "sms status" {
    Queued = "queued",
    Sent = "sent",
    Delivered = "delivered",
    Failed = "failed",
    DryRun = "dry_run",
});

text_enum!(/// Whether a conversation is still in use.
    ConversationStatus as "conversation status" { Active = "active", Archived = "archived" });

text_enum!(/// Who wrote an AIM message: the staff user or the assistant.
    MessageRole as "message role" { User = "user", Assistant = "assistant" });

text_enum!(/// The write tools whose calls can wait for staff confirmation.
    ActionTool as "action tool" { CreateBooking = "create_booking", SendSmsToCustomer = "send_sms_to_customer" });

text_enum!(/// Where a proposed write stands: `pending` until the owner confirms (`confirmed` while it
/// runs, then `executed` or `failed`), cancels it, or it expires.
ActionStatus as "action status" {
    Pending = "pending",
    Confirmed = "confirmed",
    Cancelled = "cancelled",
    Executed = "executed",
    Failed = "failed",
    Expired = "expired",
});

text_enum!(/// Where a chat turn started with an idempotency key stands: `running`, `answered` (its
/// answer is stored), `failed` with nothing written but the question (a repeat may run it
/// again), or `failed_after_write` (a write tool had acted: a repeat must not run it again).
ChatRequestState as "chat request state" {
    Running = "running",
    Answered = "answered",
    Failed = "failed",
    FailedAfterWrite = "failed_after_write",
});

text_enum!(/// What an alert is about.
AlertType as "alert type" {
    StaffingGap = "staffing_gap",
    CapacityWarning = "capacity_warning",
    Compliance = "compliance",
    Weather = "weather",
    BookingSpike = "booking_spike",
});

text_enum!(/// How urgent an alert is (ordered: info < warning < critical).
    AlertSeverity as "alert severity" { Info = "info", Warning = "warning", Critical = "critical" });

impl AlertSeverity {
    /// Position in the order of urgency: info 0, warning 1, critical 2.
    const fn rank(self) -> u8 {
        match self {
            AlertSeverity::Info => 0,
            AlertSeverity::Warning => 1,
            AlertSeverity::Critical => 2,
        }
    }
}

impl PartialOrd for AlertSeverity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AlertSeverity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_text_round_trips() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert_eq!(BookingStatus::CheckedIn.to_string(), "checked_in");
        assert_eq!(
            serde_json::to_string(&AlertType::BookingSpike).unwrap(),
            "\"booking_spike\""
        );
    }

    #[test]
    fn severities_order_by_urgency() {
        assert!(AlertSeverity::Info < AlertSeverity::Warning);
        assert!(AlertSeverity::Warning < AlertSeverity::Critical);
        assert_eq!(
            AlertSeverity::ALL.iter().max(),
            Some(&AlertSeverity::Critical)
        );
    }

    #[test]
    fn unknown_variant_names_the_choices() {
        let err = "owner".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown role `owner`; expected one of: staff manager admin"
        );
    }
}
