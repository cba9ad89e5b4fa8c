//! rkeras-core: f32 n-d tensors, the op set with shape inference and backward rules, a static
//! graph with reverse-mode autodiff, the `Backend` trait and its CPU implementation, and
//! compiled programs that plan their buffers once.

pub mod attrs;
pub mod autodiff;
pub mod backend;
pub mod cpu;
pub mod error;
pub mod fuse;
pub mod graph;
pub mod ops;
pub mod optim;
pub mod program;
pub mod rng;
pub mod shape;
pub mod store;
pub mod train;

pub use attrs::{AttrValue, Attrs};
pub use backend::Backend;
pub use cpu::Cpu;
pub use error::{CoreError, Result};
pub use graph::{Graph, NodeId};
pub use ops::Op;
pub use program::{Feed, HostTensor, Program};
pub use rng::Rng;
pub use store::Store;
