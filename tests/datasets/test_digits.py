"""The shipped 8 x 8 handwritten digits: integrity, shapes, split, resizing, and that they are learnable."""
import numpy as np
import pytest

import tinynn
from tinynn.datasets import Digits, load_digits, resize_bilinear, sha256sum
from tinynn.datasets.digits import DIGITS_PATH
from tinynn.utils.data import DataLoader
from tests.helpers import needs_torch, torch

UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # optdigits.tes, per the UCI page


def test_shipped_file_is_the_documented_one():
    readme = (DIGITS_PATH.parent / "README.md").read_text()
    assert sha256sum(DIGITS_PATH) in readme
    assert DIGITS_PATH.stat().st_size < 100_000


def test_all_images_and_labels():
    images, labels = load_digits("all", raw=True)
    assert images.shape == (1797, 8, 8) and images.dtype == tinynn.uint8
    assert labels.shape == (1797,) and labels.dtype == tinynn.int64
    assert images.numpy().min() == 0 and images.numpy().max() == 16
    assert np.bincount(labels.numpy()).tolist() == UCI_TEST_COUNTS


def test_split_is_stratified_disjoint_and_fixed():
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    assert x_train.shape == (1438, 1, 8, 8) and x_test.shape == (359, 1, 8, 8)
    assert x_train.dtype == tinynn.float32 and y_test.dtype == tinynn.int64
    assert 0.0 <= x_train.numpy().min() and x_train.numpy().max() == 1.0
    assert np.bincount(y_test.numpy()).tolist() == [round(0.2 * c) for c in UCI_TEST_COUNTS]
    assert (np.bincount(y_train.numpy()) + np.bincount(y_test.numpy())).tolist() == UCI_TEST_COUNTS
    # together the splits are exactly the whole set: compare the images as sets of rows
    all_images, _ = load_digits("all")
    rows = lambda x: sorted(map(bytes, x.numpy().reshape(len(x), -1)))  # noqa: E731
    assert rows(all_images) == sorted(rows(x_train) + rows(x_test))
    np.testing.assert_array_equal(load_digits("test")[0].numpy(), x_test.numpy())
    other = load_digits("test", split_seed=1)[0].numpy()
    assert not np.array_equal(other, x_test.numpy())


def test_resized_to_mnist_shape():
    small, labels = load_digits("test")
    big, labels28 = load_digits("test", image_size=28)
    assert big.shape == (359, 1, 28, 28) and big.dtype == tinynn.float32
    np.testing.assert_array_equal(labels.numpy(), labels28.numpy())
    assert 0.0 <= big.numpy().min() and big.numpy().max() <= 1.0
    # bilinear resizing keeps the ink where it was: average brightness nearly unchanged
    np.testing.assert_allclose(big.numpy().mean(axis=(1, 2, 3)), small.numpy().mean(axis=(1, 2, 3)), atol=0.02)


def test_resize_bilinear_exact_cases():
    image = np.arange(12, dtype=float).reshape(1, 3, 4)
    np.testing.assert_allclose(resize_bilinear(image, (3, 4)), image)  # same size: unchanged
    constant = np.full((2, 5, 5), 0.7)
    np.testing.assert_allclose(resize_bilinear(constant, 13), 0.7)
    ramp = np.tile(np.arange(4.0), (4, 1))[None]  # a linear ramp stays linear inside the border
    up = resize_bilinear(ramp, 8)[0]
    np.testing.assert_allclose(np.diff(up[:, 1:-1], axis=1), 0.5)


@needs_torch
def test_resize_bilinear_matches_torch():
    images = np.random.default_rng(0).random((3, 8, 8))
    expected = torch.nn.functional.interpolate(torch.tensor(images)[:, None], size=(28, 21), mode="bilinear",
                                               align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(resize_bilinear(images, (28, 21)), expected, rtol=1e-10, atol=1e-12)


def test_digits_dataset_and_loader():
    dataset = Digits("train", transform=lambda x: x - 0.5)
    assert len(dataset) == 1438
    image, label = dataset[0]
    assert image.shape == (1, 8, 8) and isinstance(label, int)
    np.testing.assert_allclose(image.numpy() + 0.5, load_digits("train")[0].numpy()[0])
    x, y = next(iter(DataLoader(Digits("test", image_size=28), batch_size=16)))
    assert x.shape == (16, 1, 28, 28) and y.dtype == tinynn.int64


def test_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        load_digits("validation")
    with pytest.raises(ValueError, match="raw=True"):
        load_digits(raw=True, image_size=28)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)


def test_the_digits_are_learnable():
    """Real, correctly labelled handwriting: even nearest-class-mean gets most test digits right."""
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    train, test = x_train.numpy().reshape(-1, 64), x_test.numpy().reshape(-1, 64)
    means = np.stack([train[y_train.numpy() == d].mean(0) for d in range(10)])
    predicted = np.argmin(((test[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    accuracy = (predicted == y_test.numpy()).mean()
    assert accuracy > 0.85
