"""The weights_only allowlist (tinynn/serialization/allowlist.py): add_safe_globals, safe_globals,
get_safe_globals, clear_safe_globals, get_unsafe_globals_in_checkpoint, as torch.serialization has them."""
import dataclasses
import io
import sys

import pytest

import tinynn
from tinynn import nn, serialization
from tinynn.serialization import WeightsOnlyError, load, save
from tests.helpers import needs_torch, torch


@dataclasses.dataclass
class Settings:
    width: int
    activation: str = "relu"


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.settings = Settings(2)

    def forward(self, x):
        return self.fc(x).relu()


@pytest.fixture(autouse=True)
def empty_allowlist():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


def saved(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return buffer


def test_add_safe_globals_lets_a_weights_only_load_through():
    buffer = saved(Block())
    assert serialization.get_unsafe_globals_in_checkpoint(buffer) == [
        f"{__name__}.Block", "tinynn.nn.linear.Linear", f"{__name__}.Settings"]
    with pytest.raises(WeightsOnlyError, match=f"{__name__}.Block, tinynn.nn.linear.Linear, {__name__}.Settings"):
        load(saved(Block()))
    serialization.add_safe_globals([Block, nn.Linear])
    with pytest.raises(WeightsOnlyError, match=f"the global {__name__}.Settings, not allowed"):  # only what is left
        load(saved(Block()))
    serialization.add_safe_globals([Settings, Block])  # a repeat is not added twice
    assert serialization.get_safe_globals() == [Block, nn.Linear, Settings]
    back = load(saved(Block()))
    assert type(back) is Block and back.settings == Settings(2) and type(back.fc.weight) is nn.Parameter
    assert serialization.get_unsafe_globals_in_checkpoint(saved(Block())) == []
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    with pytest.raises(WeightsOnlyError):
        load(saved(Block()))


def test_safe_globals_allows_inside_the_block_only():
    serialization.add_safe_globals([nn.Linear])
    with serialization.safe_globals([Block, Settings, nn.Linear]):
        assert serialization.get_safe_globals() == [nn.Linear, Block, Settings]
        assert type(load(saved(Block()))) is Block
    assert serialization.get_safe_globals() == [nn.Linear]  # allowed before the block, so still allowed
    with pytest.raises(WeightsOnlyError):
        load(saved(Block()))
    with pytest.raises(KeyError):
        with serialization.safe_globals([Settings]):
            raise KeyError("the block fails")
    assert serialization.get_safe_globals() == [nn.Linear]


def test_a_global_saved_under_another_name_is_allowed_by_that_name(monkeypatch):
    buffer = saved({"settings": Settings(3)})
    monkeypatch.delattr(f"{__name__}.Settings")  # the class moved: the file's name no longer imports

    @dataclasses.dataclass
    class Renamed:
        width: int
        activation: str = "relu"

    with serialization.safe_globals([(Renamed, f"{__name__}.Settings")]):
        back = load(buffer)
    assert type(back["settings"]) is Renamed and back["settings"].width == 3


def test_a_tensor_subclass_needs_allowing_too():
    class Marked(tinynn.Tensor):
        __slots__ = ()

    Marked.__qualname__ = "Marked"
    sys.modules[__name__].Marked = Marked
    try:
        t = tinynn.ones(2)
        t.__class__ = Marked
        buffer = saved({"t": t})
        with pytest.raises(WeightsOnlyError, match=f"the global {__name__}.Marked"):
            load(buffer)
        buffer.seek(0)
        with serialization.safe_globals([Marked]):
            back = load(buffer)
        assert type(back["t"]) is Marked and back["t"].tolist() == [1.0, 1.0]
    finally:
        del sys.modules[__name__].Marked


def test_entries_are_checked_when_added():
    with pytest.raises(TypeError, match=r"must be \(global, 'module.name'\)"):
        serialization.add_safe_globals([(Block, Block)])
    with pytest.raises(TypeError, match=r"must be \(global, 'module.name'\)"):
        serialization.safe_globals([(Block, "a", "b")])
    with pytest.raises(TypeError, match="has no __module__ and __qualname__"):
        serialization.add_safe_globals([3])
    assert serialization.get_safe_globals() == []


def test_plain_files_have_no_unsafe_globals():
    assert serialization.get_unsafe_globals_in_checkpoint(saved({"w": tinynn.ones(1)})) == []


@needs_torch
def test_the_same_calls_work_on_torch():
    for lib in (torch, tinynn):
        lib.serialization.clear_safe_globals()
        with lib.serialization.safe_globals([Settings]):
            assert Settings in lib.serialization.get_safe_globals()
        assert Settings not in lib.serialization.get_safe_globals()
        buffer = io.BytesIO()
        lib.save({"s": Settings(1)}, buffer)
        buffer.seek(0)
        assert lib.serialization.get_unsafe_globals_in_checkpoint(buffer) == [f"{__name__}.Settings"]
        buffer.seek(0)
        lib.serialization.add_safe_globals([Settings])
        assert lib.load(buffer) == {"s": Settings(1)}
        lib.serialization.clear_safe_globals()
