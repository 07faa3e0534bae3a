"""The ground floor, with no gradio: the weight store, the one preprocessing function per
input kind (drawing, photo, text) and the model code that serving and training share.

Bad input raises ``core.errors.BadInput`` with a message meant for a visitor; the UI
(``ui/``) turns it into ``gr.Error``. ``training/`` imports this package, never gradio.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout: hub.py, weights/, data/ ...
DATA = ROOT / "data"  # the evaluation sets, data/<id or family>/ (data/README.md)
