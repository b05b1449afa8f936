//! Identifier newtypes. Each indexes a `Vec` in the model or world, so lookups are O(1) and
//! iteration order is the declaration order (never a hash order).

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as a `Vec` index.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A machine of the cluster, in declaration order.
    NodeId(u32), "node#"
);
id_type!(
    /// An operator of the dataflow graph, in declaration order.
    OperatorId(u16), "op#"
);
id_type!(
    /// A parallel instance of an operator; instances of all operators are numbered together,
    /// operator by operator.
    InstanceId(u32), "instance#"
);
id_type!(
    /// A connection from one operator to another, in declaration order.
    EdgeId(u16), "edge#"
);
