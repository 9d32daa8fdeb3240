//! A panic in one connection's work (IronRDP's decoders, our handlers, the compositor's callback)
//! must end that connection only. The server thread runs every connection on one current-thread
//! runtime, so an uncaught panic there would take the whole server down with it.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

/// Runs `future`; a panic while polling it becomes `Err` with the panic's message. The future is
/// not polled again after a panic, and is dropped (releasing what it held) when this returns.
///
/// Unwind safety: after a panic nothing of the future is used again, and the state it shares
/// with others (the framebuffer, the session table, the event callback) sits behind locks whose
/// poisoning is ignored on purpose: each of them is consistent between statements.
pub(crate) async fn catch_panic<F: Future>(future: F) -> Result<F::Output, String> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    })
    .await
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_and_the_future_is_dropped() {
        let held = Rc::new(());
        let guard = Rc::clone(&held);
        let result = catch_panic(async move {
            let _guard = guard;
            tokio::task::yield_now().await;
            panic!("decoder blew up at byte {}", 4);
        })
        .await;
        assert_eq!(result, Err("decoder blew up at byte 4".to_owned()));
        assert_eq!(
            Rc::strong_count(&held),
            1,
            "what the future held was released"
        );
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
    }
}
