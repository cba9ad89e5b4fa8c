"""rkeras: Keras on a Rust core."""
