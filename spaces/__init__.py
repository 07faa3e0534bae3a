"""What a visitor sees: one module per experiment (or per family of two) and shared pieces.

Every module here that defines ``EXPERIMENTS`` (a list of ``common.Experiment``) and
``build(experiment) -> gr.Blocks`` is picked up by hub.py; tabs follow upstream's order.
"""

ORDER = [
    "digits_recognition_mlp",
    "digits_recognition_cnn",
    "sketch_recognition_mlp",
    "sketch_recognition_cnn",
    "rock_paper_scissors_cnn",
    "rock_paper_scissors_transfer",
    "objects_detection",
    "image_classification",
    "numbers_summation_rnn",
    "text_generation_shakespeare_rnn",
    "text_generation_wikipedia_rnn",
    "recipe_generation_rnn",
    "clothes_generation_dcgan",
]
