"""Image handling shared by every domain that accepts pictures (artwork, avatars): the guarded
decoding entry point, content sniffing and colour normalisation. Pure Pillow: no Flask, no
database, no translations; callers word refusals from the error codes."""
