"""How each model is made: one runnable module per experiment."""
