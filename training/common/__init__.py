"""What every training module shares, one module per concern: ``arguments`` (the command
line, threads), ``fetch`` (offline packages), ``cache`` (prepared arrays), ``scoring``
(accuracy figures), ``plots`` (the card's pictures) and ``publish`` (the weights folder,
its model card and manifest, the Hub push)."""
