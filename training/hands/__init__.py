"""Rendered hands for the rock-paper-scissors models (no hand photos exist offline): 3-D
skeleton poses (``hand_poses``), skins and backgrounds (``hand_scenes``), and two renderers,
flat (``flat_hands``) and shaded (``shaded_hands``)."""
