"""Pretrained multilingual encoders, offline: each module loads its model lazily from the package
that ships it and encodes batches of texts. A stage that needs no encoder imports none."""
