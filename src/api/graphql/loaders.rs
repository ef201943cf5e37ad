//! DataLoaders: what the fields of a list of conversations need, loaded for the whole list in
//! one query per relation instead of one per conversation.
//!
//! They belong to one request ([`attach`]), made when a resolver first asks ([`Loaders::get`]),
//! never shared: a loader that outlived its request could hand one staff user's rows to
//! another, or stale rows to both.
//!
//! Their batch loads run inside the request's own task ([`Batches::run`]), not as spawned
//! tasks: a batch starts only once every resolver that could run has asked for its keys and
//! is waiting. With spawned tasks a batch starts when its delay is up, and on a busy server a
//! list's resolvers can take longer than that to ask, splitting one query into several
//! exactly when queries cost the most.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;

use crate::db::aim::{ActionRow, MessageRow};
use crate::db::bookings::BookingRecord;
use crate::db::customers::{CustomerRecord, DogRecord, VaccinationRecord};
use crate::db::staff::StaffUser;
use crate::db::{self, Db, DbError};
use crate::domain::{BookingId, ConversationId, CustomerId, DogId, StaffUserId};

/// How long a started batch waits before it queries: not at all. [`Batches::run`] starts the
/// queued loads only once every resolver that can run is waiting, so the resolvers of a list
/// are in one batch without a wait; a wait would only let resolvers under another root field,
/// whose own query had not returned yet, join — at the cost of every request's latency (the
/// benchmarks measured about 1 ms of 11 on a 1,000-row answer).
pub const BATCH_DELAY: Duration = Duration::ZERO;

/// The newest actions of a conversation listed by `AimConversation.actions`.
pub const ACTIONS_PER_CONVERSATION: i64 = 100;

/// A request's DataLoader: what it loaded (or was fed) it keeps for the rest of the request,
/// so a row one field read is not read again by another.
pub type Loaded<L> = DataLoader<L, HashMapCache>;

/// A failed load, shared by every resolver waiting on it.
pub type LoadError = Arc<DbError>;

/// Adds this request's loaders to a GraphQL request; execute it inside the [`Batches`]
/// returned.
pub fn attach(request: async_graphql::Request, db: &Db) -> (async_graphql::Request, Batches) {
    let batches = Batches(Arc::default());
    let loaders = Loaders::new(db.clone(), Batches(batches.0.clone()));
    (request.data(loaders), batches)
}

/// A loader a request makes the first time one of its resolvers asks for it ([`Loaders::get`]):
/// most requests need none or one of them, and making all of them up front was work every
/// request paid for.
pub trait RequestLoader: Send + Sync + Sized + 'static {
    fn new(db: Db) -> Self;
    fn slot(loaders: &Loaders) -> &OnceLock<Loaded<Self>>;
}

macro_rules! request_loaders {
    ($($field:ident: $loader:ident),+ $(,)?) => {
        /// This request's DataLoaders, each made on first use.
        pub struct Loaders {
            db: Db,
            batches: Batches,
            $($field: OnceLock<Loaded<$loader>>,)+
        }

        impl Loaders {
            fn new(db: Db, batches: Batches) -> Loaders {
                Loaders { db, batches, $($field: OnceLock::new(),)+ }
            }
        }

        $(impl RequestLoader for $loader {
            fn new(db: Db) -> Self {
                $loader(db)
            }

            fn slot(loaders: &Loaders) -> &OnceLock<Loaded<Self>> {
                &loaders.$field
            }
        })+
    };
}

request_loaders!(
    staff_users: StaffUserLoader,
    first_messages: FirstMessagesLoader,
    actions: ActionsLoader,
    customers: CustomerLoader,
    dogs: DogLoader,
    dogs_of_customer: DogsOfCustomerLoader,
    vaccinations: VaccinationsLoader,
    booking_dogs: BookingDogsLoader,
    customer_bookings: CustomerBookingsLoader,
);

impl Loaders {
    /// The request's loader of kind `L`, made now if no resolver asked for it before.
    pub fn get<L: RequestLoader>(&self) -> &Loaded<L> {
        L::slot(self).get_or_init(|| self.batches.loader(L::new(self.db.clone())))
    }
}

