"""Bad input never crashes the interpreter: every core op, the graph, functions and variables
answer wrong shapes, arities and attributes with a Python exception that names the culprit."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rkeras import _rkeras
from rkeras import backend as K

REPO = pathlib.Path(__file__).resolve().parents[1]
OPS_DIR = REPO / "crates" / "core" / "src" / "ops"

# Every name accepted by a `from_name` in crates/core/src/ops/*.rs:
# name -> (name used in messages, number of inputs, attributes of a valid call).
# The number of inputs is an int, "n" (variadic, at least one) or "random" (none with `shape`).
UNARY = ["neg", "negative", "abs", "sqrt", "square", "exp", "exponential", "log", "sign",
         "reciprocal", "round", "floor", "sigmoid", "hard_sigmoid", "tanh", "softplus",
         "softsign", "selu", "identity", "linear", "logical_not", "stop_gradient"]
BINARY = ["add", "subtract", "sub", "multiply", "mul", "divide", "div", "true_divide", "pow",
          "power", "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal",
          "less", "less_equal", "logical_and", "logical_or"]
ALIASES = {
    "negative": "neg", "exponential": "exp", "linear": "identity", "sub": "subtract",
    "mul": "multiply", "div": "divide", "true_divide": "divide", "power": "pow",
    "switch": "where", "batch_matmul": "matmul", "permute_dimensions": "transpose",
    "repeat_elements": "repeat", "zeros_like": "fill_like", "ones_like": "fill_like",
}

OPS: dict = {}
for _n in UNARY:
    OPS[_n] = (1, {})
for _n in BINARY:
    OPS[_n] = (2, {})
OPS.update({
    "relu": (1, {"alpha": 0.1, "max_value": 6.0, "threshold": 0.0}),
    "elu": (1, {"alpha": 1.0}),
    "clip": (1, {"min_value": 0.0, "max_value": 1.0}),
    "cast": (1, {"dtype": "int32"}),
    "where": (3, {}),
    "switch": (3, {}),
    "matmul": (2, {}),
    "batch_matmul": (2, {}),
    "softmax": (1, {"axis": -1}),
    "log_softmax": (1, {"axis": -1}),
    "random_uniform": ("random", {"minval": 0.0, "maxval": 1.0}),
    "random_normal": ("random", {"mean": 0.0, "stddev": 1.0}),
    "truncated_normal": ("random", {"mean": 0.0, "stddev": 1.0}),
    "random_binomial": ("random", {"p": 0.5}),
    "sum": (1, {"axis": [0], "keepdims": False}),
    "mean": (1, {"axis": [0], "keepdims": False}),
    "max": (1, {"axis": [0], "keepdims": False}),
    "min": (1, {"axis": [0], "keepdims": False}),
    "prod": (1, {"axis": [0], "keepdims": False}),
    "var": (1, {"axis": [0], "keepdims": False}),
    "std": (1, {"axis": [0], "keepdims": False}),
    "argmax": (1, {"axis": -1}),
    "argmin": (1, {"axis": -1}),
    "transpose": (1, {"perm": [1, 0]}),
    "permute_dimensions": (1, {"perm": [1, 0]}),
    "reshape": (1, {"shape": [3, 2]}),
    "reshape_like": (2, {}),
    "expand_dims": (1, {"axis": 0}),
    "squeeze": (1, {"axis": 0}),
    "sum_like": (2, {}),
    "broadcast_like": (2, {}),
    "zeros_like": (1, {}),
    "ones_like": (1, {}),
    "fill_like": (1, {"value": 2.0}),
    "concatenate": ("n", {"axis": 0}),
    "slice": (1, {"start": [0, 0], "stop": [1, 2], "step": [1, 1]}),
    "pad": (1, {"pads": [1, 1, 0, 2], "value": 0.0}),
    "gather": (2, {"axis": 0}),
    "tile": (1, {"reps": [2, 1]}),
    "repeat": (1, {"repeats": 2, "axis": 1}),
    "repeat_elements": (1, {"repeats": 2, "axis": 1}),
    "one_hot": (1, {"num_classes": 3}),
    "conv": (2, {"strides": [1], "dilation_rate": [1], "padding": "valid"}),
    "conv_transpose": (2, {"strides": [2], "padding": "valid"}),
    "depthwise_conv": (2, {"strides": [1], "dilation_rate": [1], "padding": "valid"}),
    "max_pool": (1, {"pool_size": [1], "strides": [1], "padding": "valid"}),
    "avg_pool": (1, {"pool_size": [1], "strides": [1], "padding": "valid"}),
})

ALL_OP_NAMES = sorted(OPS)

# Bad attributes, with otherwise valid (2, 3) inputs.
BAD_ATTRS: dict = {
    "relu": [{"alpha": "x"}, {"max_value": "big"}, {"threshold": [1, 2]}],
    "elu": [{"alpha": "one"}],
    "clip": [{}, {"min_value": 0.0}, {"max_value": 1.0}, {"min_value": "a", "max_value": 1.0}],
    "cast": [{}, {"dtype": "complex64"}, {"dtype": 3}],
    "matmul": [{"transpose_a": "yes"}],
    "batch_matmul": [{"transpose_b": [1]}],
    "softmax": [{"axis": 2}, {"axis": -3}, {"axis": "last"}],
    "log_softmax": [{"axis": 5}],
    "random_uniform": [{"shape": [2, -1, 3]}, {"shape": [2], "minval": "a"}],
    "random_normal": [{"shape": [-2]}, {"shape": [2], "stddev": "wide"}],
    "truncated_normal": [{"shape": [3, -5]}],
    "random_binomial": [{"shape": [2], "p": 1.5}, {"shape": [2], "p": -0.1}],
    "argmax": [{"axis": 2}, {"axis": -3}, {"axis": [0, 1]}],
    "argmin": [{"axis": 7}],
    "transpose": [{"perm": [0, 0]}, {"perm": [0]}, {"perm": [0, 2]}, {"perm": "ab"}],
    "permute_dimensions": [{"perm": [1, 0, 2]}],
    "reshape": [{}, {"shape": [4, 2]}, {"shape": [-1, -1]}, {"shape": [-2, 3]}, {"shape": [5]}],
    "expand_dims": [{"axis": 3}, {"axis": -4}],
    "squeeze": [{"axis": 1}, {"axis": 2}, {"axis": -3}],
    "fill_like": [{}, {"value": "nine"}],
    "concatenate": [{"axis": 2}, {"axis": -3}],
    "slice": [{}, {"start": [0], "stop": [1]}, {"start": [0, 0], "stop": [1, 1], "step": [0, 1]},
              {"start": [0, 0, 0], "stop": [1, 1, 1]}],
    "pad": [{}, {"pads": [1, 1]}, {"pads": [1, -1, 0, 0]}],
    "gather": [{"axis": 2}, {"axis": -3}],
    "tile": [{}, {"reps": [2]}, {"reps": [0, 1]}, {"reps": [-1, 2]}],
    "repeat": [{}, {"repeats": 0, "axis": 0}, {"repeats": 2}, {"repeats": 2, "axis": 2}],
    "repeat_elements": [{"repeats": -3, "axis": 1}, {"repeats": 2, "axis": -3}],
    "one_hot": [{}, {"num_classes": 0}, {"num_classes": -2}],
    "conv": [{"padding": "full"}, {"strides": [0]}, {"padding": "causal"}],
    "conv_transpose": [{"padding": "causal"}, {"strides": [0]}, {"dilation_rate": [2]}],
    "depthwise_conv": [{"padding": "full"}, {"strides": [0]}, {"padding": "causal"}],
    "max_pool": [{"pool_size": [0]}, {"padding": "wide"}],
    "avg_pool": [{"strides": [-1]}],
}
for _n in ("sum", "mean", "max", "min", "prod", "var", "std"):
    BAD_ATTRS[_n] = [{"axis": [2]}, {"axis": [-3]}, {"axis": [0, 5]}, {"axis": "rows"},
                     {"keepdims": "yes"}]

# Bad input shapes, with the valid attributes.
BAD_SHAPES: dict = {n: [[(2, 3), (4, 5)], [(2, 3), (3, 2)]] for n in BINARY}
BAD_SHAPES.update({
    "where": [[(2, 3), (4, 5), (2, 3)], [(3, 2), (2, 3), (2, 3)]],
    "switch": [[(2, 3), (2, 3), (5,)]],
    "matmul": [[(2, 3), (4, 5)], [(3,), (3, 2)], [(2, 3), (3,)], [(2, 2, 3), (3, 3, 4)]],
    "batch_matmul": [[(4, 2, 3), (4, 2, 3)]],
    "softmax": [[()]],
    "reshape": [[(2, 4)]],
    "reshape_like": [[(2, 3), (5,)], [(2, 3), (2, 2)]],
    "sum_like": [[(2, 3), (4,)], [(2, 3), (3, 3)], [(2, 3), (2, 3, 1)]],
    "broadcast_like": [[(2, 3), (4, 5)], [(2, 3), (3,)]],
    "concatenate": [[(2, 3), (4, 5)], [(2, 3), (2, 3, 1)]],
    "transpose": [[(2, 3, 4)]],
    "squeeze": [[(2, 3)]],
    "slice": [[(2, 3, 4)], [(6,)]],
    "pad": [[(2,)]],
    "gather": [[(), (2,)]],
    "tile": [[(2, 3, 4)]],
    "argmax": [[()]],
    "sum": [[()]],
    "conv": [[(1, 2, 2, 1), (3, 3, 1, 4)], [(1, 4, 4, 2), (3, 3, 1, 4)], [(1, 4, 4, 1), (3, 1, 4)]],
    "conv_transpose": [[(1, 4, 4, 2), (3, 3, 4, 1)], [(1, 4, 4, 1), (3, 4, 1)]],
    "depthwise_conv": [[(1, 2, 2, 1), (3, 3, 1, 2)], [(1, 4, 4, 2), (3, 3, 1, 2)],
                       [(1, 4, 4, 1), (3, 1, 2)]],
    "max_pool": [[(2,)], [(1, 0, 3, 1)]],
    "avg_pool": [[(2, 3, 4, 5, 6, 7)]],
})


def _inputs(shapes):
    return [np.full(s, 0.5, np.float32) for s in shapes]


def _arity_cases(name):
    arity, attrs = OPS[name]
    ok = (2, 3)
    if arity == "n":
        return [([], attrs)]
    if arity == "random":
        return [([ok], dict(attrs, shape=[2, 3])), ([], attrs), ([ok, ok], attrs)]
    cases = [([ok] * (arity + 1), attrs)]
    if arity > 0:
        cases.append(([ok] * (arity - 1), attrs))
    return cases


def error_cases():
    """Every eager call that must fail: (op name, input shapes, attributes)."""
    cases = []
    for name in ALL_OP_NAMES:
        arity, attrs = OPS[name]
        for shapes, a in _arity_cases(name):
            cases.append((name, shapes, a))
        for a in BAD_ATTRS.get(name, []):
            n = 1 if arity in ("n", "random") else arity
            shapes = [] if arity == "random" else [(2, 3)] * n
            cases.append((name, shapes, a))
        for shapes in BAD_SHAPES.get(name, []):
            cases.append((name, shapes, attrs))
    return cases


def _names_in_message(name):
    return {name, ALIASES.get(name, name)}


def check_case(name, shapes, attrs):
    """Runs one bad call; returns None when it fails as it should, else a description."""
    try:
        _rkeras.eager(name, _inputs(shapes), attrs)
    except (ValueError, TypeError) as e:
        msg = str(e)
        if not any(n in msg for n in _names_in_message(name)):
            return f"{type(e).__name__} without the op name: {msg!r}"
        return None
    except Exception as e:  # noqa: BLE001 - anything else is a finding
        return f"{type(e).__name__}: {e}"
    return "no error"


# ----------------------------------------------------------------------------- op list


def parse_core_op_names():
    """Op names of the top-level match arms of each `pub fn from_name` in the ops sources."""
    names = set()
    for path in sorted(OPS_DIR.glob("*.rs")):
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^pub fn from_name\(.*?^\}$", src, re.S | re.M):
            arms = re.findall(
                r'^( *)("[a-z0-9_]+"(?:\s*\|\s*"[a-z0-9_]+")*)\s*=>', m.group(0), re.M)
            if not arms:
                continue
            top = min(len(indent) for indent, _ in arms)  # nested matches are deeper
            for indent, pattern in arms:
                if len(indent) == top:
                    names.update(re.findall(r'"([a-z0-9_]+)"', pattern))
    return names


def test_hard_coded_op_list_is_complete():
    parsed = parse_core_op_names()
    assert len(parsed) > 50, "the parser found too few op names; did the sources move?"
    missing = parsed - set(OPS)
    stale = set(OPS) - parsed
    assert not missing, f"ops accepted by the core but not tested here: {sorted(missing)}"
    assert not stale, f"ops tested here that the core no longer accepts: {sorted(stale)}"


def test_every_op_has_a_valid_call():
    """The table's valid calls do run, so the bad calls below fail for the intended reason."""
    for name in ALL_OP_NAMES:
        arity, attrs = OPS[name]
        if arity == "random":
            out = _rkeras.eager(name, [], dict(attrs, shape=[2, 3]))
            assert out.shape == (2, 3)
            out = _rkeras.eager(name, _inputs([(4,)]), attrs)
            assert out.shape == (4,)
            continue
        n = 2 if arity == "n" else arity
        shapes = [(2, 3)] * n
        if name == "gather":
            shapes = [(2, 3), (2,)]
        if name in ("matmul", "batch_matmul"):
            shapes = [(2, 3), (3, 2)]
        if name == "squeeze":
            shapes = [(1, 3)]
        if name in ("conv", "depthwise_conv"):
            shapes = [(2, 5, 3), (2, 3, 4)]
        if name == "conv_transpose":
            shapes = [(2, 5, 3), (2, 4, 3)]
        if name in ("max_pool", "avg_pool"):
            shapes = [(2, 5, 3)]
        inputs = _inputs(shapes)
        if name == "gather":
            inputs[1] = np.array([1.0, 0.0], np.float32)
        out = _rkeras.eager(name, inputs, attrs)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32, name


