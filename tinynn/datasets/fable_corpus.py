"""An English text corpus that needs no download: short animal fables written by a small grammar.

``fables(n_chars=60_000, seed=0)`` returns the same text on every machine. Each fable has a title,
a story told in a few sentences with dialogue, and a moral:

    THE PATIENT TORTOISE AND THE PROUD HARE

    One cold morning the proud hare met the patient tortoise by the river. "Where are you
    going?" asked the hare. "I am going to the old mill," said the tortoise. ...
    Moral: Slow and steady wins the race.

A character model trained on it has real structure to find: spelling, word boundaries, capitals
after a full stop, quotes that open and close, titles in capitals, a blank line between fables.
The words and sentences were written for tinynn (no outside text); the grammar combines them, so
any amount of text can be made.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fables"]

ANIMALS = ["fox", "crow", "hare", "tortoise", "lion", "mouse", "owl", "wolf", "goat", "ant",
           "grasshopper", "bear", "frog", "heron", "cat", "dog", "rabbit", "squirrel", "swan", "donkey"]
TRAITS = ["clever", "lazy", "proud", "little", "old", "hungry", "kind", "quick", "patient", "greedy",
          "brave", "wise", "foolish", "gentle", "curious", "humble"]
TIMES = ["One morning", "Long ago", "On a cold winter day", "One summer evening", "Once upon a time",
         "At dawn", "One rainy afternoon", "In the spring", "Late one night", "On a windy day"]
PLACES = ["by the river", "in the deep wood", "on the green hill", "near the old mill", "in the meadow",
          "under the oak tree", "at the edge of the lake", "beside the farm gate", "in the garden",
          "on the dusty road"]
DESTINATIONS = ["to the market", "to the old mill", "over the hill", "to the river", "home",
                "to the far field", "to visit my cousin", "to find some water", "to the village"]
FINISH_LINES = ["to the old mill", "over the hill", "to the river", "to the far field", "to the big oak"]
THINGS = ["a piece of cheese", "a basket of apples", "a golden key", "some bread", "a shiny stone",
          "a bunch of grapes", "a warm coat", "a jar of honey", "a bag of seeds", "a silver bell"]
TROUBLES = ["fell into a deep hole", "was caught in a net", "lost the way home", "could not cross the stream",
            "was trapped by the snow", "hurt a paw on a thorn"]
MORALS = {  # each kind of story has morals that fit it
    "race": ["Slow and steady wins the race.", "Pride goes before a fall.", "Patience is a kind of strength.",
             "Do not laugh at those who are slow."],
    "greed": ["Greed often loses what it has.", "Those who keep everything end with nothing.",
              "Think before you take."],
    "share": ["Those who share have many friends.", "Kindness is never wasted.", "A gift brings back a friend."],
    "rescue": ["Small friends can be great friends.", "A true friend helps in hard times.",
               "Do not judge by looks.", "Every little bit helps."],
}
SAY = ["said", "answered", "replied", "cried", "whispered"]  # verbs for statements, not questions


def _cap(sentence: str) -> str:
    return sentence[0].upper() + sentence[1:]


class _Writer:
    """Draws choices from one seeded generator and writes fables sentence by sentence."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def greeting(self, a: str, b: str) -> list[str]:
        where = self.pick(DESTINATIONS)
        lines = [f'"Good day, {b}," said the {a}. "Where are you going?"',
                 f'"I am going {where}," {self.pick(SAY)} the {b}.']
        if self.chance(0.5):
            lines.append(f'"May I come with you?" asked the {a}.')
            lines.append(self.pick([f'"Of course," said the {b}, and they went on together.',
                                    f'"No," said the {b}. "You are too slow."',
                                    f'The {b} thought for a moment and then agreed.']))
        return lines

    def race(self, a: str, b: str) -> tuple[list[str], str]:
        return [f"The {a} laughed at the {b} and said, \"I am much faster than you.\"",
                f'"Then let us race {self.pick(FINISH_LINES)}," {self.pick(SAY)} the {b}.',
                f"The {a} ran ahead, but the {b} kept walking, step by step.",
                f"Soon the {a} grew tired and fell asleep {self.pick(PLACES)}.",
                f"When the {a} woke up, the {b} had already won."], "race"

    def found(self, a: str, b: str) -> tuple[list[str], str]:
        thing = self.pick(THINGS)
        lines = [f"The {a} found {thing} {self.pick(PLACES)}."]
        if self.chance(0.5):
            lines += [f'"Will you share it with me?" asked the {b}.',
                      f'"No, it is all mine," said the {a}, and hid it.',
                      f"But while the {a} slept, the wind carried it away, and the {a} had nothing."]
            return lines, "greed"
            lines += [f"The {a} saw that the {b} was hungry and gave half of it away.",
                      f"From that day on the {b} and the {a} were the best of friends."]
        return lines, "share"

    def rescue(self, a: str, b: str) -> tuple[list[str], str]:
        trouble = self.pick(TROUBLES)
        return [f"One day the {a} {trouble}.",
                f'"Help me, please!" {self.pick(["cried", "called", "shouted"])} the {a}.',
                f"The {b} was small, but the {b} did not run away.",
                f"The {b} worked all {self.pick(['day', 'night', 'morning'])} until the {a} was free.",
                f'"Thank you, friend," said the {a}. "I will never laugh at you again."'], "rescue"

    def fable(self) -> str:
        a, b = self.rng.choice(len(ANIMALS), size=2, replace=False)
        a, b = ANIMALS[a], ANIMALS[b]
        trait_a, trait_b = self.pick(TRAITS), self.pick(TRAITS)
        title = f"THE {trait_a.upper()} {a.upper()} AND THE {trait_b.upper()} {b.upper()}"
        opening = (f"{self.pick(TIMES)} the {trait_a} {a} met the {trait_b} {b} {self.pick(PLACES)}.")
        story = [opening] + self.greeting(a, b)
        episode = self.pick([self.race, self.found, self.rescue])
        lines, kind = episode(a, b)
        story += lines
        if self.chance(0.4):
            story.append(self.pick([f"And so the {b} learned something that day.",
                                    f"The other animals {self.pick(PLACES)} still tell this story.",
                                    f"The {a} never forgot it."]))
        return "\n".join([title, "", _cap(" ".join(story)), f"Moral: {self.pick(MORALS[kind])}"])


def fables(n_chars: int = 60_000, seed: int = 0) -> str:
    """At least ``n_chars`` characters of generated fables (whole fables, separated by blank lines).

    The same ``seed`` gives the same text. About 700 characters per fable, written with letters,
    spaces, newlines and . , ! ? " : (about 60 distinct characters, no digits).
    """
    if n_chars < 1:
        raise ValueError(f"fables: n_chars must be positive, got {n_chars}")
    writer = _Writer(seed)
    parts, total = [], 0
    while total < n_chars:
        fable = writer.fable()
        parts.append(fable)
        total += len(fable) + 2
    return "\n\n".join(parts) + "\n"
