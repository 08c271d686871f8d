//! The YAML layer: text to a tree of spanned nodes (serde-saphyr), and a serde deserializer over
//! that tree that keeps spans, reports every unknown key at once and reads enums tagged by `type`.

mod de;
mod fast;
mod node;
pub mod ruamel;
mod spanned;
mod split;
pub mod yaml11;

mod dispose;
pub use de::{
    DeError, DeErrorKind, ReadOptions, SCALAR_OR_STRUCT, SCALAR_OR_STRUCT_ANY_CASE, from_node,
    from_node_partial, from_node_with,
};
pub use dispose::dispose;
pub use node::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, Limits, Node, ParseError, ParseErrorKind, Value, parse,
    parse_general,
};

/// The fast path of [`parse`] alone: the node tree, or `None` where [`parse_general`] must read
/// the text. Public so that tests and the fuzz target can compare both paths.
pub fn parse_fast(text: &str, limits: &Limits) -> Option<Node> {
    fast::parse(text, limits)
}

/// The parallel reading of [`parse`]'s fast path in `pieces` pieces, whatever the document's size:
/// the tree, or `None` where the document cannot be cut safely. Public so that tests and the fuzz
/// target can compare it with the one-piece reading.
pub fn parse_split(text: &str, limits: &Limits, pieces: usize) -> Option<Node> {
    split::parse(text, limits, pieces)
}
pub use spanned::{Map, Spanned};

/// Stack for reading one file: serde recursion takes tens of KiB a level in debug builds, and
/// the depth limit allows 64 levels. Only touched pages are committed.
const STACK_BYTES: usize = 256 * 1024 * 1024;

thread_local! {
    /// This thread already has the big stack (nested calls need no thread of their own).
    static ON_BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on a thread with a stack deep enough for any input the limits allow; runs it here
/// when this thread already is one, or when no thread can be made.
pub(crate) fn on_big_stack<T: Send, F: FnOnce() -> T + Send>(f: F) -> T {
    if ON_BIG_STACK.with(std::cell::Cell::get) {
        return f();
    }
    let f = move || {
        ON_BIG_STACK.with(|b| b.set(true));
        f()
    };
    let mut slot = Some(f);
    let spawned = std::thread::scope(|s| {
        let slot = &mut slot;
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, move || slot.take().map(|f| f()))
            .map(|handle| handle.join())
    });
    match spawned {
        Ok(Ok(Some(v))) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // The thread could not be made, so the closure is still in its slot.
        _ => match slot.take() {
            Some(f) => f(),
            None => unreachable!("a spawned thread either ran the closure or left it"),
        },
    }
}