def test_unknown_op_name():
    with pytest.raises(ValueError, match="no_such_op"):
        _rkeras.eager("no_such_op", _inputs([(2,)]), {})


# ----------------------------------------------------------------------------- eager errors


@pytest.mark.parametrize("name", ALL_OP_NAMES)
def test_bad_calls_raise_python_errors_naming_the_op(name):
    cases = [c for c in error_cases() if c[0] == name]
    assert cases
    failures = [(shapes, attrs, problem) for _, shapes, attrs in cases
                if (problem := check_case(name, shapes, attrs)) is not None]
    assert not failures, failures


def test_eager_error_cases_in_a_subprocess_leave_the_interpreter_alive():
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        import numpy as np
        import test_errors as t
        from rkeras import backend as K
        bad = [(c, p) for c in t.error_cases() if (p := t.check_case(*c)) is not None]
        total = len(t.error_cases())
        # the runtime still works after all of that
        alive = float(K.sum(np.ones((2, 3)))) == 6.0
        print(json.dumps({{"total": total, "bad": repr(bad), "alive": alive}}))
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=120, cwd=str(REPO))
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["total"] > 200
    assert result["bad"] == "[]"
    assert result["alive"]


def test_non_array_inputs_raise_type_error():
    with pytest.raises(TypeError):
        _rkeras.eager("abs", [[1.0, 2.0]], {})
    with pytest.raises(TypeError):
        _rkeras.eager("add", [np.ones(2, np.float32), "x"], {})
    with pytest.raises(TypeError):
        _rkeras.eager("abs", [np.ones(2, np.float64)], {})
    with pytest.raises(TypeError):
        _rkeras.eager("abs", np.ones(2, np.float32), {})
    with pytest.raises(ValueError):
        _rkeras.eager("abs", [np.ones((3, 2), np.float32).T], {})


