"""Header nodes (tinynn/serialization/nodes.py): every field of a forged header is type-checked, and
only numeric dtypes are accepted; each refusal is a CheckpointError naming the field."""
import io

import numpy as np
import pytest

from tinynn.serialization import CheckpointError, WeightsOnlyError, load, save
from tests.serialization.forge import header_bytes, npy_bytes, write_archive


def tensor_node(**changes) -> dict:
    node = {"type": "tensor", "object": 0, "array": "a0", "dtype": "<f8", "shape": [2], "requires_grad": False,
            "device": "cpu"}
    node.update(changes)
    return {key: value for key, value in node.items() if value is not ...}


def forged(tmp_path, root, arrays=None, **header_fields):
    arrays = {"a0": np.zeros(2)} if arrays is None else arrays
    members = {"header.npy": header_bytes(root, **header_fields)}
    members.update({f"{key}.npy": npy_bytes(value) for key, value in arrays.items()})
    write_archive(tmp_path / "forged.pt", members)
    return tmp_path / "forged.pt"


def test_a_well_formed_forgery_loads(tmp_path):  # so that each refusal below is due to its one change
    t = load(forged(tmp_path, tensor_node(requires_grad=True)))
    assert t.tolist() == [0.0, 0.0] and t.requires_grad


@pytest.mark.parametrize("node,message", [
    (tensor_node(requires_grad="true"), "field 'requires_grad' of a 'tensor' node must be bool, got 'true'"),
    (tensor_node(requires_grad=1), "field 'requires_grad' of a 'tensor' node must be bool, got 1"),
    (tensor_node(requires_grad=...), "field 'requires_grad' of a 'tensor' node must be bool, got None"),
    (tensor_node(object="0"), "field 'object' of a 'tensor' node must be int"),
    (tensor_node(object=True), "field 'object' of a 'tensor' node must be int"),
    (tensor_node(shape=["2"]), "invalid shape"),
    (tensor_node(shape=[-2]), "invalid shape"),
    (tensor_node(shape=2), "field 'shape' of a 'tensor' node must be list"),
    (tensor_node(array=0), "field 'array' of a 'tensor' node must be str"),
    (tensor_node(array="header"), "refers to the header"),
    (tensor_node(device="tpu"), "invalid device 'tpu'"),
    (tensor_node(device=["cpu"]), "field 'device' of a 'tensor' node must be str"),
    (tensor_node(dtype="<i8"), "is float64 \\[2\\], but the header says <i8"),
    (tensor_node(**{"class": "Parameter"}), "field 'class' of a 'tensor' node must be list"),
    (tensor_node(**{"class": ["collections", "OrderedDict"]}), "OrderedDict is not a tinynn Tensor subclass"),
    ({"type": "tensor_ref", "object": 0}, "reference to tensor 0 that was not defined"),
    ({"type": "list", "items": [tensor_node(), tensor_node()]}, "tensor 0 is defined twice"),
    ({"type": "float", "value": "1.5"}, "field 'value' of a 'float' node must be float or int"),
    ({"type": "complex", "real": 1.0, "imag": None}, "field 'imag' of a 'complex' node"),
    ({"type": "bool", "value": 0}, "field 'value' of a 'bool' node must be bool"),
    ({"type": "str", "value": 5}, "field 'value' of a 'str' node must be str"),
    ({"type": "list", "items": {"a": 1}}, "field 'items' of a 'list' node must be list"),
    ({"type": "dict", "items": [[{"type": "none"}]]}, "must be a \\[key, value\\] pair"),
    ({"type": "dtype", "value": "|O"}, "names '\\|O', which is not a numeric dtype"),
    ({"type": "device", "value": "cuda:x"}, "invalid device"),
    ({"type": 7}, "malformed header node"),
    ([], "malformed header node"),
])
def test_malformed_fields_are_refused(tmp_path, node, message):
    with pytest.raises(CheckpointError, match=message):
        load(forged(tmp_path, node))


@pytest.mark.parametrize("dtype", ["|O", "<U3", "|S2", "|V8", "<f8,<i4", "<M8[D]", "<m8[s]", "(2,)<f8", "nonsense"])
def test_only_numeric_dtypes_are_accepted_in_the_header(tmp_path, dtype):
    with pytest.raises(CheckpointError, match="only numeric dtypes can be loaded"):
        load(forged(tmp_path, {"type": "ndarray", "array": "a0", "dtype": dtype, "shape": [2]}))


def test_an_integer_tensor_cannot_require_grad(tmp_path):
    with pytest.raises(CheckpointError, match="a int64 tensor cannot require grad"):
        load(forged(tmp_path, tensor_node(dtype="<i8", requires_grad=True), {"a0": np.zeros(2, dtype=np.int64)}))


def test_a_tensor_class_outside_the_allowlist_is_never_imported(tmp_path):
    path = forged(tmp_path, tensor_node(**{"class": ["os", "system"]}))
    with pytest.raises(WeightsOnlyError, match="the global os.system"):
        load(path)
    with pytest.raises(CheckpointError, match="os.system is not a tinynn Tensor subclass"):
        load(path, weights_only=False)  # found, but only used as a class: never called


@pytest.mark.parametrize("fields,message", [
    ({"version": 2}, "format version 2; this tinynn reads versions 1 to 1"),
    ({"version": True}, "format version True"),
    ({"version": "1"}, "format version '1'"),
    ({"format": "other"}, "does not describe a 'tinynn.checkpoint' file"),
])
def test_the_header_itself_is_checked(tmp_path, fields, message):
    with pytest.raises(CheckpointError, match=message):
        load(forged(tmp_path, {"type": "none"}, **fields))


@pytest.mark.parametrize("depth,message", [(150, "nested more than 100 deep"),
                                           (5000, "not valid JSON.*RecursionError")])
def test_absurd_nesting_is_refused(tmp_path, depth, message):
    raw = '{"format": "tinynn.checkpoint", "version": 1, "root": ' + '{"type": "list", "items": [' * depth
    raw += '{"type": "none"}' + "]}" * depth + "}"
    write_archive(tmp_path / "deep.pt", {"header.npy": npy_bytes(np.frombuffer(raw.encode(), dtype=np.uint8))})
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "deep.pt")


def test_deeper_nesting_than_a_header_allows_is_pickled_and_loads():
    deep = []
    for _ in range(150):
        deep = [deep]
    buffer = io.BytesIO()
    save(deep, buffer)
    buffer.seek(0)
    back = load(buffer)  # lists need no global: weights_only=True loads the pickle
    for _ in range(150):
        back = back[0]
    assert back == []