/// The batch loads this request's loaders started, waiting to be run by [`Batches::run`].
#[must_use = "the request's DataLoaders only load inside `Batches::run`"]
pub struct Batches(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Batches {
    /// A DataLoader whose batch loads are queued here.
    fn loader<L: Send + Sync + 'static>(&self, loader: L) -> Loaded<L> {
        let queue = self.0.clone();
        DataLoader::with_cache(
            loader,
            move |load| {
                queue.lock().expect("batch queue").push(load);
            },
            HashMapCache::default(),
        )
        .delay(BATCH_DELAY)
    }

    /// Runs `work` (the request's execution) and the batch loads it starts, in this task:
    /// `work` first, until every resolver that can run is waiting; then the loads it queued.
    ///
    /// `work` returning `Pending` is not enough to say so: a list of many items (a
    /// `FuturesUnordered` inside) yields after polling some of them, waking itself to go on. A
    /// load started then would find only the keys asked so far and leave the rest to a second
    /// query. So loads run only when `work` is pending without having woken itself.
    pub async fn run<F: Future>(self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        let mut loads = FuturesUnordered::new();
        std::future::poll_fn(|cx| {
            loop {
                let woke = Arc::new(WakeFlag {
                    woken: AtomicBool::new(false),
                    inner: cx.waker().clone(),
                });
                let waker = Waker::from(woke.clone());
                if let Poll::Ready(out) = work.as_mut().poll(&mut Context::from_waker(&waker)) {
                    return Poll::Ready(out);
                }
                if woke.woken.load(Ordering::Acquire) {
                    // Resolvers still to run: they are polled again first (the waker is the
                    // task's, so the runtime polls this again soon).
                    return Poll::Pending;
                }
                let queued = std::mem::take(&mut *self.0.lock().expect("batch queue"));
                let mut progressed = !queued.is_empty();
                loads.extend(queued);
                while let Poll::Ready(Some(())) = loads.poll_next_unpin(cx) {
                    progressed = true;
                }
                // A load finished (its resolvers can go on) or started: look at the work again.
                if !progressed {
                    return Poll::Pending;
                }
            }
        })
        .await
    }
}

/// A waker that notes it was woken and passes the wake on.
struct WakeFlag {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

/// Staff users by id.
pub struct StaffUserLoader(Db);

impl Loader<StaffUserId> for StaffUserLoader {
    type Value = StaffUser;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[StaffUserId],
    ) -> Result<HashMap<StaffUserId, StaffUser>, LoadError> {
        let mut conn = self.0.conn().await?;
        let rows = db::staff::find_by_ids(&mut conn, keys).await?;
        // Password hashes stop here.
        Ok(rows.into_iter().map(|r| (r.id, r.into())).collect())
    }
}

/// The first messages of a conversation: `limit` of them, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FirstMessages {
    pub conversation_id: ConversationId,
    pub limit: i64,
}

/// The first page of messages of conversations, one query per distinct page size.
pub struct FirstMessagesLoader(Db);

impl Loader<FirstMessages> for FirstMessagesLoader {
    type Value = Vec<MessageRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[FirstMessages],
    ) -> Result<HashMap<FirstMessages, Vec<MessageRow>>, LoadError> {
        let mut by_limit: HashMap<i64, Vec<ConversationId>> = HashMap::new();
        for key in keys {
            by_limit
                .entry(key.limit)
                .or_default()
                .push(key.conversation_id);
        }
        let mut conn = self.0.conn().await?;
        let mut found: HashMap<FirstMessages, Vec<MessageRow>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (limit, ids) in by_limit {
            for row in db::aim::first_messages_of_many(&mut conn, &ids, limit).await? {
                let key = FirstMessages {
                    conversation_id: row.conversation_id,
                    limit,
                };
                found.entry(key).or_default().push(row);
            }
        }
        Ok(found)
    }
}

/// The newest actions of conversations ([`ACTIONS_PER_CONVERSATION`] each), newest first.
pub struct ActionsLoader(Db);