@pytest.mark.parametrize(
    "inputs,attrs",
    [([[1.0, 2.0]], {}), ([np.ones(2, np.float64)], {}), ([np.ones((3, 2), np.float32).T], {}),
     ([np.ones((2, 2), np.float32)], {"axis": object()}),
     ([np.ones((2, 2), np.float32)], {"axis": ["a"]})],
    ids=["list", "float64", "non_contiguous", "object_attr", "str_list_attr"],
)
def test_input_conversion_errors_name_the_op(inputs, attrs):
    with pytest.raises((TypeError, ValueError), match="softmax"):
        _rkeras.eager("softmax", inputs, attrs)


def test_bad_attribute_types_raise():
    x = _inputs([(2, 2)])
    with pytest.raises(TypeError):
        _rkeras.eager("sum", x, {"axis": object()})
    with pytest.raises(TypeError):
        _rkeras.eager("sum", x, {"axis": ["a"]})
    with pytest.raises(ValueError, match="sum"):
        _rkeras.eager("sum", x, {"axis": 1.5})


# ----------------------------------------------------------------------------- panics


def _run_isolated(body):
    """Runs `body` in a fresh interpreter (a panic there must not poison this process)."""
    script = "import numpy as np\nfrom rkeras import _rkeras, backend as K\n" + \
        textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=str(REPO))


