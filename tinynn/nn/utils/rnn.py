"""Variable-length batches for the recurrent layers: padding and packing (PyTorch's nn.utils.rnn).

A batch of B sequences of different lengths can be stored two ways:

* padded: one (T, B, *) tensor (or (B, T, *) with ``batch_first``), the short sequences filled up
  with ``padding_value`` to the longest length T;
* packed: a ``PackedSequence``, the sequences sorted by decreasing length and their elements laid
  out time step after time step, keeping at step t only the ``batch_sizes[t]`` sequences that are
  still running. For lengths (3, 2, 1) the data rows are

      a0 b0 c0 | a1 b1 | a2          batch_sizes = (3, 2, 1)

  so a recurrent layer can process step t as one (batch_sizes[t], *) block without touching pads.

``sorted_indices[k]`` is the original batch position of the k-th longest sequence (None when the
input was already sorted); ``unsorted_indices`` is its inverse, used to put results back in order.
"""
from __future__ import annotations

import collections

import numpy as np

from ...creation import full, tensor
from ...ops.indexing import index_put
from ...ops.join import cat, unbind
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

_PackedSequenceFields = collections.namedtuple(
    "PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


class PackedSequence(_PackedSequenceFields):
    """Packed sequences: data (sum(batch_sizes), *), batch_sizes (T,) int64 on the CPU, and the
    permutation that sorted the batch by decreasing length (see the module docstring).

    Make one with ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required (use pack_padded_sequence to make one)")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = tensor(np.asarray(batch_sizes, dtype=np.int64))
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The same packing with ``data.to(...)``; the indices follow data to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        indices = [None if i is None else i.to(device=data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *indices)

    def cpu(self) -> "PackedSequence":
        return self.to(device="cpu")

    def cuda(self, device=None) -> "PackedSequence":
        return self.to(device="cuda" if device is None else device)

    def double(self) -> "PackedSequence":
        return self.to(dtype=np.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=np.float32)

    def half(self) -> "PackedSequence":
        return self.to(dtype=np.float16)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[p[k]] = k (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.tolist(), dtype=np.int64)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size)
    return tensor(inverse, device=permutation.device)


# ---------------------------------------------------------------------------- index arithmetic
def _lengths_array(lengths) -> np.ndarray:
    """Lengths (a list, an array or a tensor) as a 1-d int64 NumPy array."""
    values = np.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths)
    if values.ndim != 1:
        raise RuntimeError(f"'lengths' should be 1-d (one length per sequence), got shape {values.shape}")
    if values.dtype.kind == "f" and not np.all(values == np.floor(values)):
        raise RuntimeError(f"'lengths' should hold whole numbers, got {values.tolist()}")
    return values.astype(np.int64)


def _batch_sizes(sorted_lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many sequences are longer than t (lengths sorted decreasingly)."""
    steps = np.arange(sorted_lengths[0])
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1)


def _packed_positions(batch_sizes: np.ndarray):
    """For each row of packed data: its time step and its slot (rank by length) in the batch."""
    time = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    step_starts = np.cumsum(batch_sizes) - batch_sizes
    slot = np.arange(time.size) - np.repeat(step_starts, batch_sizes)
    return time, slot


def _index_key(time, batch, batch_first: bool, device):
    """The advanced index of the packed rows in a padded tensor, as tensors on its device."""
    time, batch = tensor(time, device=device), tensor(batch, device=device)
    return (batch, time) if batch_first else (time, batch)


# ---------------------------------------------------------------------------- padded <-> packed
def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch.  input: (T, B, *) or (B, T, *) with batch_first; lengths: (B,).

    With ``enforce_sorted=True`` the lengths must already decrease; otherwise the batch is sorted
    (stably, as PyTorch does) and the permutation kept in ``sorted_indices``.
    """
    lengths = _lengths_array(lengths)
    if input.dim() < 2:
        raise RuntimeError(f"pack_padded_sequence: expected input of shape (T, B, *), got shape {tuple(input.shape)}")
    max_time, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} (batch_size={batch})"
        )
    if (lengths <= 0).any():
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if lengths.max() > max_time:
        raise RuntimeError(
            f"pack_padded_sequence: a sequence length of {lengths.max()} exceeds the padded length {max_time} "
            f"of the input (shape {tuple(input.shape)}, batch_first={batch_first})"
        )
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                f"if you do not need ONNX exportability. Got lengths {lengths.tolist()}."
            )
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = tensor(order, device=input.device)
    batch_sizes = _batch_sizes(lengths[order])
    time, slot = _packed_positions(batch_sizes)
    data = input[_index_key(time, order[slot], batch_first, input.device)]
    return PackedSequence(data, tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """Undo ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *), lengths (B,) int64).

    The batch comes back in its original order; ``total_length`` pads to that many steps.
    """
    data, batch_sizes, sorted_indices, _ = sequence
    batch_sizes = np.asarray(batch_sizes.tolist(), dtype=np.int64)
    max_time, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < max_time:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_time}"
            )
        max_time = total_length
    order = np.arange(batch) if sorted_indices is None else np.asarray(sorted_indices.tolist(), dtype=np.int64)
    time, slot = _packed_positions(batch_sizes)
    shape = ((batch, max_time) if batch_first else (max_time, batch)) + tuple(data.shape[1:])
    padded = full(shape, padding_value, dtype=data.dtype, device=data.device)
    padded = index_put(padded, _index_key(time, order[slot], batch_first, data.device), data)
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    return padded, tensor(lengths)


# ---------------------------------------------------------------------------- lists of sequences
def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (T, B, *) (or (B, T, *)), T = max L_i.

    ``padding_side='left'`` puts each sequence at the end, the padding before it.
    """
    if isinstance(sequences, Tensor):
        sequences = unbind(sequences, 0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    trailing = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if s.dim() == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, trailing)) or ''}...) "
                f"like sequence 0 {tuple(sequences[0].shape)}, but sequence {k} has shape {tuple(s.shape)}"
            )
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    max_time = int(lengths.max())
    batch = np.repeat(np.arange(lengths.size), lengths)
    time = np.concatenate([np.arange(n) + (max_time - n if padding_side == "left" else 0) for n in lengths])
    data = cat(sequences, 0)
    shape = ((lengths.size, max_time) if batch_first else (max_time, lengths.size)) + trailing
    padded = full(shape, padding_value, dtype=data.dtype, device=data.device)
    return index_put(padded, _index_key(time, batch, batch_first, data.device), data)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of sequences (L_i, *) inside a padded (T, B, *) batch (right padding)."""
    lengths = _lengths_array(lengths)
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[k, :int(n)] for k, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *); with enforce_sorted they must come longest first."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences (L_i, *) inside a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
