"""Doodles for the sketch models (QuickDraw cannot be downloaded here): icon sets from npm
(``icon_sets``, ``svg_paths``) re-drawn as doodles (``icon_doodles``), canvas strokes drawn
as the tab draws them (``sketchpad``), QuickDraw itself where it can be read
(``quickdraw``), and the average with upstream's model (``sketch_ensemble``,
``sketch_fine_tune``)."""
