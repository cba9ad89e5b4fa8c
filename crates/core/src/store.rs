//! The parameter store: variables (weights, optimizer slots, moving statistics) living on a
//! backend, addressed by [`VarId`].

use crate::backend::Backend;
use crate::error::{CoreError, Result};
use crate::ops::VarId;
use crate::shape::{fmt_shape, numel, sym};

/// One variable: its shape and its buffer.
pub struct Variable<B: Backend> {
    /// Concrete shape.
    pub shape: Vec<usize>,
    /// Device buffer.
    pub buf: B::Buffer,
}

/// Variables of one backend.
pub struct Store<B: Backend> {
    vars: Vec<Option<Variable<B>>>,
    free: Vec<VarId>,
}

impl<B: Backend> Default for Store<B> {
    fn default() -> Self {
        Self {
            vars: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<B: Backend> Store<B> {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a variable holding `data` of `shape`.
    pub fn create(&mut self, backend: &B, shape: &[usize], data: &[f32]) -> Result<VarId> {
        check_len("variable", shape, data.len())?;
        let mut buf = backend.alloc(data.len())?;
        backend.write(&mut buf, data)?;
        let var = Variable {
            shape: shape.to_vec(),
            buf,
        };
        Ok(match self.free.pop() {
            Some(id) => {
                self.vars[id] = Some(var);
                id
            }
            None => {
                self.vars.push(Some(var));
                self.vars.len() - 1
            }
        })
    }

    /// A variable by id.
    pub fn get(&self, id: VarId) -> Result<&Variable<B>> {
        self.vars
            .get(id)
            .and_then(|v| v.as_ref())
            .ok_or_else(|| CoreError::NotFound(format!("variable {id} does not exist")))
    }

    /// A variable by id, mutably.
    pub fn get_mut(&mut self, id: VarId) -> Result<&mut Variable<B>> {
        self.vars
            .get_mut(id)
            .and_then(|v| v.as_mut())
            .ok_or_else(|| CoreError::NotFound(format!("variable {id} does not exist")))
    }

    /// Overwrites a variable's value; the shape must stay the same.
    pub fn set(&mut self, backend: &B, id: VarId, shape: &[usize], data: &[f32]) -> Result<()> {
        let v = self.get_mut(id)?;
        if v.shape != shape {
            return Err(CoreError::Shape {
                op: "set_value".into(),
                msg: format!(
                    "variable has shape {}, value has shape {}",
                    fmt_shape(&sym(&v.shape)),
                    fmt_shape(&sym(shape))
                ),
            });
        }
        check_len("set_value", shape, data.len())?;
        backend.write(&mut v.buf, data)
    }

    /// Reads a variable to the host.
    pub fn read(&self, backend: &B, id: VarId) -> Result<(Vec<usize>, Vec<f32>)> {
        let v = self.get(id)?;
        let mut out = vec![0.0; numel(&v.shape)];
        backend.read(&v.buf, &mut out)?;
        Ok((v.shape.clone(), out))
    }

    /// Takes a variable out of the store (to borrow several mutably at once); put it back with
    /// [`Store::put`].
    pub fn take(&mut self, id: VarId) -> Result<Variable<B>> {
        self.vars
            .get_mut(id)
            .and_then(|v| v.take())
            .ok_or_else(|| CoreError::NotFound(format!("variable {id} does not exist")))
    }

    /// Puts back a variable taken with [`Store::take`].
    pub fn put(&mut self, id: VarId, var: Variable<B>) -> Result<()> {
        match self.vars.get_mut(id) {
            Some(slot) if slot.is_none() => {
                *slot = Some(var);
                Ok(())
            }
            _ => Err(CoreError::Graph(format!("variable {id} was not taken"))),
        }
    }

    /// Deletes a variable; its id may be reused.
    pub fn remove(&mut self, id: VarId) {
        if let Some(slot) = self.vars.get_mut(id) {
            if slot.take().is_some() {
                self.free.push(id);
            }
        }
    }

    /// Number of live variables.
    pub fn len(&self) -> usize {
        self.vars.iter().filter(|v| v.is_some()).count()
    }

    /// True when no variable is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn check_len(op: &str, shape: &[usize], len: usize) -> Result<()> {
    if numel(shape) != len {
        return Err(CoreError::Shape {
            op: op.into(),
            msg: format!(
                "shape {} needs {} values, got {len}",
                fmt_shape(&sym(shape)),
                numel(shape)
            ),
        });
    }
    Ok(())
}