impl Loader<ConversationId> for ActionsLoader {
    type Value = Vec<ActionRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ConversationId],
    ) -> Result<HashMap<ConversationId, Vec<ActionRow>>, LoadError> {
        let mut conn = self.0.conn().await?;
        let rows = db::aim::actions_of_many(&mut conn, keys, ACTIONS_PER_CONVERSATION).await?;
        let mut found: HashMap<ConversationId, Vec<ActionRow>> =
            keys.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            found.entry(row.conversation_id).or_default().push(row);
        }
        Ok(found)
    }
}

/// Groups rows by a key, with an empty list for every key asked that has none.
fn grouped<K: Copy + Eq + std::hash::Hash, V>(
    keys: &[K],
    rows: impl IntoIterator<Item = V>,
    key_of: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>> {
    let mut found: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        found.entry(key_of(&row)).or_default().push(row);
    }
    found
}

/// Customers by id.
pub struct CustomerLoader(Db);

impl Loader<CustomerId> for CustomerLoader {
    type Value = CustomerRecord;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CustomerId],
    ) -> Result<HashMap<CustomerId, CustomerRecord>, LoadError> {
        let rows = db::customers::customers_by_ids(&mut self.0.conn().await?, keys).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Dogs by id.
pub struct DogLoader(Db);

impl Loader<DogId> for DogLoader {
    type Value = DogRecord;
    type Error = LoadError;

    async fn load(&self, keys: &[DogId]) -> Result<HashMap<DogId, DogRecord>, LoadError> {
        let rows = db::customers::dogs_by_ids(&mut self.0.conn().await?, keys).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The dogs of customers, by name.
pub struct DogsOfCustomerLoader(Db);

impl Loader<CustomerId> for DogsOfCustomerLoader {
    type Value = Vec<DogRecord>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CustomerId],
    ) -> Result<HashMap<CustomerId, Vec<DogRecord>>, LoadError> {
        let rows = db::customers::dogs_of_customers(&mut self.0.conn().await?, keys).await?;
        Ok(grouped(keys, rows, |d| d.customer_id))
    }
}

/// Every vaccination of dogs, newest expiry first.
pub struct VaccinationsLoader(Db);

impl Loader<DogId> for VaccinationsLoader {
    type Value = Vec<VaccinationRecord>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[DogId],
    ) -> Result<HashMap<DogId, Vec<VaccinationRecord>>, LoadError> {
        let rows = db::customers::vaccinations_of_dogs(&mut self.0.conn().await?, keys).await?;
        Ok(grouped(keys, rows, |v| v.dog_id))
    }
}

/// The dogs of bookings, by name.
pub struct BookingDogsLoader(Db);

impl Loader<BookingId> for BookingDogsLoader {
    type Value = Vec<DogRecord>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[BookingId],
    ) -> Result<HashMap<BookingId, Vec<DogRecord>>, LoadError> {
        let rows = db::bookings::booked_dogs(&mut self.0.conn().await?, keys).await?;
        let pairs = grouped(keys, rows, |row| row.booking_id);
        Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(|row| row.dog).collect()))
            .collect())
    }
}

/// The newest bookings of a customer: `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CustomerBookings {
    pub customer_id: CustomerId,
    pub limit: i64,
}

/// The first page of bookings of customers, one query per distinct page size.
pub struct CustomerBookingsLoader(Db);

impl Loader<CustomerBookings> for CustomerBookingsLoader {
    type Value = Vec<BookingRecord>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CustomerBookings],
    ) -> Result<HashMap<CustomerBookings, Vec<BookingRecord>>, LoadError> {
        let mut by_limit: HashMap<i64, Vec<CustomerId>> = HashMap::new();
        for key in keys {
            by_limit.entry(key.limit).or_default().push(key.customer_id);
        }
        let mut conn = self.0.conn().await?;
        let mut found: HashMap<CustomerBookings, Vec<BookingRecord>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (limit, ids) in by_limit {
            for row in db::bookings::bookings_of_customers(&mut conn, &ids, limit).await? {
                let key = CustomerBookings {
                    customer_id: row.customer_id,
                    limit,
                };
                found.entry(key).or_default().push(row);
            }
        }
        Ok(found)
    }
}
