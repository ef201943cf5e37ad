//! A cache of parsed and validated documents: a client sends the same few queries again and
//! again (a dashboard polling `facilityStatus`, the admin app's pages), and parsing and
//! validating them again on every request is work that does not depend on the request.
//!
//! Parsing depends on the query text alone, so a parsed document is kept by its text.
//! Validation also reads the operation name and the variables' values (an argument of the
//! wrong type, a `first: $n` in the complexity), so its result is kept by all three: a
//! request that differs in any of them is validated afresh. Only successes are kept; a bad
//! query is parsed and refused every time, with the same errors. Both caches are LRUs of a
//! bounded size, and a query longer than [`MAX_CACHED_QUERY`] is never kept.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};
use lru::LruCache;

/// Documents kept, and validation results kept.
pub const CACHED_DOCUMENTS: usize = 256;

/// The longest query text kept (characters): a larger one is parsed every time.
pub const MAX_CACHED_QUERY: usize = 16 * 1024;

/// The schema extension that serves parsed and validated documents from the caches.
#[derive(Clone)]
pub struct DocumentCache(Arc<Caches>);

struct Caches {
    parsed: Mutex<LruCache<String, ExecutableDocument>>,
    validated: Mutex<LruCache<ValidationKey, ValidationResult>>,
}

/// What a validation result depends on besides the schema.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ValidationKey {
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON.
    variables: String,
}

impl Default for DocumentCache {
    fn default() -> Self {
        let size = NonZeroUsize::new(CACHED_DOCUMENTS).expect("a cache holds something");
        DocumentCache(Arc::new(Caches {
            parsed: Mutex::new(LruCache::new(size)),
            validated: Mutex::new(LruCache::new(size)),
        }))
    }
}

impl DocumentCache {
    /// How many parsed documents are kept now.
    pub fn len(&self) -> usize {
        self.0.parsed.lock().expect("document cache").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CachedRequest {
            caches: self.0.clone(),
            key: Mutex::new(None),
        })
    }
}

/// The extension for one request: it remembers the request's validation key between the
/// hooks that see the request and the one that validates.
struct CachedRequest {
    caches: Arc<Caches>,
    key: Mutex<Option<ValidationKey>>,
}

impl CachedRequest {
    fn key(&self) -> Option<ValidationKey> {
        self.key.lock().expect("validation key").clone()
    }
}

#[async_trait::async_trait]
impl Extension for CachedRequest {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = next.run(ctx, request).await?;
        if request.query.len() <= MAX_CACHED_QUERY
            && let Ok(variables) = serde_json::to_string(&request.variables)
        {
            *self.key.lock().expect("validation key") = Some(ValidationKey {
                query: request.query.clone(),
                operation_name: request.operation_name.clone(),
                variables,
            });
        }
        Ok(request)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() > MAX_CACHED_QUERY {
            return next.run(ctx, query, variables).await;
        }
        if let Some(document) = self
            .caches
            .parsed
            .lock()
            .expect("document cache")
            .get(query)
        {
            return Ok(document.clone());
        }
        let document = next.run(ctx, query, variables).await?;
        self.caches
            .parsed
            .lock()
            .expect("document cache")
            .put(query.to_owned(), document.clone());
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let Some(key) = self.key() else {
            return next.run(ctx).await;
        };
        let cached = self
            .caches
            .validated
            .lock()
            .expect("validation cache")
            .get(&key)
            .copied();
        if let Some(result) = cached {
            return Ok(result);
        }
        let result = next.run(ctx).await?;
        self.caches
            .validated
            .lock()
            .expect("validation cache")
            .put(key, result);
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Request, Variables};
    use serde_json::json;

    use super::*;

    fn schema_with(cache: &DocumentCache) -> super::super::AimSchema {
        async_graphql::Schema::build(
            super::super::Query::default(),
            super::super::Mutation::default(),
            super::super::Subscription::default(),
        )
        .limit_depth(super::super::MAX_DEPTH)
        .extension(cache.clone())
        .finish()
    }

    fn with_variables(query: &str, variables: serde_json::Value) -> Request {
        Request::new(query).variables(Variables::from_json(variables))
    }

    #[tokio::test]
    async fn a_query_is_parsed_once_and_answers_the_same_every_time() {
        let cache = DocumentCache::default();
        let schema = schema_with(&cache);
        for _ in 0..3 {
            let answer = schema.execute("{ __typename }").await;
            assert!(answer.errors.is_empty(), "{:?}", answer.errors);
            assert_eq!(
                answer.data.into_json().unwrap(),
                json!({"__typename": "Query"})
            );
        }
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn variables_are_validated_for_each_set_of_values() {
        let cache = DocumentCache::default();
        let schema = schema_with(&cache);
        let query = "query($name: String!) { __type(name: $name) { name } }";
        let ok = schema
            .execute(with_variables(query, json!({"name": "Query"})))
            .await;
        assert!(ok.errors.is_empty(), "{:?}", ok.errors);
        let bad = schema
            .execute(with_variables(query, json!({"name": 5})))
            .await;
        assert!(!bad.errors.is_empty(), "a number is not a String");
        let uncached = super::super::schema_builder().finish();
        let expected = uncached
            .execute(with_variables(query, json!({"name": 5})))
            .await;
        assert_eq!(
            bad.errors, expected.errors,
            "refused as validation refuses it"
        );
        let ok = schema
            .execute(with_variables(query, json!({"name": "Mutation"})))
            .await;
        assert_eq!(
            ok.data.into_json().unwrap(),
            json!({"__type": {"name": "Mutation"}})
        );
        assert_eq!(cache.len(), 1, "one document, parsed once");
    }

    #[tokio::test]
    async fn a_bad_query_is_refused_every_time_and_never_kept() {
        let cache = DocumentCache::default();
        let schema = schema_with(&cache);
        for _ in 0..2 {
            let syntax = schema.execute("{ __typename").await;
            assert!(!syntax.errors.is_empty());
            let unknown = schema.execute("{ noSuchField }").await;
            assert!(!unknown.errors.is_empty());
        }
        // The second parses (and is kept) but never validates.
        assert_eq!(cache.len(), 1);
    }
}
