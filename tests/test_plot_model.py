"""``plot_model`` / ``model_to_dot`` (pydot + Graphviz), drawn as Keras 2 draws models."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from rkeras import backend as K
from rkeras.layers import Dense, Dropout, Input, concatenate
from rkeras.models import Model, Sequential
from rkeras.utils import model_to_dot, plot_model, vis_utils

pydot = pytest.importorskip("pydot")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def _model():
    a, b = Input(shape=(4,), name="in_a"), Input(shape=(3,), name="in_b")
    inner_in = Input(shape=(7,))
    inner = Model(inner_in, Dense(5, name="inner_dense")(inner_in), name="tower")
    h = inner(concatenate([a, b], name="merge"))
    out = Dense(1, activation="sigmoid", name="out")(Dropout(0.5, name="drop")(h))
    return Model([a, b], out)


@needs_dot
def test_plot_model_writes_png_with_every_layer(fresh_graph, tmp_path):
    model = _model()
    path = tmp_path / "model.png"
    plot_model(model, to_file=str(path), show_shapes=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    plain = subprocess.run(["dot", "-Tplain"], input=model_to_dot(model, show_shapes=True)
                           .to_string().encode(), capture_output=True, check=True).stdout.decode()
    for layer in model.layers:
        assert f"{layer.name}: {type(layer).__name__}" in plain, layer.name
    assert plain.count("\nedge ") == 5


@needs_dot
def test_model_to_dot_labels_and_edges(fresh_graph):
    model = _model()
    dot = model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="LR")
    labels = sorted(n.get_label() for n in dot.get_nodes() if n.get_name() not in ("node",))
    assert labels == sorted(f"{la.name}: {type(la).__name__}" for la in model.layers)
    assert dot.get("rankdir") == "LR"
    shapes = model_to_dot(model, show_shapes=True).to_string()
    assert "{input:|output:}" in shapes and "(None, 4)" in shapes and "(None, 1)" in shapes
    bare = model_to_dot(model, show_layer_names=False).to_string()
    assert "out: Dense" not in bare and "Dense" in bare
    nested = model_to_dot(model, expand_nested=True).to_string()
    assert "inner_dense: Dense" in nested and "cluster" in nested


@needs_dot
def test_plot_sequential_shows_input_layer(fresh_graph, tmp_path):
    K.clear_session()
    model = Sequential([Dense(3, input_dim=2, name="d1"), Dense(1, name="d2")])
    path = tmp_path / "seq.svg"
    plot_model(model, to_file=str(path), rankdir="LR", dpi=50)
    svg = path.read_text()
    assert "d1: Dense" in svg and "d2: Dense" in svg and "InputLayer" in svg


def test_missing_pydot_message(fresh_graph, monkeypatch):
    monkeypatch.setattr(vis_utils, "pydot", None)
    with pytest.raises(ImportError, match="Failed to import `pydot`"):
        plot_model(_model())


def test_missing_graphviz_message(fresh_graph, monkeypatch):
    def fail(*args, **kwargs):
        raise FileNotFoundError("[Errno 2] \"dot\" not found in path.")

    monkeypatch.setattr(pydot.Dot, "create", fail)
    with pytest.raises(OSError, match="`pydot` failed to call GraphViz"):
        model_to_dot(_model())
