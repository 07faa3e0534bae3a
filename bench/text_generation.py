"""Char-RNN speed: model time for 400 characters from the compiled sampler (target
<= 0.3 s), next to an eager loop calling the Keras model per character, and the gradio
request through gradio_client next to the trivial /ping endpoint (target <= 1.5x).

    python -m bench.text_generation [--repeats 10] [--smoke]
"""

from bench.common import arguments, bench_server, report, timed

IDS = ["text_generation_shakespeare_rnn", "text_generation_wikipedia_rnn", "recipe_generation_rnn"]
LENGTH = 400


def eager_loop(sampler, prompt: str, length: int) -> str:
    """The same GRU step run eagerly from Python, one call per character (what the
    compiled tf.while_loop replaces)."""
    tf = sampler.tf
    states = tuple(tf.zeros([1, units]) for units in sampler.units)
    for char_id in sampler.vocab.encode(prompt):
        states, logits = sampler._step(states, tf.constant(char_id))
    ids = []
    for _ in range(length):
        ids.append(int(tf.argmax(logits[0])))
        states, logits = sampler._step(states, tf.constant(ids[-1]))
    return sampler.vocab.decode(ids)


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 10})
    args = parser.parse_args(argv)
    repeats = 1 if args.smoke else args.repeats
    ids = IDS[-1:] if args.smoke else IDS  # the smoke run: one generator

    from core import text_generator

    print(f"model time for {LENGTH} characters (prompt fed, then sampled):")
    for experiment_id in ids:
        generator = text_generator.load_generator(experiment_id)
        prompt = generator.spec.examples[0] or "📗 "
        prompt = generator.start(prompt)
        sampler = generator.sampler
        seconds = timed(
            lambda s=sampler, p=prompt: s.generate(p, LENGTH, 0.6, 1, chunk=LENGTH), repeats
        )
        report(f"{experiment_id} compiled, one call", seconds)
        seconds = timed(lambda s=sampler, p=prompt: s.generate(p, LENGTH, 0.6, 1), repeats)
        report(f"{experiment_id} compiled, streamed", seconds)
    report(
        f"{ids[-1]} eager per-char loop",
        timed(lambda: eager_loop(sampler, prompt, LENGTH), 1 if args.smoke else 3),
    )

    def inputs(experiment_id: str) -> tuple:
        return (text_generator.SPECS[experiment_id].examples[0], LENGTH, 0.6)

    bench_server(ids, inputs, repeats, note=f" ({LENGTH} chars)")


if __name__ == "__main__":
    main()
