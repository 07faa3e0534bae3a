"""The DCGAN of clothes_generation_dcgan: its networks and training loop
(``dcgan_training``) and the sample-quality measures (``dcgan_metrics``, FID with a small
Fashion-MNIST classifier); ``earlier_runs.json`` keeps the figures of runs this code cannot
re-run."""
