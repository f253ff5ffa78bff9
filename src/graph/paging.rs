//! Paging as a `Stream` over `@odata.nextLink`: one page at a time, nothing collected unless the
//! caller collects. The nextLink is followed verbatim, as Graph asks.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::client::decode;
use super::{GraphClient, GraphError, GraphRequest};

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The link to the next page, if there is one.
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
struct PageBody<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

enum Cursor {
    First(Box<GraphRequest>),
    Link(String),
    Done,
}

impl GraphClient {
    /// The pages of a collection, starting with `req` and following `@odata.nextLink`.
    pub fn pages<T>(&self, req: GraphRequest) -> BoxStream<'static, Result<Page<T>, GraphError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages_from(Cursor::First(Box::new(req)))
    }

    /// The pages of a collection, resuming at a nextLink saved earlier.
    pub fn pages_from_link<T>(
        &self,
        next_link: String,
    ) -> BoxStream<'static, Result<Page<T>, GraphError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages_from(Cursor::Link(next_link))
    }

    fn pages_from<T>(&self, start: Cursor) -> BoxStream<'static, Result<Page<T>, GraphError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let client = self.clone();
        stream::try_unfold(start, move |cursor| {
            let client = client.clone();
            async move {
                let resp = match cursor {
                    Cursor::Done => return Ok(None),
                    Cursor::First(req) => client.send(&req).await?,
                    Cursor::Link(link) => client.get_link(&link).await?,
                };
                let body: PageBody<T> = decode(&resp.body, &resp.url)?;
                let next = match &body.next_link {
                    Some(l) => Cursor::Link(l.clone()),
                    None => Cursor::Done,
                };
                Ok(Some((
                    Page {
                        items: body.value,
                        next_link: body.next_link,
                    },
                    next,
                )))
            }
        })
        .boxed()
    }

    /// The items of a collection, page by page, flattened.
    pub fn items<T>(&self, req: GraphRequest) -> BoxStream<'static, Result<T, GraphError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages::<T>(req)
            .map_ok(|p| stream::iter(p.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}
