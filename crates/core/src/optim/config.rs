//! Building an [`Optimizer`] from front-end attributes (`kind` plus Keras's hyperparameter
//! names); absent hyperparameters take Keras's defaults.

use crate::attrs::Attrs;
use crate::error::{arg_err, Result};
use crate::optim::{Adadelta, Adagrad, Adam, Adamax, Nadam, Optimizer, RmsProp, Sgd};

/// The optimizer kinds `from_attrs` accepts.
pub const KINDS: &[&str] = &[
    "sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam",
];

/// Builds an optimizer from `kind` and its hyperparameters.
pub fn from_attrs(a: &Attrs) -> Result<Optimizer> {
    let kind = a.string("optimizer", "kind", None)?;
    let k = kind.as_str();
    let f = |key: &str, d: f64| a.float(k, key, Some(d));
    let b = |key: &str, d: bool| a.bool(k, key, d);
    let opt = match k {
        "sgd" => {
            let d = Sgd::default();
            Optimizer::Sgd(Sgd {
                momentum: f("momentum", d.momentum)?,
                nesterov: b("nesterov", d.nesterov)?,
            })
        }
        "rmsprop" => {
            let d = RmsProp::default();
            Optimizer::RmsProp(RmsProp {
                rho: f("rho", d.rho)?,
                epsilon: f("epsilon", d.epsilon)?,
                momentum: f("momentum", d.momentum)?,
                centered: b("centered", d.centered)?,
            })
        }
        "adagrad" => {
            let d = Adagrad::default();
            Optimizer::Adagrad(Adagrad {
                epsilon: f("epsilon", d.epsilon)?,
                initial_accumulator_value: f(
                    "initial_accumulator_value",
                    d.initial_accumulator_value,
                )?,
            })
        }
        "adadelta" => {
            let d = Adadelta::default();
            Optimizer::Adadelta(Adadelta {
                rho: f("rho", d.rho)?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        "adam" => {
            let d = Adam::default();
            Optimizer::Adam(Adam {
                beta_1: f("beta_1", d.beta_1)?,
                beta_2: f("beta_2", d.beta_2)?,
                epsilon: f("epsilon", d.epsilon)?,
                amsgrad: b("amsgrad", d.amsgrad)?,
            })
        }
        "adamax" => {
            let d = Adamax::default();
            Optimizer::Adamax(Adamax {
                beta_1: f("beta_1", d.beta_1)?,
                beta_2: f("beta_2", d.beta_2)?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        "nadam" => {
            let d = Nadam::default();
            Optimizer::Nadam(Nadam {
                beta_1: f("beta_1", d.beta_1)?,
                beta_2: f("beta_2", d.beta_2)?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        other => {
            return arg_err(
                "optimizer",
                format!("unknown optimizer kind '{other}'; expected one of {KINDS:?}"),
            )
        }
    };
    opt.validate()?;
    Ok(opt)
}
