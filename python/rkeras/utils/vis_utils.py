"""Drawing models with pydot and Graphviz: ``plot_model`` and ``model_to_dot`` (Keras 2's
``keras.utils.vis_utils``).

One node per layer, labelled ``name: ClassName`` (or ``ClassName`` without layer names); with
``show_shapes`` a record of the input and output shapes. Edges follow the layer calls of the
model; ``expand_nested`` draws nested models as dashed clusters of their own layers.
"""

from __future__ import annotations

import os
from typing import Any

try:  # pydot-ng and pydotplus first, as Keras 2 looks for them
    import pydot_ng as pydot
except ImportError:
    try:
        import pydotplus as pydot
    except ImportError:
        try:
            import pydot
        except ImportError:
            pydot = None


def _check_pydot() -> None:
    """Raises Keras's errors when pydot or Graphviz is missing."""
    if pydot is None:
        raise ImportError("Failed to import `pydot`. Please install `pydot`. For example with "
                          "`pip install pydot`.")
    try:
        # Renders a blank graph to check that Graphviz's executables can be found.
        pydot.Dot.create(pydot.Dot())
    except (OSError, FileNotFoundError) as err:
        raise OSError("`pydot` failed to call GraphViz.Please install GraphViz "
                      "(https://www.graphviz.org/) and ensure that its executables are in the "
                      "$PATH.") from err
    except Exception as err:  # noqa: BLE001 - pydot 2+ raises its own error types
        if "dot" in str(err).lower() or "not found" in str(err).lower():
            raise OSError("`pydot` failed to call GraphViz.Please install GraphViz "
                          "(https://www.graphviz.org/) and ensure that its executables are in "
                          "the $PATH.") from err
        raise


def add_edge(dot: Any, src: str, dst: str) -> None:
    """Adds the edge ``src -> dst`` once."""
    if not dot.get_edge(src, dst):
        dot.add_edge(pydot.Edge(src, dst))


def _model_layers(model: Any) -> list:
    # The model's own layer list, the InputLayer of a Sequential included (as Keras 2 draws).
    layers = model.__dict__.get("_layers")
    return list(layers) if layers else list(model.layers)


def _shape_label(layer: Any, attr: str) -> str:
    try:
        return str(getattr(layer, attr))
    except (AttributeError, RuntimeError, ValueError):
        return "multiple"


def model_to_dot(model: Any, show_shapes: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 96,
                 subgraph: bool = False) -> Any:
    """Converts a model to a ``pydot.Dot`` graph (Keras 2 ``model_to_dot``).

    `rankdir` is ``'TB'`` (vertical) or ``'LR'`` (horizontal); `expand_nested` draws nested
    models as clusters; `dpi` is the resolution of rendered images.
    """
    from rkeras.engine.base_layer import Layer
    from rkeras.engine.functional import Model
    from rkeras.engine.sequential import Sequential

    _check_pydot()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")

    sub_n_first_node: dict = {}
    sub_n_last_node: dict = {}

    if isinstance(model, Sequential) and not model.built:
        model._require_graph()  # Keras's message: the model has no input shape yet
    if not getattr(model, "_is_graph_network", False):
        dot.add_node(pydot.Node(str(id(model)), label=model.name))
        return dot
    layers = _model_layers(model)

    for layer in layers:
        layer_id = str(id(layer))
        layer_name = layer.name
        class_name = type(layer).__name__
        inner = getattr(layer, "layer", None)
        if isinstance(inner, Layer) and not isinstance(layer, Model):  # a wrapper layer
            layer_name = f"{layer_name}({inner.name})"
            class_name = f"{class_name}({type(inner).__name__})"
        if expand_nested and isinstance(layer, Model):
            sub = model_to_dot(layer, show_shapes, show_layer_names, rankdir, expand_nested,
                               subgraph=True)
            sub_nodes = sub.get_nodes()
            sub_n_first_node[layer.name] = sub_nodes[0]
            sub_n_last_node[layer.name] = sub_nodes[-1]
            dot.add_subgraph(sub)
        label = f"{layer_name}: {class_name}" if show_layer_names else class_name
        if show_shapes:
            output_labels = _shape_label(layer, "output_shape")
            input_labels = _shape_label(layer, "input_shape")
            label = "%s\n|{input:|output:}|{{%s}|{%s}}" % (label, input_labels, output_labels)
        if not expand_nested or not isinstance(layer, Model):
            dot.add_node(pydot.Node(layer_id, label=label))

    for layer in layers:
        layer_id = str(id(layer))
        for i, node in enumerate(layer._inbound_nodes):
            if f"{layer.name}_ib-{i}" not in model._network_nodes:
                continue
            for inbound_layer in node.inbound_layers:
                inbound_id = str(id(inbound_layer))
                if not expand_nested:
                    add_edge(dot, inbound_id, layer_id)
                    continue
                src = sub_n_last_node[inbound_layer.name].get_name() \
                    if isinstance(inbound_layer, Model) else inbound_id
                dst = sub_n_first_node[layer.name].get_name() \
                    if isinstance(layer, Model) else layer_id
                add_edge(dot, src, dst)
    return dot


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False,
               dpi: int = 96) -> Any:
    """Draws the model to `to_file` (its extension picks the format: png, svg, pdf, ...;
    ``png`` without one). Returns an ``IPython.display.Image`` when IPython is available
    (except for PDF), as Keras 2 does."""
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir, expand_nested, dpi)
    _, extension = os.path.splitext(str(to_file))
    extension = extension[1:] if extension else "png"
    dot.write(str(to_file), format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=str(to_file))
    return None
