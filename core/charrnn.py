"""Char-RNN pieces shared by training and serving: the vocabulary (text <-> ids) and the
compiled sampler.

The vocabulary is the ONE text -> ids function: training cleans its corpus with it and the
tab cleans a visitor's prompt with it, so both see the same characters.

The sampler runs the trained Embedding -> GRU(s) -> Dense network one character at a time
inside a ``tf.function`` with a ``tf.while_loop``: the whole 400-character loop is a single
graph call instead of 400 Python calls into Keras (0.1 s instead of seconds on a 2-core CPU).
It reads the weights out of the Keras model and applies Keras' GRU equations
(``reset_after=True``) itself; a test checks it against the Keras model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCAB_FILE = "vocab.json"
# Ends every recipe in the corpus (upstream's stop character); sampling stops at it.
STOP = "␣"


@dataclass(frozen=True)
class Cleaned:
    """A text reduced to the vocabulary, and the characters that had to go."""

    text: str
    dropped: str  # the distinct dropped characters, in order of appearance


class Vocabulary:
    """The characters a model knows, in id order."""

    def __init__(self, chars: str | list[str]):
        self.chars = list(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be distinct")
        self.index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.index

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> Vocabulary:
        """Every character seen at least ``min_count`` times, sorted by code point."""
        counts: dict[str, int] = {}
        for char in text:
            counts[char] = counts.get(char, 0) + 1
        return cls(sorted(char for char, n in counts.items() if n >= min_count))

    def clean(self, text: str) -> Cleaned:
        """Drop every character outside the vocabulary (noting which ones)."""
        kept = [char for char in text if char in self.index]
        dropped = dict.fromkeys(char for char in text if char not in self.index)
        return Cleaned("".join(kept), "".join(dropped))

    def encode(self, text: str) -> np.ndarray:
        """Ids of a text that is already clean (KeyError otherwise)."""
        return np.array([self.index[char] for char in text], dtype=np.int32)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / VOCAB_FILE
        path.write_text(json.dumps({"chars": self.chars}, ensure_ascii=False, indent=0) + "\n")
        return path

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        return cls(json.loads((Path(folder) / VOCAB_FILE).read_text())["chars"])


class Sampler:
    """Compiled character sampling from a trained Embedding -> GRU... -> Dense model.

    Sampling is reproducible: character number ``i`` is drawn with the stateless seed
    ``(seed, i)``, so the same prompt, temperature and seed give the same text however
    the output is cut into streamed chunks.
    """

    def __init__(self, model, vocab: Vocabulary):
        import keras
        import tensorflow as tf

        self.tf = tf
        self.model = model
        self.vocab = vocab
        embedding = next(
            layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)
        )
        grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][-1]
        if not grus or not all(layer.cell.reset_after for layer in grus):
            raise ValueError("the sampler expects GRU layers with reset_after=True")
        table = np.asarray(embedding.embeddings)
        self.layers = []
        for layer in grus:
            kernel, recurrent, bias = (np.asarray(w) for w in layer.cell.get_weights())
            self.layers.append(tuple(tf.constant(w) for w in (kernel, recurrent, bias)))
        self.table = tf.constant(table)
        self.units = [int(layer.cell.units) for layer in grus]
        self.dense_w, self.dense_b = (tf.constant(np.asarray(w)) for w in dense.get_weights())
        state_specs = tuple(tf.TensorSpec([1, units], tf.float32) for units in self.units)
        self._prime = tf.function(
            self._prime_graph, input_signature=[tf.TensorSpec([None], tf.int32)]
        )
        self._sample = tf.function(
            self._sample_graph,
            input_signature=[
                state_specs,
                tf.TensorSpec([1, len(vocab)], tf.float32),
                tf.TensorSpec([], tf.int32),  # how many characters
                tf.TensorSpec([], tf.float32),  # temperature
                tf.TensorSpec([], tf.int64),  # seed
                tf.TensorSpec([], tf.int64),  # index of the first character (for the seed)
                tf.TensorSpec([], tf.int32),  # stop id (-1: none)
            ],
        )

    # ------------------------------------------------------------------ graph pieces

    def _step(self, states, char_id):
        """One character through the network: Keras' GRU cell, reset_after=True."""
        tf = self.tf
        x = tf.gather(self.table, tf.reshape(char_id, [1]))
        new_states = []
        for (kernel, recurrent, bias), h in zip(self.layers, states, strict=True):
            units = h.shape[-1]
            gates_x = tf.matmul(x, kernel) + bias[0]
            gates_h = tf.matmul(h, recurrent) + bias[1]
            z = tf.sigmoid(gates_x[:, :units] + gates_h[:, :units])
            r = tf.sigmoid(gates_x[:, units : 2 * units] + gates_h[:, units : 2 * units])
            candidate = tf.tanh(gates_x[:, 2 * units :] + r * gates_h[:, 2 * units :])
            h = z * h + (1.0 - z) * candidate
            new_states.append(h)
            x = h
        logits = tf.matmul(x, self.dense_w) + self.dense_b
        return tuple(new_states), logits

    def _prime_graph(self, ids):
        """Feed the prompt from a zero state; returns the state and the next-char logits."""
        tf = self.tf
        states = tuple(tf.zeros([1, units]) for units in self.units)
        logits = tf.zeros([1, len(self.vocab)])

        def body(i, states, logits):
            states, logits = self._step(states, ids[i])
            return i + 1, states, logits

        _, states, logits = tf.while_loop(
            lambda i, *_: i < tf.shape(ids)[0], body, (tf.constant(0), states, logits)
        )
        return states, logits

    def _sample_graph(self, states, logits, count, temperature, seed, start, stop_id):
        tf = self.tf
        out = tf.TensorArray(tf.int32, size=0, dynamic_size=True)

        def body(i, states, logits, out, last):
            step_seed = tf.stack([seed, start + tf.cast(i, tf.int64)])
            char_id = tf.random.stateless_categorical(logits / temperature, 1, seed=step_seed)
            char_id = tf.cast(tf.reshape(char_id, []), tf.int32)
            states, logits = self._step(states, char_id)
            return i + 1, states, logits, out.write(i, char_id), char_id

        def going(i, states, logits, out, last):
            return tf.logical_and(i < count, tf.not_equal(last, stop_id))

        _, states, logits, out, _ = tf.while_loop(
            going, body, (tf.constant(0), states, logits, out, tf.constant(-2))
        )
        return out.stack(), states, logits

    # ------------------------------------------------------------------ public API

    def logits_after(self, text: str) -> np.ndarray:
        """Next-character logits after a (clean, non-empty) text; used by tests."""
        _, logits = self._prime(self.vocab.encode(text))
        return logits.numpy()[0]

    def stream(
        self,
        prompt: str,
        length: int,
        temperature: float,
        seed: int,
        chunk: int = 100,
        stop: str | None = None,
        context: str = "",
    ) -> Iterator[str]:
        """Yield the generated continuation of a clean prompt, chunk by chunk.

        ``context`` is fed before the prompt but not returned: the text that precedes a
        document in the training stream (its separator), so that a prompt reads as the
        start of a document. At most ``length`` characters; stops early after ``stop``.
        """
        if not context + prompt:
            raise ValueError("the sampler needs at least one character to start from")
        tf = self.tf
        states, logits = self._prime(self.vocab.encode(context + prompt))
        stop_id = tf.constant(self.vocab.index[stop] if stop else -1, tf.int32)
        done = 0
        while done < length:
            count = min(chunk, length - done)
            ids, states, logits = self._sample(
                states,
                logits,
                tf.constant(count, tf.int32),
                tf.constant(temperature, tf.float32),
                tf.constant(seed, tf.int64),
                tf.constant(done, tf.int64),
                stop_id,
            )
            text = self.vocab.decode(ids.numpy())
            done += count
            yield text
            if stop and text.endswith(stop):
                return

    def generate(self, prompt: str, length: int, temperature: float, seed: int, **kwargs) -> str:
        """The whole continuation at once."""
        return "".join(self.stream(prompt, length, temperature, seed, **kwargs))
