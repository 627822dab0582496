"""Data for the lessons: generated toy sets, real handwritten digits, text, and downloaders.

Needs nothing (generated or shipped with tinynn):
    synthetic.py   spirals, moons, circles, xor, blobs, sine_regression (2-D toys, seeded)
    sequences.py   copy_task, reverse_task, adding_problem, parity, variable_length_parity, sine_wave
    digits.py      load_digits / Digits: 1,797 real handwritten 8 x 8 digits (UCI, CC BY 4.0)
    fable_corpus.py  fables(): a generated English corpus for character models
    sentiment.py   load_sentiment(): generated reviews with negation and contrast
    split.py       train_test_split for tensors

Downloaded once, checked by SHA-256 and cached in data_home() ($TINYNN_DATA or ~/.cache/tinynn):
    mnist.py       load_mnist / MNIST, load_fashion_mnist / FashionMNIST (IDX files, idx.py)
    text.py        load_char_corpus("tiny_shakespeare"); CharTokenizer, WordTokenizer, CharDataset
    sentiment.py   load_imdb(): the IMDB movie reviews
    download.py    fetch(): the download, checksum and cache machinery

Tensors come back as float32 features and int64 labels; generated sets take ``seed=`` (the same
data every call) or ``generator=`` (a tinynn.Generator), and otherwise draw from tinynn's default
generator, so ``tinynn.manual_seed`` makes them repeat.
"""
from .synthetic import *  # noqa: F401,F403
from .sequences import *  # noqa: F401,F403
from .split import *  # noqa: F401,F403
from .idx import *  # noqa: F401,F403
from .download import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .digits import *  # noqa: F401,F403
from .mnist import *  # noqa: F401,F403
from .fable_corpus import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .sentiment import *  # noqa: F401,F403
from .audio import *  # noqa: F401,F403