@pytest.mark.parametrize(
    "call",
    [
        "_rkeras.eager('argmax', [np.zeros((0,), np.float32)], {})",
        "_rkeras.eager('argmin', [np.zeros((2, 0), np.float32)], {'axis': 1})",
        "_rkeras.eager('sum_like', [np.ones((1,), np.float32), np.ones((0,), np.float32)], {})",
    ],
    ids=["argmax_empty", "argmin_empty_axis", "sum_like_to_empty"],
)
def test_degenerate_shapes_raise_value_error_not_panic(call):
    r = _run_isolated(f"""
        try:
            {call}
        except ValueError as e:
            print("ValueError", e)
        except RuntimeError as e:
            print("RuntimeError", e)
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("ValueError"), r.stdout


def test_panic_is_reported_as_runtime_error_without_crashing():
    r = _run_isolated("""
        try:
            _rkeras.eager('argmax', [np.zeros((0,), np.float32)], {})
        except (ValueError, RuntimeError) as e:
            print(type(e).__name__, e)
        print("survived")
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "argmax" in r.stdout and "survived" in r.stdout


def test_runtime_still_works_after_an_internal_error():
    r = _run_isolated("""
        v = K.variable(np.ones(3))
        try:
            _rkeras.eager('argmax', [np.zeros((0,), np.float32)], {})
        except (ValueError, RuntimeError):
            pass
        print(float(K.sum(np.ones((2, 3)))), float(K.get_value(v).sum()))
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["6.0", "3.0"]


# ----------------------------------------------------------------------------- graphs


def test_graph_op_with_bad_node_id():
    g = _rkeras.Graph()
    i = g.input([None, 3])
    with pytest.raises(ValueError, match="99"):
        g.op("add", [i, 99], {})
    with pytest.raises(ValueError, match="99"):
        g.shape(99)
    with pytest.raises(ValueError, match="99"):
        g.gradients(99, [i])
    with pytest.raises(ValueError, match="99"):
        g.gradients(g.op("sum", [i], {}), [99])
    with pytest.raises((ValueError, OverflowError, TypeError)):
        g.op("abs", [-1], {})
    # the graph is still usable afterwards
    y = g.op("abs", [i], {})
    assert g.shape(y) == [None, 3]


def test_graph_op_with_bad_attributes_or_shapes():
    g = _rkeras.Graph()
    a = g.input([None, 3])
    b = g.input([None, 4])
    with pytest.raises(ValueError, match="add"):
        g.op("add", [a, b], {})
    with pytest.raises(ValueError, match="softmax"):
        g.op("softmax", [a], {"axis": 4})
    with pytest.raises(ValueError, match="unknown op"):
        g.op("frobnicate", [a], {})
    with pytest.raises(ValueError):
        g.input([2, -1])
    with pytest.raises(TypeError):
        g.input("abc")


def test_symbolic_shape_errors_through_k():
    K.clear_session()
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(None, 4))
    with pytest.raises(ValueError, match="add"):
        x + y
    with pytest.raises(ValueError, match="matmul"):
        K.dot(x, np.ones((4, 2)))
    with pytest.raises(ValueError, match="concatenate"):
        K.concatenate([x, K.placeholder(shape=(None, 3, 1))], axis=1)
    with pytest.raises(ValueError, match="sum"):
        K.sum(x, axis=2)
    with pytest.raises(IndexError):
        x[0, 0, 0]
    K.clear_session()


def test_function_with_wrong_number_of_inputs():
    g = _rkeras.Graph()
    i = g.input([None, 3])
    f = _rkeras.Function(g, [i], [g.op("abs", [i], {})], [])
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="1 input.*got 2"):
        f([x, x])
    with pytest.raises(ValueError, match="got 0"):
        f([])
    np.testing.assert_allclose(f([x])[0], x)


def test_function_with_wrong_input_shape_names_both_shapes():
    g = _rkeras.Graph()
    i = g.input([None, 3])
    f = _rkeras.Function(g, [i], [g.op("abs", [i], {})], [])
    with pytest.raises(ValueError) as e:
        f([np.ones((2, 4), np.float32)])
    assert "(None, 3)" in str(e.value) and "(2, 4)" in str(e.value)
    with pytest.raises(ValueError) as e:
        f([np.ones((2,), np.float32)])
    assert "(None, 3)" in str(e.value) and "(2,)" in str(e.value)
    # the function still runs on good input
    np.testing.assert_allclose(f([np.full((1, 3), -2.0, np.float32)])[0], [[2.0, 2.0, 2.0]])


def test_k_function_errors():
    K.clear_session()
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [x * 2.0])
    with pytest.raises(ValueError) as e:
        f([np.ones((2, 5))])
    assert "(None, 3)" in str(e.value) and "(2, 5)" in str(e.value)
    with pytest.raises(ValueError):
        f([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(TypeError):
        f([np.array([["a", "b", "c"]])])
    with pytest.raises(KeyError):
        f({K.placeholder(shape=(None, 3)): np.ones((1, 3))})
    K.clear_session()


def test_function_built_with_a_non_placeholder_input():
    g = _rkeras.Graph()
    i = g.input([None, 3])
    y = g.op("abs", [i], {})
    with pytest.raises(ValueError, match="placeholder"):
        _rkeras.Function(g, [y], [y], [])


# ----------------------------------------------------------------------------- variables


def test_variable_set_with_wrong_shape():
    h = _rkeras.variable_create(np.zeros((2, 3), np.float32))
    try:
        with pytest.raises(ValueError) as e:
            _rkeras.variable_set(h, np.zeros((3,), np.float32))
        assert "(2, 3)" in str(e.value) and "(3,)" in str(e.value)
        with pytest.raises(TypeError):
            _rkeras.variable_set(h, [1.0, 2.0])
        np.testing.assert_array_equal(_rkeras.variable_get(h), np.zeros((2, 3)))
    finally:
        _rkeras.variable_delete(h)


def test_k_set_value_with_wrong_shape():
    v = K.variable(np.zeros((2, 2)))
    with pytest.raises(ValueError):
        K.set_value(v, np.ones((3, 3)))
    with pytest.raises(TypeError):
        K.set_value(v, np.array([["a", "b"], ["c", "d"]]))
    np.testing.assert_array_equal(K.get_value(v), np.zeros((2, 2)))


def test_deleted_variable():
    h = _rkeras.variable_create(np.ones((2,), np.float32))
    _rkeras.variable_delete(h)
    with pytest.raises(ValueError, match="does not exist"):
        _rkeras.variable_get(h)
    with pytest.raises(ValueError, match="does not exist"):
        _rkeras.variable_set(h, np.ones((2,), np.float32))
    with pytest.raises(ValueError, match="does not exist"):
        _rkeras.variable_shape(h)
    with pytest.raises(ValueError, match="does not exist"):
        _rkeras.Graph().variable(h)
    _rkeras.variable_delete(h)  # deleting twice is harmless


def test_variable_of_unknown_handle():
    with pytest.raises(ValueError):
        _rkeras.variable_get(10**9)
    with pytest.raises((OverflowError, TypeError)):
        _rkeras.variable_get(-1)


# ----------------------------------------------------------------------------- K on bad data


@pytest.mark.parametrize(
    "bad",
    [np.array(["a", "b"]), np.array([object(), object()]), np.array([b"x", b"y"]),
     np.array([1 + 2j, 3j])],
    ids=["str", "object", "bytes", "complex"],
)
def test_k_functions_reject_non_numeric_arrays(bad):
    with pytest.raises(TypeError):
        K.sum(bad)
    with pytest.raises(TypeError):
        K.exp(bad)
    with pytest.raises(TypeError):
        K.add(np.ones(2), bad)
    with pytest.raises(TypeError):
        K.variable(bad)
    with pytest.raises(TypeError):
        K.concatenate([np.ones(2), bad])


def test_k_functions_reject_strings():
    with pytest.raises(TypeError):
        K.sum("abc")
    with pytest.raises(TypeError):
        K.softmax(["a", "b"])
