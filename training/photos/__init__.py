"""Photos for the photo models' tab examples and checks: scikit-image's sample photos, read
from its wheel (``example_photos``)."""
