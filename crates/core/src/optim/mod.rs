//! Optimizer update kernels (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam), applied in
//! place to a parameter and its slot buffers.
