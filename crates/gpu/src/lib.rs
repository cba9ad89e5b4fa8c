//! rkeras-gpu: the wgpu implementation of [`rkeras_core::Backend`].
//!
//! Planned (see DESIGN.md section 4). The crate exists now so that the workspace layout, the
//! `Backend` trait it will implement, and CI are in place; it exposes no API yet.
